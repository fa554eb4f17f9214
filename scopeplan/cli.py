"""The command line: flags in, one pipeline call, a rendered report out, a documented exit code.

Exit codes: 0 ok; 1 drift found by `check`; 2 usage error; 3 the analysis could not be done
(bad catalogue, unreadable path), or under --strict is incomplete (unresolved calls, files that failed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scopeplan import __version__

EXIT_OK, EXIT_DRIFT, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class _Group(click.Group):
    """Turns scopeplan's own errors into one line on stderr and exit 3, never a traceback."""

    def invoke(self, ctx):
        from scopeplan.catalogue import CatalogueError
        from scopeplan.plan import PlanError

        try:
            return super().invoke(ctx)
        except (CatalogueError, PlanError) as exc:
            click.echo(f"scopeplan: error: {exc}", err=True)
            sys.exit(EXIT_INCOMPLETE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scopeplan")
def main() -> None:
    """Least-privilege Zoho CRM OAuth scopes and worst-case API credits, read from your code.

    \b
    Exit codes: 0 ok · 1 scope drift (check) · 2 usage error ·
                3 analysis failed, or incomplete under --strict
    """


def _formats() -> list[str]:
    from scopeplan.report import FORMATS

    return sorted(FORMATS)


@main.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--catalogue", "catalogue_spec", default="bundled", show_default=True, metavar="bundled|FILE",
              help="The __apis catalogue: the bundled one (derived from the Zoho SDK) or a JSON file.")
@click.option("--format", "fmt", type=click.Choice(_formats()), default="text", show_default=True)
@click.option("--compact", is_flag=True, help="Fold X.READ/CREATE/UPDATE/DELETE into X.ALL where all four are needed.")
@click.option("--strict", is_flag=True, help="Exit 3 when any call is unresolved or any file failed to scan.")
def scan(path: Path, catalogue_spec: str, fmt: str, compact: bool, strict: bool) -> None:
    """Find every Zoho CRM call under PATH and print the scopes and credits it needs."""
    from scopeplan import catalogue
    from scopeplan.plan import plan
    from scopeplan.report import FORMATS

    result = plan(path, catalogue.load(catalogue_spec), compact=compact)
    click.echo(FORMATS[fmt](result), nl=False)
    sys.exit(EXIT_INCOMPLETE if strict and not result.complete else EXIT_OK)


def _register() -> None:
    """Subcommand groups that live beside the modules they drive."""
    try:
        from scopeplan.catalogue.commands import catalogue
    except ImportError:  # the catalogue commands arrive with the live catalogue (issue 5)
        return
    main.add_command(catalogue)


_register()
