"""Bounded reads and atomic writes of the files scopeplan keeps that are not source code.

A baseline, a pyproject.toml, a catalogue file and the live-catalogue cache are read only when they
are regular files below a size limit, and parsed with bounded nesting and bounded numbers: a FIFO,
a link to /dev/zero, a 200 MB file or `[[[[...` is a one-line error, never a hang, a MemoryError or a
RecursionError. Problems with the file are `OSError`s (errno, a sentence, the file name) and problems
with its content are `ValueError`s, so callers' existing `except OSError` / `except ValueError`
clauses turn them into their own one-line errors.

Writes go through a temp file in the same directory, flushed and fsynced, then `os.replace`: a
crash or a full disk leaves the old file byte for byte and no temp file behind.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from pathlib import Path

MB = 1024 * 1024
# Limits, each far above any real file: a baseline is kilobytes, Zoho's __apis a few MB.
BASELINE_LIMIT = 50 * MB
CATALOGUE_LIMIT = 64 * MB
CONFIG_LIMIT = 10 * MB
META_LIMIT = 1 * MB
# The largest integer read from a JSON file: 2**53 - 1, the largest every JSON reader holds exactly.
MAX_INT = 2**53 - 1
_CHUNK = 1 * MB

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class Refused(OSError):
    """A file scopeplan will not read: not a regular file, or above its size limit."""


def size(n: int) -> str:
    """A byte count for a message: `200 MB`, `64 KB`, `12 bytes`."""
    if n >= MB:
        return f"{n / MB:.0f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def read_bytes(path: Path | str, limit: int, what: str = "file") -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; else `Refused`.

    `stat` first, so a FIFO or a device is never opened; `fstat` again on the open file, so a file
    swapped in between is caught; and the read stops at `limit + 1` bytes, so a file that grows or
    lies about its size (/proc) cannot get past the limit either.
    """
    name = os.fspath(path)
    _check(os.stat(name), name, limit, what)  # FileNotFoundError and the like pass through unchanged
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(name, flags)
    try:
        _check(os.fstat(fd), name, limit, what)
        data = read_open(fd, limit)
    finally:
        os.close(fd)
    if data is None:
        raise Refused(errno.EFBIG, f"more than the {size(limit)} limit for a {what}", name)
    return data


def read_open(fd: int, limit: int) -> bytes | None:
    """The rest of an open file, read up to `limit + 1` bytes; None when it holds more than `limit`."""
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks) if total <= limit else None


def _check(info: os.stat_result, name: str, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((k for test, k in _KINDS if test(info.st_mode)), "not a regular file")
        raise Refused(errno.EINVAL, f"{kind}, not a regular file; a {what} must be a regular file", name)
    if info.st_size > limit:
        raise Refused(errno.EFBIG, f"{size(info.st_size)}, more than the {size(limit)} limit for a {what}", name)


class TooComplex(ValueError):
    """Content scopeplan will not parse: nested too deeply, or a number out of range."""


def loads_json(data: bytes | str) -> object:
    """`json.loads` with bounded nesting and bounded numbers; every problem is a `ValueError`."""
    try:
        return json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise TooComplex("nested too deeply (arrays or objects hundreds of levels deep)") from None


def load_json(path: Path | str, limit: int, what: str = "file") -> object:
    """Read (see `read_bytes`) and parse (see `loads_json`) a UTF-8 JSON file."""
    return loads_json(read_bytes(path, limit, what).decode("utf-8"))


def load_toml(path: Path | str, limit: int, what: str = "file") -> dict:
    """Read (see `read_bytes`) and parse a UTF-8 TOML file; too deep a nesting is a `ValueError`."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    text = read_bytes(path, limit, what).decode("utf-8")
    try:
        return tomllib.loads(text)
    except RecursionError:  # tomllib is pure Python: `a = [[[[...` recurses once per bracket
        raise TooComplex("nested too deeply (arrays or tables hundreds of levels deep)") from None


def _int(text: str) -> int:
    if len(text) < 16:  # the fast path, every real number: at most 15 digits is below 2**53
        return int(text)
    # Checked on the digits, before int() spends time on a 4,000-digit number.
    digits = text.lstrip("-")
    if len(digits) > 16 or abs(int(text)) > MAX_INT:
        shown = text if len(text) <= 20 else f"{text[:8]}... ({len(digits)} digits)"
        raise TooComplex(f"the number {shown} is out of range (scopeplan reads integers up to 2**53 - 1)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        shown = text if len(text) <= 20 else f"{text[:8]}..."
        raise TooComplex(f"the number {shown} is out of range")
    return value


def _constant(name: str) -> float:
    raise TooComplex(f"{name} is not a JSON number")


def write_atomic(path: Path | str, data: bytes, *, parents: bool = False) -> None:
    """Write `data` to `path` through a temp file beside it and `os.replace`; never a half-written file.

    The new file keeps the mode of the file it replaces, else 0o644 (mkstemp's 0600 would hide a
    committed baseline from its other readers). Any failure, a full disk included, removes the temp
    file and raises `OSError` naming `path`, the file the user asked for; the old file is untouched.
    `parents` creates missing directories (the cache); a baseline or report in a missing folder is an error.
    """
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o644
    import tempfile  # imported here: a run that writes nothing never pays for it (nor for shutil, random, bz2)

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)  # a short write is not an error: write the rest
                view = view[written:]
            os.fsync(fd)  # a full disk may only say so here, when the blocks are allocated
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise

