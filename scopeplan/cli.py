"""The command line: flags in, one pipeline call, a rendered report out, a documented exit code.

Exit codes: 0 ok; 1 drift found by `check`; 2 usage error; 3 the analysis could not be done
(bad config, catalogue or baseline, unreadable path), or under --strict is incomplete.

Flags left out are None, so `[tool.scopeplan]` decides; paths in pyproject.toml are relative to it,
paths on the command line to the current directory.
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
        from scopeplan.baseline import BaselineError
        from scopeplan.catalogue import CatalogueError
        from scopeplan.config import ConfigError
        from scopeplan.plan import PlanError

        try:
            return super().invoke(ctx)
        except (BaselineError, CatalogueError, ConfigError, PlanError) as exc:
            click.echo(f"scopeplan: error: {exc}", err=True)
            sys.exit(EXIT_INCOMPLETE)
        except OSError as exc:  # writing the baseline or --output: a full disk, a missing directory
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"scopeplan: error: {where}{exc.strerror or exc}", err=True)
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


def _options(*decorators):
    """Several click decorators as one, applied in the order they are listed."""

    def apply(f):
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


_analysis = _options(
    click.argument("path", default=".", type=click.Path(path_type=Path)),
    click.option("--catalogue", "catalogue_spec", metavar="bundled|live|FILE",
                 help="The __apis catalogue: bundled (derived from the Zoho SDK), live (the last `scopeplan "
                      "catalogue fetch`, from the cache) or a JSON file. Default: [tool.scopeplan], else bundled."),
    click.option("--compact/--no-compact", default=None,
                 help="Fold X.READ/CREATE/UPDATE/DELETE into X.ALL where all four are needed."),
    click.option("--cache/--no-cache", default=None,
                 help="Reuse the facts of unchanged files from .scopeplan_cache/ in PATH (default: on)."),
    click.option("--workers", type=click.IntRange(min=0), default=None, metavar="N",
                 help="Processes that parse files (default 0: one per core)."),
)
_strict = click.option("--strict/--no-strict", default=None,
                       help="scan, baseline: exit 3 when a call is unresolved or a file failed. "
                            "check: exit 1 on new unresolved calls, 3 when a file failed.")
_report = _options(
    click.option("--format", "fmt", type=click.Choice(_formats()), default="text", show_default=True),
    click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the report to FILE (atomically) instead of standard output."),
)
_baseline_file = click.option("--baseline", "baseline_file", metavar="FILE",
                              help="The baseline file. Default: [tool.scopeplan] baseline, else .scopeplan.json.")


@main.command()
@_analysis
@_strict
@_report
def scan(path: Path, catalogue_spec, compact, cache, workers, strict, fmt: str, output: Path | None) -> None:
    """Find every Zoho CRM call under PATH and print the scopes and credits it needs."""
    conf = _config(path, catalogue_spec, compact=compact, strict=strict, cache=cache, workers=workers)
    result = _plan(path, conf)
    _emit(result, None, fmt, output)
    sys.exit(EXIT_INCOMPLETE if conf.strict and not result.complete else EXIT_OK)


@main.command()
@_analysis
@_strict
@_report
@_baseline_file
@click.option("--credit-tolerance", type=click.FloatRange(min=0), metavar="PERCENT",
              help="Allowed rise of worst-case credits over the baseline. Default: [tool.scopeplan], else 0.")
@click.option("--fail-on-unused", is_flag=True, help="Exit 1 also when the baseline grants scopes no call needs.")
@click.option("--granted", "granted_scopes", metavar="SCOPES",
              help="Scopes configured in the Zoho API console, comma separated: exit 1 when the code needs one "
                   "they do not grant. Default: [tool.scopeplan] granted. Without a baseline file only this is checked.")
def check(path: Path, catalogue_spec, compact, cache, workers, strict, fmt, output, baseline_file,
          credit_tolerance, fail_on_unused: bool, granted_scopes: str | None) -> None:
    """Fail (exit 1) when PATH needs scopes or credits its committed baseline (or --granted) does not grant."""
    from scopeplan import baseline
    from scopeplan.drift import diff

    granted = _granted(granted_scopes)
    conf = _config(path, catalogue_spec, compact=compact, strict=strict, baseline=_from_cwd(baseline_file),
                   credit_tolerance=credit_tolerance, cache=cache, workers=workers, granted=granted,
                   granted_source="--granted" if granted else None)
    target = _beside(path, conf.baseline)
    approved = None if conf.granted and not target.exists() else baseline.load(target)
    result = _plan(path, conf)
    drift = None if approved is None else diff(approved, result, tolerance=conf.credit_tolerance, strict=conf.strict,
                                               fail_on_unused=fail_on_unused)
    _emit(result, drift, fmt, output)
    under = any(g.console and g.under for g in result.grants)
    sys.exit(EXIT_INCOMPLETE if conf.strict and result.errors else
             EXIT_DRIFT if under or (drift is not None and drift.failed) else EXIT_OK)


def _granted(value: str | None) -> tuple[str, ...] | None:
    """`--granted "A,B"` as canonical scopes; a string that is not a scope is a usage error."""
    if value is None:
        return None
    from scopeplan.scopes import ScopeError, parse

    try:
        return tuple(str(parse(s)) for s in value.replace(" ", ",").split(",") if s)
    except ScopeError as exc:
        raise click.BadParameter(str(exc), param_hint="--granted") from None


@main.command("baseline")
@_analysis
@_strict
@_baseline_file
def baseline_command(path: Path, catalogue_spec, compact, cache, workers, strict, baseline_file) -> None:
    """Approve what PATH needs now: write its scopes, endpoints and credits to the baseline file."""
    from scopeplan import baseline

    conf = _config(path, catalogue_spec, compact=compact, strict=strict, baseline=_from_cwd(baseline_file),
                   cache=cache, workers=workers)
    result = _plan(path, conf)
    if conf.strict and not result.complete:
        click.echo("scopeplan: error: the analysis is incomplete (see `scopeplan scan`); "
                   "no baseline written under --strict", err=True)
        sys.exit(EXIT_INCOMPLETE)
    target = _beside(path, conf.baseline)
    baseline.write(result, target)
    click.echo(f"scopeplan: wrote {target}: {baseline.summary(result)}")


def _scope(ctx, param, value: str) -> str:
    from scopeplan.scopes import ScopeError, parse

    try:
        return str(parse(value))
    except ScopeError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.argument("scope", callback=_scope)
@_analysis
def explain(scope: str, path: Path, catalogue_spec, compact, cache, workers) -> None:
    """Show every call under PATH that needs SCOPE, through which endpoint, and what breaks without it."""
    from scopeplan import explain as explaining

    result = _plan(path, _config(path, catalogue_spec, compact=compact, cache=cache, workers=workers))
    click.echo(explaining.render(explaining.explain(result, scope)), nl=False)


def _config(path: Path, catalogue_spec: str | None, **overrides):
    from scopeplan import config

    return config.load(path, catalogue=_from_cwd(catalogue_spec), **overrides)


def _plan(path: Path, conf):
    from scopeplan import catalogue
    from scopeplan.plan import plan

    spec = conf.catalogue if _names_no_file(conf.catalogue) else str(_beside(path, conf.catalogue))
    return plan(path, catalogue.load(spec, max_age_days=conf.cache_max_age_days), compact=conf.compact, config=conf)


def _emit(result, drift, fmt: str, output: Path | None) -> None:
    from scopeplan.baseline import atomic_write
    from scopeplan.report import FORMATS, text

    report = FORMATS[fmt](result, drift)
    if output is None:
        click.echo(report, nl=False)
        return
    atomic_write(output, report)
    verdict = f"check: {text.verdict(result, drift)}; " if drift is not None else ""
    click.echo(f"scopeplan {verdict}{fmt} report written to {output}")


def _beside(path: Path, value: str) -> Path:
    """A path from [tool.scopeplan], relative to the project (an absolute one, e.g. from a flag, stays)."""
    base = path if path.is_dir() else path.parent
    return base / value


def _from_cwd(value: str | None) -> str | None:
    """A path given on the command line, made absolute so that it stays relative to where the user is."""
    if value is None or _names_no_file(value):
        return value
    return str(Path(value).absolute())


def _names_no_file(catalogue_spec: str) -> bool:
    """`bundled`, `live` and `live:<selector>` name catalogues, not files."""
    return catalogue_spec == "bundled" or catalogue_spec == "live" or catalogue_spec.startswith("live:")


def _register() -> None:
    """Subcommand groups that live beside the modules they drive."""
    from scopeplan.catalogue.commands import catalogue

    main.add_command(catalogue)


_register()
