"""Pack files: many files' signed facts in one file, so that a run creates one file, not one per parsed file.

A pack is `PACK_MAGIC` and then records, each `key NUL signature(32) payload`; it is named by a digest of
its content, so a name always means the same bytes. Where a key's record is (pack, offset, length) is kept
by the cache's index (cache.py); a record is trusted only once its key and signature are checked there.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from scopeplan.scanner.files import READ_FLAGS

PACK_MAGIC = b"scopeplan-pack/1\n"
MAX_PACK_BYTES = 1 << 36  # a pack larger than this was not written by scopeplan
NAME_LENGTH = 32
SIGN_BYTES = 32
Location = tuple[str, int, int]  # pack name, offset of the record, its length


def is_name(name: object) -> bool:
    """Whether `name` can be a pack's name (lowercase hex of a fixed length: never a path)."""
    return (isinstance(name, str) and len(name) == NAME_LENGTH
            and all(c in "0123456789abcdef" for c in name))


def located(entry: object, limit: int) -> bool:
    """Whether an index entry has the shape of a `Location` with a record of at most `limit` bytes."""
    return (isinstance(entry, tuple) and len(entry) == 3 and is_name(entry[0])
            and type(entry[1]) is int and type(entry[2]) is int
            and entry[1] >= len(PACK_MAGIC) and 0 < entry[2] <= limit)


def record(key: str, sign: bytes, payload: bytes) -> bytes:
    """One record as a pack holds it."""
    return key.encode() + b"\0" + sign + payload


def split(blob: bytes, key: str) -> tuple[bytes, bytes] | None:
    """(signature, payload) of a record that names `key`; None for a record of another key or too short."""
    head = key.encode() + b"\0"
    if len(blob) < len(head) + SIGN_BYTES or not blob.startswith(head):
        return None
    return blob[len(head):len(head) + SIGN_BYTES], blob[len(head) + SIGN_BYTES:]


def build(records: dict[str, bytes]) -> tuple[str, bytes, dict[str, Location]]:
    """The name, the content and the records' locations of a pack of `records` (key -> record), in key order."""
    parts = [PACK_MAGIC]
    offset = len(PACK_MAGIC)
    spans: dict[str, tuple[int, int]] = {}
    for key in sorted(records):
        blob = records[key]
        parts.append(blob)
        spans[key] = (offset, len(blob))
        offset += len(blob)
    content = b"".join(parts)
    name = hashlib.sha256(content).hexdigest()[:NAME_LENGTH]
    return name, content, {key: (name, start, length) for key, (start, length) in spans.items()}


_FLAGS = READ_FLAGS | getattr(os, "O_NOFOLLOW", 0)  # a scanned file's flags, and never through a link


def open_regular(path: Path, limit: int) -> tuple[int, int] | None:
    """(descriptor, size) of a regular file of at most `limit` bytes, never through a link; None otherwise.

    Opened non-blocking and checked with fstat, so a FIFO or a device planted in the folder cannot hang.
    """
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        return None
    return fd, st.st_size


def open_pack(path: Path) -> tuple[int, int] | None:
    """A pack opened for reading (see `open_regular`)."""
    return open_regular(path, MAX_PACK_BYTES)


def read_at(fd: int, size: int, offset: int, length: int) -> bytes | None:
    """The `length` bytes at `offset` of an open pack of `size` bytes; None when the pack is shorter."""
    if offset + length > size:
        return None
    try:
        if hasattr(os, "pread"):
            blob = os.pread(fd, length, offset)
        else:  # Windows: no pread; one reader per descriptor, so seeking is as safe
            os.lseek(fd, offset, os.SEEK_SET)
            blob = os.read(fd, length)
    except OSError:
        return None
    return blob if len(blob) == length else None


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """name -> (size, mtime in ns) of the regular files named like packs in `folder` (links are not packs)."""
    found: dict[str, tuple[int, int]] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_name(entry.name):
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    found[entry.name] = (st.st_size, st.st_mtime_ns)
    return found


def carry(folder: Path, index: dict[str, Location], check: Callable[[bytes, str], bool]) -> dict[str, bytes]:
    """key -> record of the `index` entries whose records `check` accepts, read back from their packs."""
    by_pack: dict[str, list[tuple[int, int, str]]] = {}
    for key, (name, offset, length) in index.items():
        by_pack.setdefault(name, []).append((offset, length, key))
    carried: dict[str, bytes] = {}
    for name, entries in sorted(by_pack.items()):
        found = open_pack(folder / name)
        if found is None:
            continue
        try:
            for offset, length, key in sorted(entries):
                blob = read_at(found[0], found[1], offset, length)
                if blob is not None and check(blob, key):
                    carried[key] = blob
        finally:
            os.close(found[0])
    return carried


def remove(folder: Path, listed: dict[str, tuple[int, int]], keep: set[str], stale: set[str], orphan_ns: int) -> None:
    """Remove the packs of `listed` (found in `folder`, a real folder) that the index named before a
    compaction (`stale`), or that no index names and are older than `orphan_ns` (a run died before indexing
    them); a young unnamed pack may be a concurrent run's, about to be indexed. Unlinking never follows a link."""
    import time

    now = time.time_ns()
    for name, (_, mtime) in listed.items():
        if name not in keep and (name in stale or now - mtime > orphan_ns):
            try:
                os.unlink(folder / name)
            except OSError:
                pass
