"""Facts of files already parsed, keyed by their content: a project-local folder, atomic, signed entries.

Layout (`.scopeplan_cache/` at the scanned root; git and backup tools skip it by itself):

    .gitignore, CACHEDIR.TAG
    <fingerprint>/packs/<name>     the facts a run stored, in one file per run (packs.py); name = digest of it
    <fingerprint>/index            key -> (pack, offset, length) of each file's FileFacts; key = sha256(fingerprint,
                                   path, content)
    <fingerprint>/manifest         path -> (stat, key, prefilter summary), to skip reading unchanged files
    <fingerprint>/values/<name>    one value kept whole (the last plan of a set of options: plancache.py)

The fingerprint covers scopeplan's version, Python, libcst and the scanner's own source files, so a
scanner that changes never reads facts an older one wrote; folders of other fingerprints are removed.
Entries are pickles of scopeplan's own dataclasses, signed with a per-user secret kept in the user's
cache directory: an entry someone else wrote (a cache committed to a scanned repository) fails the
check and is rebuilt, and unpickling only ever creates scopeplan's facts classes. Facts are stored in
memory until `flush` writes them as one pack (creating files is what costs on slow file systems) and
merges their places into the index; the index only says where to look: a record is used when it names
its key and its signature holds, so a lost or stale index entry costs a parse, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import io
import os
import pickle
import stat
import sys
from pathlib import Path

import scopeplan
from scopeplan.safeio import read_open
from scopeplan.scanner import packs

FOLDER = ".scopeplan_cache"
MAGIC = b"scopeplan-cache/1\n"
TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
       b"# This folder is scopeplan's cache; see https://bford.info/cachedir/\n")
MAX_ENTRY_BYTES = 256_000_000  # a cache file larger than this was not written by scopeplan
MAX_PACKS = 8  # more packs than this in the index, and a flush merges all but the largest into one
ORPHAN_NS = 60 * 1_000_000_000  # an unindexed pack this old is no concurrent run's, still to be indexed
_SCANNER = Path(__file__).resolve().parent
_ALLOWED = ("scopeplan.scanner.facts", "scopeplan.scanner.ir", "scopeplan.scanner.prefilter")


def fingerprint() -> str:
    """What a cached fact depends on besides the file: scopeplan, Python, libcst, the scanner's code."""
    digest = hashlib.sha256(MAGIC)
    digest.update(f"{scopeplan.__version__}\0{sys.implementation.cache_tag}\0{pickle.HIGHEST_PROTOCOL}".encode())
    spec = importlib.util.find_spec("libcst")
    if spec is not None and spec.submodule_search_locations:
        version = Path(list(spec.submodule_search_locations)[0], "_version.py")
        digest.update(version.read_bytes() if version.is_file() else b"?")
    models = sorted((_SCANNER.parent / "models").glob("*.py"))  # the prefilter reads the models' names
    tables = [_SCANNER.parent / "data" / name for name in ("sdk_methods.json", "zcrmsdk_legacy.json")]
    for source in [*sorted(_SCANNER.glob("*.py")), *models, *tables]:
        if source.is_file():  # the SDK table decides which calls are SDK calls (and what the prefilter keeps)
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


class Cache:
    """One fingerprint's folder: facts by key, and the manifest of the last run."""

    def __init__(self, folder: Path, secret: bytes, print_: str):
        self.folder = folder
        self.secret = secret
        self.print = print_
        self.digests: dict[str, str] = {}  # key -> sha256 of the facts' pickle, for the facts loaded or stored
        self._folders: set[Path] = set()  # folders this run checked (or made) before writing into them
        self._stored: dict[str, bytes] = {}  # key -> pickle of the facts stored since the last flush
        self._index: dict[str, packs.Location] | None = None  # read on the first lookup of facts
        self._open: dict[str, tuple[int, int] | None] = {}  # pack name -> (descriptor, size); None: unusable
        self._packs_checked = False  # whether packs/ was found to be a real folder, before reading from it
        self._manifest: tuple[tuple | None, dict] | None = None  # (the file's inode, size, mtime; the manifest)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # at interpreter exit `os` may be gone: the descriptors go with the process
            pass

    @classmethod
    def open(cls, root: Path, folder: Path | None = None, notices: list[str] | None = None) -> Cache | None:
        """The cache for a scanned root, or None when it cannot be used (read-only tree, no home).

        A folder that is a symbolic link, or a folder scopeplan did not create (no `CACHEDIR.TAG` of
        ours), is never followed, written into or pruned: the cache is off and `notices` says why.
        """
        base = folder or root / FOLDER
        try:
            refusal = _prepare(base)
            if refusal is not None:
                if notices is not None:
                    notices.append(f"cache off: {base} {refusal}; remove it or pass --no-cache")
                return None
            secret = _secret()
            print_ = fingerprint()
            here = base / print_
            _real_folder(here, create=True)
            _prune(base, keep=print_)
            return cls(here, secret, print_)
        except OSError:
            return None

    def key(self, relative: str, data: bytes) -> str:
        """The key of one file's facts: its path (module names come from it) and its content."""
        digest = hashlib.sha256(self.print.encode())
        digest.update(b"\0" + relative.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def load(self, key: str):
        """The FileFacts stored under key, or None when missing, corrupt, foreign or unsigned."""
        return self._value(self._facts(key), key, _ALLOWED, digest=True)

    def store(self, key: str, facts, payload: bytes | None = None) -> None:
        """Store facts under key (`payload`: their `dumps`, when made already) until `flush`; best effort (facts
        that do not pickle cost speed, never the run)."""
        self._keep(key, facts, payload)

    def alias(self, old: str, new: str, accept) -> bool:
        """Store the facts kept under `old` under `new` too, as the same bytes (so the same digest), when
        `accept(facts)` says they hold for `new`; False when there are none or they are not accepted."""
        payload = self._facts(old)
        if payload is None:
            return False
        try:
            facts = loads(payload)
        except Exception:  # as in _value: a signed entry that does not load is rebuilt
            return False
        return accept(facts) and self._keep(new, None, payload)

    def flush(self, keep: set[str] | None = None) -> None:
        """Write the facts stored since the last flush as one pack and merge their places into the index on
        disk (compacting the packs when they are many or mostly dead); best effort: a full disk costs speed.
        `keep`: the keys still worth keeping (this run's files and the last run's); the index forgets the
        others, whose records a later compaction drops: the cache does not grow with every edit ever made."""
        self.close()
        if not self._stored:
            return
        stored, self._stored = self._stored, {}
        try:
            self._index = self._flush(stored, keep)
        except OSError:
            self._index = None  # read again at the next lookup: what is on disk is what counts

    def close(self) -> None:
        """Close the packs opened for reading (a later lookup opens them again)."""
        opened, self._open = self._open, {}
        for found in opened.values():
            if found is not None:
                try:
                    os.close(found[0])
                except OSError:
                    pass

    def has_manifest(self) -> bool:
        """Whether a run left a manifest here (not whether it is valid: `manifest` says)."""
        return (self.folder / "manifest").is_file()

    def manifest(self) -> dict:
        """The manifest the last run left, or an empty one; read again only when the file was replaced since
        (the same dict until then)."""
        try:
            st = os.stat(self.folder / "manifest")
            seen: tuple | None = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            seen = None
        if self._manifest is None or self._manifest[0] != seen:
            found = self._read(self.folder / "manifest", "manifest") if seen is not None else None
            self._manifest = (seen, found if isinstance(found, dict) else {})
        return self._manifest[1]

    def save_manifest(self, manifest: dict) -> None:
        self._write(self.folder / "manifest", "manifest", manifest)

    def load_value(self, name: str, key: str, allowed: tuple[str, ...]):
        """A value `store_value` kept as `name` under `key` (whose classes live in `allowed` modules), or None."""
        return self._read(self.folder / "values" / name, key, allowed)

    def store_value(self, name: str, key: str, value) -> None:
        """Keep a value of frozen dataclasses as `name`, signed for `key`, replacing the last; best effort."""
        self._write(self.folder / "values" / name, key, value)

    def _read(self, path: Path, key: str, allowed: tuple[str, ...] = _ALLOWED):
        return self._value(self._payload(path, key), key, allowed)

    def _value(self, payload: bytes | None, key: str, allowed: tuple[str, ...], digest: bool = False):
        if payload is None:
            return None
        try:
            value = loads(payload, allowed)
        except Exception:  # a signed entry that does not load: written by a broken build; rebuild it
            return None
        if digest:
            self.digests[key] = hashlib.sha256(payload).hexdigest()
        return value

    def _payload(self, path: Path, key: str) -> bytes | None:
        """The pickle stored at path, when the entry is ours and signed for key."""
        blob = read_regular(path, MAX_ENTRY_BYTES)
        if blob is None or not blob.startswith(MAGIC):
            return None
        head = len(MAGIC)
        sign, payload = blob[head:head + 32], blob[head + 32:]
        return payload if hmac.compare_digest(sign, self._sign(key, payload)) else None

    def _write(self, path: Path, key: str, value) -> bool:
        """Whether the entry was written (best effort: a full disk costs speed, never the run)."""
        try:
            payload = dumps(value)
            if path.parent not in self._folders:
                _real_folder(path.parent, create=True)  # never write through a link planted in the folder
                self._folders.add(path.parent)
            _atomic_write(path, MAGIC + self._sign(key, payload) + payload)
        except (OSError, pickle.PicklingError, RecursionError):
            return False
        return True

    def _sign(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self.secret, key.encode() + b"\0" + payload, hashlib.sha256).digest()

    def _keep(self, key: str, facts: object, payload: bytes | None) -> bool:
        """Keep facts (or their pickle) under key until `flush`; False when they do not pickle."""
        try:
            if payload is None:
                payload = dumps(facts)
        except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
            return False
        self.digests[key] = hashlib.sha256(payload).hexdigest()
        self._stored[key] = payload
        return True

    def _facts(self, key: str) -> bytes | None:
        """The pickle of the facts stored under key: kept since the last flush, else found by the index."""
        payload = self._stored.get(key)
        if payload is not None:
            return payload
        if self._index is None:
            self._index = self._read_index()
        entry = self._index.get(key)
        if entry is None or not packs.located(entry, MAX_ENTRY_BYTES):
            return None
        name, offset, length = entry
        if name not in self._open:
            self._open[name] = self._open_pack(name)
        found = self._open[name]
        blob = None if found is None else packs.read_at(found[0], found[1], offset, length)
        return None if blob is None else self._check(blob, key)

    def _check(self, blob: bytes, key: str) -> bytes | None:
        """The payload of a pack's record when it names key and is signed for it."""
        parts = packs.split(blob, key)
        if parts is None:
            return None
        sign, payload = parts
        return payload if hmac.compare_digest(sign, self._sign(key, payload)) else None

    def _open_pack(self, name: str) -> tuple[int, int] | None:
        if not self._packs_checked:
            try:
                _real_folder(self.folder / "packs")  # never read through a link planted for packs/
            except OSError:
                return None
            self._packs_checked = True
        return packs.open_pack(self.folder / "packs" / name)

    def _read_index(self) -> dict[str, packs.Location]:
        """The index on disk (key -> location), or an empty one when it is missing, foreign or malformed."""
        found = self._read(self.folder / "index", "index", ())
        return found if isinstance(found, dict) else {}

    def _flush(self, stored: dict[str, bytes], keep: set[str] | None) -> dict[str, packs.Location]:
        """Write `stored` (key -> pickle) as a pack, then the index on disk merged with their places: the index."""
        folder = self.folder / "packs"
        _real_folder(folder, create=True)  # never write through a link planted in the folder
        records = {key: packs.record(key, self._sign(key, payload), payload) for key, payload in stored.items()}
        on_disk = packs.listing(folder)
        before = self._read_index()
        index = {key: entry for key, entry in before.items()
                 if key not in records and packs.located(entry, MAX_ENTRY_BYTES) and entry[0] in on_disk
                 and (keep is None or key in keep)}
        live = sum(entry[2] for entry in index.values()) + sum(map(len, records.values()))
        total = sum(size for size, _ in on_disk.values()) + sum(map(len, records.values()))
        named = {entry[0] for entry in index.values()}
        compact = len(named) + 1 > MAX_PACKS or total > 2 * live
        kept: set[str] = set()
        if compact:  # carry the live records over into the new pack: the old ones go once the index is written
            if total <= 2 * live:  # only many packs: the largest (the first run's, usually) stays as it is
                kept = {max(named, key=lambda pack: (on_disk[pack][0], pack))}
            moved = {key: entry for key, entry in index.items() if entry[0] not in kept}
            records = {**packs.carry(folder, moved, lambda blob, key: self._check(blob, key) is not None), **records}
            index = {key: entry for key, entry in index.items() if entry[0] in kept}
        name, content, places = packs.build(records)
        _atomic_write(folder / name, content)
        index.update(places)
        if not self._write(self.folder / "index", "index", index):
            raise OSError("the index could not be written")
        if compact:
            old = {entry[0] for entry in before.values() if packs.located(entry, MAX_ENTRY_BYTES)}
            packs.remove(folder, on_disk, keep=kept | {name}, stale=old, orphan_ns=ORPHAN_NS)
        return index


def dumps(value) -> bytes:
    """A pickle of frozen dataclasses and plain data, as the cache writes it (see `_Reducers`)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _Reducers()
    pickler.dump(value)
    return buffer.getvalue()


def loads(payload: bytes, allowed: tuple[str, ...] = _ALLOWED):
    """Unpickle what `dumps` wrote, creating only dataclasses of the `allowed` modules (else raises)."""
    return _Unpickler(io.BytesIO(payload), allowed).load()


class _Reducers(dict):
    """Pickle frozen dataclasses as `cls(*fields)`: loading runs their `__init__`, about 3x faster than
    the default `__setstate__` (which looks the fields up again for every object)."""

    def __missing__(self, cls):
        fields = getattr(cls, "__dataclass_fields__", None)
        if fields is None or not all(f.init for f in fields.values()):
            raise KeyError(cls)
        names = tuple(fields)

        def reduce(obj):
            return cls, tuple(getattr(obj, name) for name in names)

        self[cls] = reduce
        return reduce

    def get(self, cls, default=None):
        try:
            return self[cls]
        except KeyError:
            return default


class _Unpickler(pickle.Unpickler):
    """Unpickles scopeplan's dataclasses (of the `allowed` modules) and plain data only; any other global is refused."""

    def __init__(self, file, allowed: tuple[str, ...] = _ALLOWED):
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str):
        if module in self.allowed:
            found = getattr(sys.modules.get(module) or __import__(module, fromlist=[name]), name, None)
            if isinstance(found, type) and hasattr(found, "__dataclass_fields__"):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the scopeplan cache")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers see all of it or nothing."""
    import tempfile  # imported here: a warm run that writes nothing never pays for it

    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _prepare(base: Path) -> str | None:
    """Create the cache folder, or check that an existing one is a real folder scopeplan made.

    Returns why the folder cannot be used, or None.
    """
    try:
        st = os.lstat(base)
    except FileNotFoundError:
        base.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(base)
            _atomic_write(base / "CACHEDIR.TAG", TAG)
        except FileExistsError:  # a concurrent run made it: check it like any existing folder
            return _prepare(base)
        _atomic_write(base / ".gitignore", b"# scopeplan's cache: never commit it\n*\n")
        return None
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link, which scopeplan does not follow"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    tag = read_regular(base / "CACHEDIR.TAG", 4096)
    if tag is None or not tag.startswith(TAG.split(b"\n")[0]) or b"scopeplan" not in tag:
        return "is not a folder scopeplan created (it has no CACHEDIR.TAG of scopeplan's)"
    return None


