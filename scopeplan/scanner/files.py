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
    """Python files under root, sorted, skipping virtualenvs, VCS, dependency, build and cache folders."""
    if root.is_file():
        return [root]
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skip(Path(folder, d)))
        found.extend(Path(folder, f) for f in sorted(files) if f.endswith(".py"))
    return found


def _skip(path: Path) -> bool:
    name = path.name
    return name in SKIP_DIRS or name.endswith(".egg-info") or (path / "pyvenv.cfg").exists()


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
