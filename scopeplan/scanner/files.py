"""Find the Python files of a project and read them, turning every bad file into an error row."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from scopeplan.safeio import read_open

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", ".scopeplan_cache", ".idea", ".vscode",
})
MAX_BYTES = 2_000_000  # larger .py files are generated code or data, not integrations


class Discovered(list):
    """The Python files `discover` found (a list of path strings), with `notices`: entries it skipped and why,
    and `links`: the files among them that are symbolic links (to a file inside the root)."""

    notices: list[str]
    links: set[str]

    def __init__(self, *args: list[str]) -> None:
        super().__init__(*args)
        self.notices = []
        self.links = set()


# A file or folder whose mtime/ctime is this close before the moment it was checked may still change without
# its stat changing (a write in the same timestamp tick): it is checked again until a later check proves it.
# File systems with sub-second timestamps tick with the kernel's coarse clock (a few ms); the others (FAT,
# HFS+, old ext3) in whole seconds, FAT in two.
FINE_NS = 20_000_000
COARSE_NS = 2_000_000_000


def settled(mtime_ns: int, ctime_ns: int, checked: int | None) -> bool:
    """Whether something with these timestamps, checked at `checked` (ns), cannot have changed since
    without its timestamps changing."""
    if checked is None:
        return False
    grain = FINE_NS if ctime_ns % 1_000_000_000 else COARSE_NS
    return max(mtime_ns, ctime_ns) + grain <= checked


def discover(root: Path, listings: dict | None = None) -> Discovered:
    """Python files under root (as strings: `root` joined with `/`-free names), sorted, skipping virtualenvs,
    VCS, dependency, build and cache folders.

    A folder's files come before its subfolders', subfolders in name order; symlinked folders are not
    followed. One `scandir` per folder and no `stat`: a venv is known by the `pyvenv.cfg` in its listing.
    Iterative, on strings, so a tree of any depth is fine. A folder that cannot be listed is returned
    as a path of its own, so that reading it gives its error row. Only regular files are returned:
    FIFOs, devices, and links that loop, dangle, or lead out of root or to something not a regular
    file are skipped with a notice.

    `listings` (a dict kept between runs, updated in place) spares the `scandir` of a folder whose stat is the one it had when it was listed, once settled:
    adding, removing or renaming an entry changes a folder's mtime. A folder holding a link or a skipped
    entry is always listed (a link's target can change without its folder changing).
    """
    found = Discovered()
    top = os.fspath(root)
    if not os.path.isdir(top):
        found.append(top)
        return found
    real_root = os.path.realpath(top)
    names: list[str] = []
    stack = [(top, True)]
    while stack:
        folder, is_top = stack.pop()
        known = listings.get(folder) if listings is not None else None
        if known is not None:
            stat = _folder_stat(folder)
            if stat is not None and stat == known[0] and settled(stat[0], stat[1], known[1]):
                if known[2] is not None:  # None: a virtualenv, skipped
                    prefix = folder if folder.endswith(os.sep) else folder + os.sep  # os.path.join, faster
                    names.extend([prefix + name for name in known[2]])
                    stack.extend([(prefix + name, False) for name in reversed(known[3])])
                continue
        before = _folder_stat(folder) if listings is not None else None
        checked = time.time_ns()  # stat, then list: both after this moment
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            names.append(folder)  # read() says why, as this folder's error row
            continue
        if not is_top and any(e.name == "pyvenv.cfg" for e in entries):
            if before is not None:
                listings[folder] = (before, checked, None, None)
            continue
        dirs, files = [], []
        plain = True  # no link and nothing skipped: the listing alone says what this folder holds
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info"):
                    dirs.append(entry.name)
            elif entry.name.endswith(".py"):
                why = _unusable(entry, real_root)
                if why is None:
                    files.append(entry.name)
                    if entry.is_symlink():
                        found.links.add(entry.path)
                        plain = False
                else:
                    plain = False
                    if why:
                        found.notices.append(f"{os.path.relpath(entry.path, top)}: skipped: {why}")
        files.sort()
        dirs.sort()
        names.extend(os.path.join(folder, name) for name in files)
        stack.extend((os.path.join(folder, name), False) for name in reversed(dirs))
        if before is not None:
            row = (before, checked, tuple(files), tuple(dirs)) if plain else None
            if row is None:
                listings.pop(folder, None)
            else:
                listings[folder] = row
    found.extend(names)
    return found


def _folder_stat(folder: str) -> tuple[int, int, int, int] | None:
    """What a folder's listing is compared by: mtime, ctime, inode, device (never through a link)."""
    try:
        st = os.lstat(folder)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev) if stat.S_ISDIR(st.st_mode) else None