def _real_folder(path: Path, create: bool = False) -> None:
    """Make sure `path` is a folder and not a link to one (OSError otherwise)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not create:
            raise
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(f"{path}: not a folder (or a link), not used")


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes, never through a link; None otherwise.

    Opened non-blocking and checked with fstat, so a FIFO, a device or `/dev/zero` planted in the
    folder can neither hang nor flood the run.
    """
    found = packs.open_regular(path, limit)
    if found is None:
        return None
    fd = found[0]
    try:
        return read_open(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def _prune(base: Path, keep: str) -> None:
    """Remove the folders older scanners left, inside the cache folder only (never through a link)."""
    with os.scandir(base) as listing:
        for child in listing:
            if (len(child.name) == len(keep) and child.name != keep and child.is_dir(follow_symlinks=False)
                    and all(c in "0123456789abcdef" for c in child.name)):
                import shutil  # only when there is something to remove

                shutil.rmtree(child.path, ignore_errors=True)


def _secret() -> bytes:
    """A random key private to this user, created once under the user's cache directory."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scopeplan"
    path = home / "cache-secret"
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    import tempfile

    fd, temp = tempfile.mkstemp(dir=home, prefix=".tmp-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(os.urandom(32))
        try:
            os.link(temp, path)  # never replaces a secret another run created meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    data = path.read_bytes()
    if len(data) < 32:
        raise OSError(f"{path}: not a scopeplan cache secret")
    return data
