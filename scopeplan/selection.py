"""Which files a run scans: the project's include/exclude globs, and test files left out unless asked for."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from scopeplan.config import Config
from scopeplan.scanner.files import Discovered, discover


def selected(root: Path, config: Config,
             listings: dict[str, tuple[object, ...]] | None = None) -> tuple[Discovered | None, int]:
    """The files to scan (None: all) and how many test files were left out (`listings`: see `discover`).

    `[tool.scopeplan]` include/exclude globs match posix paths relative to root. Tests are left out unless
    `include-tests = true`: they call the library with placeholders against mocks, which adds false sites
    and, being the only callers, hides the library's real unresolved ones.
    """
    if not root.is_dir() or (config.include_tests and not (config.include or config.exclude)):
        return None, 0
    prefix = str(root).rstrip("/") + "/"
    found = discover(root, listings)
    keep, tests = Discovered(), 0
    keep.notices = found.notices  # links and special files discovery skipped: still reported
    keep.links = found.links
    include, exclude, skip_tests = config.include, config.exclude, not config.include_tests
    for path in found:
        text = str(path)  # discovered under root: no realpath needed
        relative = text[len(prefix):] if text.startswith(prefix) else Path(os.path.relpath(text, root)).as_posix()
        if include and not any(fnmatch.fnmatchcase(relative, g) for g in include):
            continue
        if exclude and any(fnmatch.fnmatchcase(relative, g) for g in exclude):
            continue
        if skip_tests and is_test(relative):
            tests += 1
            continue
        keep.append(path)
    if not tests and not (config.include or config.exclude):
        return None, 0  # the whole tree: let the scan keep its complete manifest
    return keep, tests


def scan_options(config: Config) -> dict:
    """How a plan's files are scanned (`scanner.scan`'s keywords): the cache and workers the configuration
    sets, the modules it names always parsed, notices kept for the plan to report."""
    named = (*config.entry_points, *(f for f, _ in config.modules), *(f for f, _ in config.runs_per_day if f != "*"))
    return {"use_cache": config.cache, "workers": config.workers, "keep": named, "on_notice": lambda notice: None}


_TEST_DIRS = frozenset({"test", "tests"})


def is_test(relative: str) -> bool:
    """`test/`, `tests/`, `test_*.py`, `*_test.py` and `conftest.py` (not every `test.py`: packages ship those)."""
    folders, _, name = relative.rpartition("/")
    return (name == "conftest.py" or (name.startswith("test_") or name.endswith("_test.py")) and name.endswith(".py")
            or bool(folders) and not _TEST_DIRS.isdisjoint(folders.split("/")))
