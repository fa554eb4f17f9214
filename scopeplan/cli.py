"""The command line: flags in, one pipeline call, a rendered report out, a documented exit code.

Exit codes: 0 ok; 1 drift found by `check` (new scopes, new unresolved or unmatched calls); 2 usage error;
3 the analysis could not be done (bad config, catalogue or baseline, unreadable path), or under --strict is
incomplete; 4 internal error (a bug in scopeplan: the traceback only under --debug).

PATH decides the project: the nearest folder at or above it with a pyproject.toml that has [tool.scopeplan],
a .scopeplan.json or .git (config.find_root). Config and baseline are read there, the whole project is
analysed, paths in reports are relative to it, and `scan` reports only what lies under PATH (`explain`,
`check` and `baseline` judge the whole project: a scope is granted to, or dropped from, all of it).
Flags left out are None, so `[tool.scopeplan]` decides; paths in pyproject.toml are relative to it,
paths on the command line to the current directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from scopeplan import __version__, clierrors
from scopeplan.clierrors import (  # noqa: F401 (the exit codes, documented above, are this module's too)
    EXIT_DRIFT, EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, debug as _debug)
from scopeplan.quickscan import beside as _beside, catalogue_spec, names_no_file as _names_no_file



class _Group(click.Group):
    """Turns scopeplan's own errors into one line on stderr and exit 3, and a bug into exit 4 (clierrors.py)."""

    def get_command(self, ctx, name):
        if name == "catalogue" and name not in self.commands:
            _register()
        return super().get_command(ctx, name)

    def list_commands(self, ctx):
        return sorted({*self.commands, "catalogue"})

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            clierrors.fail(ctx, exc)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scopeplan")
@_debug
def main() -> None:
    """Least-privilege Zoho CRM OAuth scopes and worst-case API credits, read from your code.

    \b
    Exit codes:
      0  ok
      1  drift found by check: a new scope, a new unresolved or unmatched call,
         credits over a configured tolerance or budget, a scope --granted lacks
      2  usage error
      3  the analysis could not be done, or is incomplete under --strict
      4  internal error (a bug in scopeplan; the traceback under --debug)
    """