def _unusable(entry: os.DirEntry, real_root: str) -> str | None:
    """Why a `*.py` entry is not scanned ("" for a link to a folder: silently skipped), or None."""
    try:
        if entry.is_file(follow_symlinks=False):
            return None
        if not entry.is_symlink():
            return "not a regular file (a FIFO, socket or device)"
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    try:
        target = os.path.realpath(entry.path, strict=True)
    except FileNotFoundError:
        return "a symbolic link to nothing (dangling)"
    except OSError as exc:
        return f"a symbolic link that cannot be followed ({exc.strerror or exc})"
    if os.path.isdir(target):
        return ""  # a linked folder: folders links are never followed
    if os.path.commonpath([real_root, target]) != real_root:
        return f"a symbolic link to {target}, outside the scanned folder"
    if not os.path.isfile(target):
        return f"a symbolic link to {target}, which is not a regular file"
    return None


# how scanned files and the cache's files are opened: never blocking (a FIFO), never translating bytes (Windows)
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def read(path: str | Path) -> bytes | str:
    """The file's bytes, or a message saying why it cannot be scanned.

    Only a regular file is read (opened non-blocking, checked with fstat): a FIFO or a device named
    `x.py` is an error row, never a hang.
    """
    try:
        fd = os.open(path, READ_FLAGS)
    except PermissionError:
        return "cannot read the file: permission denied"
    except IsADirectoryError:
        return _folder_error(path)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return _folder_error(path)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file (a FIFO, socket or device), not scanned"
        if st.st_size > MAX_BYTES:
            return _too_large(st.st_size)
        found = read_open(fd, MAX_BYTES)
        if found is None:
            return f"file is too large to scan (it grew past the {MAX_BYTES / 1e6:.0f} MB limit while being read)"
        data = found
    except PermissionError:
        return "cannot read the file: permission denied"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if b"\0" in data:
        return "binary file (it contains NUL bytes), not Python source"
    return data


def _too_large(size: int) -> str:
    return f"file is too large to scan ({size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB)"


def _folder_error(path: str | Path) -> str:
    """The error row of a folder discovery could not list."""
    try:
        with os.scandir(path):
            pass
    except PermissionError:
        return "cannot read the folder: permission denied; its files are not scanned"
    except OSError as exc:
        return f"cannot read the folder: {exc.strerror or exc}; its files are not scanned"
    return "the folder could not be listed while scanning; its files are not scanned"


def module_name(relative: str | Path) -> tuple[str, bool]:
    """Dotted module name of a path relative to the root (posix string or Path), and whether it is a
    package `__init__`."""
    if isinstance(relative, str):
        parts = relative.split("/")
        if all(part and part != "." and part != ".." for part in parts):  # the usual case: no Path needed
            stem, dot, suffix = parts[-1].rpartition(".")
            if dot and stem.strip("."):
                parts[-1] = stem
            last = parts[-1]
            package = last == "__init__"
            if package:
                parts.pop()
            return ".".join(parts) or last, package
        relative = Path(relative)
    parts = list(relative.with_suffix("").parts)
    package = parts[-1] == "__init__"
    if package:
        parts.pop()
    return ".".join(parts) or relative.stem, package


def root_package(base: Path) -> str | None:
    """The package the scanned folder is, when it holds an `__init__.py`: its own absolute imports
    (`from zoho.core import x` inside `zoho/`) name its modules with that name."""
    return base.name if base.name.isidentifier() and (base / "__init__.py").is_file() else None
