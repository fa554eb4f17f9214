"""Find the Python files of a project and read them, turning every bad file into an error row."""

from __future__ import annotations

import os
from pathlib import Path

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", ".scopeplan_cache", ".idea", ".vscode",
})
MAX_BYTES = 2_000_000  # larger .py files are generated code or data, not integrations


def discover(root: Path) -> list[Path]:
    """Python files under root, sorted, skipping virtualenvs, VCS, dependency, build and cache folders.

    A folder's files come before its subfolders', subfolders in name order; symlinked folders are not
    followed. One `scandir` per folder and no `stat`: a venv is known by the `pyvenv.cfg` in its listing.
    """
    if root.is_file():
        return [root]
    found: list[str] = []
    _walk(str(root), found, top=True)
    return list(map(Path, found))


def _walk(folder: str, found: list[str], top: bool = False) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    if not top and any(e.name == "pyvenv.cfg" for e in entries):
        return
    dirs, files = [], []
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info"):
                dirs.append(entry.name)
        elif entry.name.endswith(".py") and not (entry.is_symlink() and _is_dir(entry)):
            files.append(entry.name)
    found.extend(os.path.join(folder, name) for name in sorted(files))
    for name in sorted(dirs):
        _walk(os.path.join(folder, name), found)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def read(path: Path) -> bytes | str:
    """The file's bytes, or a message saying why it cannot be scanned."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return f"file is too large to scan ({size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB)"
        data = path.read_bytes()
    except PermissionError:
        return "cannot read the file: permission denied"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    if b"\0" in data:
        return "binary file (it contains NUL bytes), not Python source"
    return data


def module_name(relative: Path) -> tuple[str, bool]:
    """Dotted module name of a path relative to the root, and whether it is a package `__init__`."""
    parts = list(relative.with_suffix("").parts)
    package = parts[-1] == "__init__"
    if package:
        parts.pop()
    return ".".join(parts) or relative.stem, package
