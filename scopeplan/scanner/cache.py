"""Facts of files already parsed, keyed by their content: a project-local folder, atomic, signed entries.

Layout (`.scopeplan_cache/` at the scanned root; git and backup tools skip it by itself):

    .gitignore, CACHEDIR.TAG
    <fingerprint>/facts/ab/<key>   one file's FileFacts; key = sha256(fingerprint, path, content)
    <fingerprint>/manifest         path -> (stat, key, prefilter summary), to skip reading unchanged files

The fingerprint covers scopeplan's version, Python, libcst and the scanner's own source files, so a
scanner that changes never reads facts an older one wrote; folders of other fingerprints are removed.
Entries are pickles of scopeplan's own dataclasses, signed with a per-user secret kept in the user's
cache directory: an entry someone else wrote (a cache committed to a scanned repository) fails the
check and is rebuilt, and unpickling only ever creates scopeplan's facts classes.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import io
import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path

import scopeplan

FOLDER = ".scopeplan_cache"
MAGIC = b"scopeplan-cache/1\n"
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

    @classmethod
    def open(cls, root: Path, folder: Path | None = None) -> Cache | None:
        """The cache for a scanned root, or None when it cannot be used (read-only tree, no home)."""
        try:
            secret = _secret()
            base = folder or root / FOLDER
            _prepare(base)
            print_ = fingerprint()
            here = base / print_
            (here / "facts").mkdir(parents=True, exist_ok=True)
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
        return self._read(self._path(key), key)

    def store(self, key: str, facts) -> None:
        """Store facts under key; best effort (a full disk costs speed, never the run)."""
        self._write(self._path(key), key, facts)

    def manifest(self) -> dict:
        """The manifest the last run left, or an empty one."""
        found = self._read(self.folder / "manifest", "manifest")
        return found if isinstance(found, dict) else {}

    def save_manifest(self, manifest: dict) -> None:
        self._write(self.folder / "manifest", "manifest", manifest)

    def _path(self, key: str) -> Path:
        return self.folder / "facts" / key[:2] / key

    def _read(self, path: Path, key: str):
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        head = len(MAGIC)
        sign, payload = blob[head:head + 32], blob[head + 32:]
        if not blob.startswith(MAGIC) or not hmac.compare_digest(sign, self._sign(key, payload)):
            return None
        try:
            return _Unpickler(io.BytesIO(payload)).load()
        except Exception:  # a signed entry that does not load: written by a broken build; rebuild it
            return None

    def _write(self, path: Path, key: str, value) -> None:
        try:
            buffer = io.BytesIO()
            pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _Reducers()
            pickler.dump(value)
            payload = buffer.getvalue()
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, MAGIC + self._sign(key, payload) + payload)
        except (OSError, pickle.PicklingError, RecursionError):
            pass

    def _sign(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self.secret, key.encode() + b"\0" + payload, hashlib.sha256).digest()


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
    """Unpickles scopeplan's dataclasses and plain data only; any other global is refused."""

    def find_class(self, module: str, name: str):
        if module in _ALLOWED:
            found = getattr(sys.modules.get(module) or __import__(module, fromlist=[name]), name, None)
            if isinstance(found, type) and hasattr(found, "__dataclass_fields__"):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the scopeplan cache")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers see all of it or nothing."""
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


def _prepare(base: Path) -> None:
    base.mkdir(parents=True, exist_ok=True)
    ignore = base / ".gitignore"
    if not ignore.exists():
        _atomic_write(ignore, b"# scopeplan's cache: never commit it\n*\n")
    tag = base / "CACHEDIR.TAG"
    if not tag.exists():
        _atomic_write(tag, b"Signature: 8a477f597d28d172789f06886806bc55\n"
                           b"# This folder is scopeplan's cache; see https://bford.info/cachedir/\n")


def _prune(base: Path, keep: str) -> None:
    """Remove the folders older scanners left (best effort; a concurrent run simply rebuilds)."""
    for child in base.iterdir():
        if child.is_dir() and child.name != keep and len(child.name) == len(keep) and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


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
