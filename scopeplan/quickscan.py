"""`scopeplan scan [PATH] [--format F]` on a tree nothing changed in: the kept report, before click loads.

A pre-commit hook runs this on every commit; click and the command definitions are a fifth of such a
run. Only the plain form is answered here, and only when the kept plan vouches for the tree and its
report in that format was kept: everything else (other options, a project root above PATH, --strict
that fails, any error) returns False and the command line does the run, from where this stopped
(`plancache.warm`), with its own messages and exit codes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def plain(args: list[str]) -> tuple[str, str] | None:
    """(PATH, format) of `scan` arguments that are at most a PATH and `--format F`; None for any other."""
    path, fmt = None, "text"
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--format" and rest:
            fmt = rest.pop(0)
        elif arg.startswith("--format="):
            fmt = arg[len("--format="):]
        elif path is None and arg and not arg.startswith("-"):
            path = arg
        else:
            return None
    return path or ".", fmt


def answer(args: list[str]) -> bool:
    """Print the kept report of `scan args` and return True, or return False having printed nothing."""
    found = plain(args)
    if found is None or os.environ.get("SCOPEPLAN_ROOT"):
        return False
    path = Path(found[0])  # a format no report was kept in (an unknown one too) goes to the command line
    try:
        report = _kept_report(path, found[1])
    except KeyboardInterrupt:
        raise
    except Exception:  # the command line does the run and says what went wrong, as it always does
        return False
    if report is None:
        return False
    sys.stdout.write(report)
    sys.stdout.flush()
    return True


def _kept_report(path: Path, fmt: str) -> str | None:
    from scopeplan import config, plancache

    if not path.exists():
        return None
    root, marker = config.find_root(path)
    if marker and root.resolve() != path.resolve() and root.resolve() in path.resolve().parents:
        return None  # PATH is part of a project: the command line says which root it took
    conf = config.load(path)
    kept = plancache.warm(path, conf, None, catalogue_spec(path, conf.catalogue))
    if kept is None or (conf.strict and not kept.complete):
        return None
    return kept.reports.get(fmt)


def catalogue_spec(root: Path, value: str) -> str:
    """The catalogue a project's configuration names: `bundled`, `live[:...]`, or a file relative to it."""
    return value if names_no_file(value) else str(beside(root, value))


def beside(path: Path, value: str) -> Path:
    """A path from [tool.scopeplan], relative to the project (an absolute one, e.g. from a flag, stays)."""
    return (path if path.is_dir() else path.parent) / value


def names_no_file(catalogue_spec: str) -> bool:
    """`bundled`, `live` and `live:<selector>` name catalogues, not files."""
    return catalogue_spec == "bundled" or catalogue_spec == "live" or catalogue_spec.startswith("live:")
