"""How the command line fails: scopeplan's own errors as one line and exit 3, a bug as exit 4, a traceback
only under --debug (or SCOPEPLAN_DEBUG=1)."""

from __future__ import annotations

import os
import sys

import click

EXIT_OK, EXIT_DRIFT, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
ISSUES = "https://github.com/OWNER/scopeplan/issues"  # NOTE: the repository's real address once it is public


def fail(ctx, exc: Exception) -> None:
    """Report an exception a command raised and exit: 3 for scopeplan's own errors and OS errors, 4 for a bug."""
    if isinstance(exc, _our_errors()):
        click.echo(f"scopeplan: error: {exc}", err=True)
        sys.exit(EXIT_INCOMPLETE)
    if isinstance(exc, OSError):  # writing the baseline or --output: a full disk, a missing directory
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"scopeplan: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_INCOMPLETE)
    # a bug: CI must tell it from drift (1) and from a failed analysis (3)
    if _debugging(ctx):
        import traceback

        traceback.print_exc()
    else:
        click.echo(f"scopeplan failed: {type(exc).__name__}: {_first_line(exc)} — please report it at "
                   f"{ISSUES} (rerun with --debug for the traceback)", err=True)
    sys.exit(EXIT_INTERNAL)


# scopeplan's own errors (exit 3), by module: one that was raised was imported, so only loaded modules are asked
_ERRORS = (("scopeplan.baseline", "BaselineError"), ("scopeplan.catalogue.load", "CatalogueError"),
           ("scopeplan.config", "ConfigError"), ("scopeplan.plan", "PlanError"))


def _our_errors() -> tuple[type, ...]:
    return tuple(getattr(sys.modules[module], name) for module, name in _ERRORS if module in sys.modules)


def _debugging(ctx) -> bool:
    return bool(ctx.meta.get("scopeplan.debug")) or os.environ.get("SCOPEPLAN_DEBUG") == "1"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "(no message)"


def _set_debug(ctx, param, value: bool) -> None:
    if value:
        ctx.meta["scopeplan.debug"] = True


debug = click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
                     help="Show the traceback of an internal error (exit 4).")