class _Formats(click.Choice):
    """The report formats, read from the registry only when a command needs them (not for `--version`)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self):
        from scopeplan.report import FORMATS

        return tuple(sorted(FORMATS))

    @choices.setter
    def choices(self, value) -> None:
        pass  # click's __init__ sets them; the registry decides


def _options(*decorators):
    """Several click decorators as one, applied in the order they are listed."""

    def apply(f):
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


_analysis = _options(
    click.argument("path", default=".", type=click.Path(path_type=Path)),
    _debug,
    click.option("--root", "root_option", type=click.Path(file_okay=False, path_type=Path), envvar="SCOPEPLAN_ROOT",
                 metavar="DIR", help="The project root (PATH must be inside it). Default: the nearest folder at or "
                                     "above PATH with a pyproject.toml that has [tool.scopeplan], a .scopeplan.json "
                                     "or .git; else PATH. Also $SCOPEPLAN_ROOT."),
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
                       help="scan, baseline: exit 3 when a call is unresolved or unmatched or a file failed. "
                            "check: exit 3 when a file failed.")
_report = _options(
    click.option("--format", "fmt", type=_Formats(), default="text", show_default=True),
    click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the report to FILE (atomically) instead of standard output."),
)
_baseline_file = click.option("--baseline", "baseline_file", metavar="FILE",
                              help="The baseline file. Default: [tool.scopeplan] baseline, else .scopeplan.json.")


@main.command()
@_analysis
@_strict
@_report
def scan(path: Path, root_option, catalogue_spec, compact, cache, workers, strict, fmt: str,
         output: Path | None) -> None:
    """Find every Zoho CRM call under PATH and print the scopes and credits it needs."""
    root, only = _project(path, root_option)
    conf = _config(root, catalogue_spec, compact=compact, strict=strict, cache=cache, workers=workers)
    kept = _plan(root, conf, only)
    _emit(kept, None, fmt, output)
    if conf.strict and not kept.complete:
        _why_incomplete(kept.plan)
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_OK)


@main.command()
@_analysis
@_strict
@_report
@_baseline_file
@click.option("--credit-tolerance", type=click.FloatRange(min=0), metavar="PERCENT",
              help="Fail when worst-case credits rise more than this over the baseline. Default: "
                   "[tool.scopeplan]; when neither sets it (nor a budget), credit changes are only reported.")
@click.option("--fail-on-unused", is_flag=True, help="Exit 1 also when the baseline grants scopes no call needs.")
@click.option("--granted", "granted_scopes", metavar="SCOPES",
              help="Scopes configured in the Zoho API console, comma separated: exit 1 when the code needs one "
                   "they do not grant. Default: [tool.scopeplan] granted. Without a baseline file only this is checked.")
@click.option("--allow-new-unresolved", is_flag=True,
              help="Report new unresolved and unmatched calls without failing (exit 0 for them).")
def check(path: Path, root_option, catalogue_spec, compact, cache, workers, strict, fmt, output, baseline_file,
          credit_tolerance, fail_on_unused: bool, granted_scopes: str | None, allow_new_unresolved: bool) -> None:
    """Fail (exit 1) when PATH needs scopes, or makes calls, its baseline (or --granted) does not approve."""
    from scopeplan import baseline
    from scopeplan.drift import diff

    granted = _granted(granted_scopes)
    root, _ = _project(path, root_option)
    conf = _config(root, catalogue_spec, compact=compact, strict=strict, baseline=_from_cwd(baseline_file),
                   credit_tolerance=credit_tolerance, cache=cache, workers=workers, granted=granted,
                   granted_source="--granted" if granted else None)
    target = _beside(root, conf.baseline)
    approved = None if conf.granted and not target.exists() else baseline.load(target)
    result = _plan(root, conf).plan
    drift = None if approved is None else diff(approved, result, tolerance=conf.credit_tolerance, strict=conf.strict,
                                               fail_on_unused=fail_on_unused,
                                               allow_new_unresolved=allow_new_unresolved)
    _emit(result, drift, fmt, output)
    if conf.strict and result.errors:
        _why_incomplete(result, files_only=True)
        sys.exit(EXIT_INCOMPLETE)
    under = any(g.console and g.under for g in result.grants)
    sys.exit(EXIT_DRIFT if under or (drift is not None and drift.failed) else EXIT_OK)


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
def baseline_command(path: Path, root_option, catalogue_spec, compact, cache, workers, strict, baseline_file) -> None:
    """Approve what PATH needs now: write its scopes, endpoints and credits to the baseline file."""
    from scopeplan import baseline

    root, _ = _project(path, root_option)
    conf = _config(root, catalogue_spec, compact=compact, strict=strict, baseline=_from_cwd(baseline_file),
                   cache=cache, workers=workers)
    result = _plan(root, conf).plan
    if conf.strict and not result.complete:
        click.echo("scopeplan: error: the analysis is incomplete (see `scopeplan scan`); "
                   "no baseline written under --strict", err=True)
        _why_incomplete(result)
        sys.exit(EXIT_INCOMPLETE)
    target = _beside(root, conf.baseline)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the explanation to FILE (atomically) instead of standard output.")
def explain(scope: str, path: Path, root_option, catalogue_spec, compact, cache, workers, fmt: str,
            output: Path | None) -> None:
    """Show every call under PATH that needs SCOPE, through which endpoint, and what breaks without it."""
    import json

    from scopeplan import explain as explaining
    from scopeplan.baseline import atomic_write

    root, _ = _project(path, root_option)  # a scope is dropped for the whole project: every call of it is considered
    result = _plan(root, _config(root, catalogue_spec, compact=compact, cache=cache, workers=workers)).plan
    e = explaining.explain(result, scope)
    text = explaining.render(e) if fmt == "text" else json.dumps(explaining.to_dict(e), indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write(output, text)
        click.echo(f"scopeplan explain: {fmt} written to {output}")


def _project(path: Path, given: Path | None = None) -> tuple[Path, str | None]:
    """(project root, the part of it PATH names, posix, or None for all of it); says so when they differ."""
    from scopeplan.config import find_root

    if not path.exists():
        from scopeplan.plan import PlanError

        raise PlanError(f"{path}: no such file or directory")
    if given is not None:
        if not given.is_dir():
            raise click.BadParameter(f"{given}: not a folder", param_hint="--root")
        if given.resolve() != path.resolve() and given.resolve() not in path.resolve().parents:
            raise click.BadParameter(f"PATH {path} is not inside {given}", param_hint="--root")
        root, marker = given, "--root"
    else:
        root, found = find_root(path)
        marker = found or ""
    if not marker or root.resolve() == path.resolve() or root.resolve() not in path.resolve().parents:
        return path, None  # also PATH through a symlink that leads out of the folder holding the marker
    only = path.resolve().relative_to(root.resolve()).as_posix()
    why = "given by --root" if marker == "--root" else f"it has {marker}"
    click.echo(f"scopeplan: project root {_shown(root)} ({why}); config and baseline are read there, "
               f"paths are relative to it", err=True)
    return root, only


def _shown(path: Path) -> str:
    """A folder as the user would type it: relative when it is the current directory, above or below it."""
    path, here = path.resolve(), Path.cwd().resolve()
    if path == here or path in here.parents or here in path.parents:
        return Path(os.path.relpath(path, here)).as_posix()
    return path.as_posix()


def _why_incomplete(result, files_only: bool = False) -> None:
    """Under --strict, exit 3 says on stderr which calls and files made the analysis incomplete."""
    lines = [f"  {e.file}: could not be scanned: {e.message}" for e in result.errors]
    if not files_only:
        lines += [f"  {r.site.location.file}:{r.site.location.line}: {r.status}: {r.reason}" for r in result.open_calls]
    click.echo(f"scopeplan: --strict: the analysis is incomplete ({len(lines)} "
               f"{'reason' if len(lines) == 1 else 'reasons'}):", err=True)
    for line in lines:
        click.echo(line, err=True)


def _config(path: Path, catalogue_spec: str | None, **overrides):
    from scopeplan import config

    return config.load(path, catalogue=_from_cwd(catalogue_spec), **overrides)


def _plan(path: Path, conf, only: str | None = None):
    """The plan of the project (a plancache.Kept); a warm run with nothing changed loads the one it kept."""
    from scopeplan import plancache

    spec = catalogue_spec(path, conf.catalogue)

    def build(loaded, files, facts):
        from scopeplan import catalogue
        from scopeplan.plan import plan

        found = loaded if loaded is not None else catalogue.load(spec, max_age_days=conf.cache_max_age_days)
        return plan(path, found, compact=conf.compact, config=conf, only=only, files=files, facts=facts)

    return plancache.plan(path, conf, only, spec, build)


def _emit(result, drift, fmt: str, output: Path | None) -> None:
    """Print or write the report; `result` is a Plan, or a plancache.Kept whose scan reports are kept."""
    from scopeplan.plancache import Kept
    from scopeplan.report import FORMATS

    if isinstance(result, Kept):
        report = result.report(fmt, lambda plan: FORMATS[fmt](plan, None))
    else:
        report = FORMATS[fmt](result, drift)
    if output is None:
        click.echo(report, nl=False)
        return
    from scopeplan.baseline import atomic_write
    from scopeplan.report import text

    atomic_write(output, report)
    verdict = f"check: {text.verdict(result, drift)}; " if drift is not None else ""
    click.echo(f"scopeplan {verdict}{fmt} report written to {output}")


def _from_cwd(value: str | None) -> str | None:
    """A path given on the command line, made absolute so that it stays relative to where the user is."""
    if value is None or _names_no_file(value):
        return value
    return str(Path(value).absolute())




class _DataCentre(click.ParamType):
    """`--dc`: a data centre key in any case (`EU`), or its domain's top-level part (`com.au`, `.eu`)."""

    name = "dc"

    def __init__(self, keys: dict[str, tuple[str, str]]):
        self.keys = keys

    def get_metavar(self, param, ctx=None) -> str:  # click 8.2 passes ctx
        return "[" + "|".join(self.keys) + "]"

    def convert(self, value, param, ctx):
        wanted = str(value).strip().lower().lstrip(".")
        for key, (domain, _accounts) in self.keys.items():
            if wanted in (key, domain, domain.removeprefix("zohoapis.")):
                return key
        known = ", ".join(f"{key} ({domain.removeprefix('zohoapis.')})" for key, (domain, _) in self.keys.items())
        self.fail(f"{value!r} is not a Zoho data centre (known: {known})", param, ctx)


def _register() -> None:
    """Subcommand groups that live beside the modules they drive; added when first asked for (the group's
    `get_command`), so that `scan` and `--version` never import the fetch code."""
    from scopeplan.catalogue.commands import catalogue
    from scopeplan.catalogue.target import DATA_CENTRES

    main.add_command(catalogue)
    # NOTE: the --dc option is declared in catalogue/commands.py; its type is swapped here so that the
    # spelling users type (EU, com.au) is accepted without a second data-centre table
    for command in catalogue.commands.values():
        for param in command.params:
            if param.name == "dc":
                param.type = _DataCentre(DATA_CENTRES)

