"""The pipeline, and the only module that knows the stage order: scan, resolve, match, minimise."""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from functools import lru_cache
from importlib import resources
from dataclasses import replace
from pathlib import Path

from scopeplan import scopes as scope_algebra
from scopeplan.config import Config
from scopeplan.matcher import Matcher
from scopeplan.model import Catalogue, FileError, Hole, Plan, Resolution, Url
from scopeplan.scanner import Scanned, scan
from scopeplan.scanner.files import Discovered, root_package
from scopeplan.scanner.ir import Glob
from scopeplan.selection import scan_options, selected as _selected
from scopeplan import advice, credits, granted, jobs
from scopeplan.sites import choose
from scopeplan.sites.follow import call_edges, call_sites
from scopeplan.sites.http import looks_like_a_call
from scopeplan.program.project import Project


class PlanError(Exception):
    """The analysis cannot run (no such path, nothing to scan)."""


def plan(root: Path, catalogue: Catalogue, compact: bool = False, config: Config | None = None,
         only: str | None = None, files: tuple[Discovered | None, int] | None = None,
         facts: Scanned | None = None) -> Plan:
    """Scan `root` and judge every Zoho CRM call it makes against `catalogue`.

    `only` (a posix path relative to root) limits the report to the calls and files under it; the whole
    root is still analysed, so that wrappers, constants and imports elsewhere in the project resolve.
    `files`: what `selection.selected(root, config)` gives, when the caller has it already; `facts`: what `scan`
    gives for them (with `selection.scan_options`), likewise.
    """
    config = config or Config()
    if not root.exists():
        raise PlanError(f"{root}: no such file or directory")
    selected, tests_skipped = files if files is not None else _selected(root, config)
    if facts is None:
        facts = scan(root, selected, **scan_options(config))
    if not facts:
        raise PlanError(f"{root}: no Python files to scan")
    resolved = root.resolve()
    project = Project(facts, root_package(resolved if resolved.is_dir() else resolved.parent))
    _check_functions(config, facts, project)
    matcher = Matcher(catalogue)
    judged: dict = {}  # each site is judged once: while following wrappers, then for the report

    def judge(site):
        if site not in judged:
            judged[site] = matcher.resolve(site)
        return judged[site]

    def complete(site) -> bool:  # worth asking the callers of its function for more?
        r = judge(site)
        if r is None or r.status in ("matched", "deprecated"):
            return True
        # a hole in the query string never decides the endpoint; one in the path may
        return r.status == "unmatched" and "{" not in (r.path or "")

    resolutions = []
    imported = _imported(project)
    for site in call_sites(project, complete, dict(config.modules)):
        resolution = judge(site)
        if resolution is not None and _about_zoho(resolution, imported):
            resolutions.append(_with_candidates(matcher, resolution))
    everywhere = _one_each(choose.open_wrappers(choose.assume(sorted(set(resolutions), key=_order))))
    inside = _under(only)
    resolutions = [r for r in everywhere if inside(r.site.location.file)]
    first = call_edges(project)  # asked twice, as before: the second may see loops the first expanded (loops.bounds)
    edges = call_edges(project)
    decorated = tuple(fn.qualname for fn in project.functions.values()
                      if any(jobs.framework(d) for d in fn.decorators))
    if decorated:  # a framework runs these on its own: entry points even where something calls them
        points = credits.entry_points(resolutions, edges, (*config.entry_points, *decorated))
    else:
        points = credits.entry_points(resolutions, first, config.entry_points)
    budget = None
    if config.edition:
        budget = credits.budget(points, config.edition, config.users or 0, dict(config.runs_per_day),
                                {k: dict(v) for k, v in config.edition_limits})
    chosen = _scopes(resolutions, compact)
    found_jobs = jobs.jobs(resolutions, edges, ((f.qualname, f.decorators) for f in project.functions.values()),
                           config.entry_points, points)
    return Plan(
        root=root.as_posix(),
        catalogue=catalogue,
        resolutions=tuple(resolutions),
        scopes=chosen,
        compact=compact,
        errors=tuple(FileError(f.path, f.error) for f in facts if f.error and inside(f.path)),
        files_scanned=sum(1 for f in facts if inside(f.path)),
        entry_points=points,
        python2=tuple(sorted(f.path for f in facts if f.python2)),
        grants=granted.check(resolutions, _needed(resolutions), granted.requested(project, root),
                             config.granted, config.granted_source),
        jobs=found_jobs,
        splits=jobs.splits(found_jobs),
        advice=advice.advise(resolutions, edges, project.files),
        budget=budget,
        tests_skipped=tests_skipped,
        notices=tuple(sorted(facts.notices)),
        warnings=tuple(w for w in _silent(project, everywhere) if inside(w.file)),
        problems=_problems(facts, catalogue, config, inside),
        only=only,
    )


def _under(only: str | None):
    """A test for posix paths: inside `only` (a file or a folder), or everything when it is None."""
    if not only or only == ".":
        return lambda path: True
    prefix = only.rstrip("/")
    return lambda path: path == prefix or path.startswith(prefix + "/")


def _problems(facts, catalogue: Catalogue, config: Config, inside) -> tuple[FileError, ...]:
    """Problems of files that were still analysed (unknown hint keys, module names that are no module)."""
    found = {FileError(f.path, problem) for f in facts for problem in f.problems}
    found.update(_module_typos(facts, catalogue, config))
    return tuple(sorted((w for w in found if inside(w.file) or w.file == "pyproject.toml"),
                        key=lambda w: (w.file, _line_of(w.message), w.message)))


def _line_of(message: str) -> int:
    m = re.match(r"line (\d+):", message)
    return int(m.group(1)) if m else 0


# -- module names a person wrote: hints and [tool.scopeplan] modules ---------------------------------------------

_CUSTOM = re.compile(r"^\w+__c$")  # the API name of a custom module (Zoho appends __c)


def _known_modules(catalogue: Catalogue) -> dict[str, str]:
    """Lower-cased name -> spelling of every module scopeplan knows: data/modules.json and the catalogue's
    literal first segments that take a module scope."""
    names = {name.lower(): name for name in _module_table()}
    for endpoint in catalogue.endpoints:
        m = re.match(r"^/crm/(?:bulk/)?v[\d.]+/([A-Z]\w*)(?:/|$)", endpoint.template)
        if m and scope_algebra.module_token(m.group(1)) is not None:
            names.setdefault(m.group(1).lower(), m.group(1))
    return names


def module_problem(name: str, known: dict[str, str], custom: tuple[str, ...]) -> str | None:
    """Why a module name in a hint is suspect, or None when it is a known module or shaped like a custom one."""
    if name.lower() in known or _CUSTOM.match(name) or name.lower() in {c.lower() for c in custom}:
        return None
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    guess = f"did you mean {known[close[0]]}? " if close else ""
    return (f"`{name}` is not a module of the catalogue: {guess}a custom module's API name ends in __c; "
            f"list any other in [tool.scopeplan] custom-modules")


def _module_typos(facts, catalogue: Catalogue, config: Config) -> list[FileError]:
    known = _known_modules(catalogue)
    custom = config.custom_modules
    out = []
    for f in facts:
        for invoke in f.invokes:
            for key, value in invoke.hints:
                if key != "modules":
                    continue
                for name in (n.strip() for n in value.split(",")):
                    why = name and module_problem(name, known, custom)
                    if why:
                        out.append(FileError(f.path, f"line {invoke.line}: `# scopeplan: modules=`: {why}"))
    for function, names in config.modules:
        for name in names:
            why = module_problem(name, known, custom)
            if why:
                out.append(FileError("pyproject.toml", f"[tool.scopeplan] modules of `{function}`: {why}"))
    return out


def _check_functions(config: Config, facts, project: Project) -> None:
    """A function named in [tool.scopeplan] (modules, entry-points, runs-per-day) must exist: a typo would
    silently change nothing. PlanError names it and the closest real function."""
    failed = {f.module for f in facts if f.error}
    known = set(project.functions) | {f"{m}:<module>" for m in project.modules}
    where = {"modules": [f for f, _ in config.modules], "entry-points": list(config.entry_points),
             "runs-per-day": [f for f, _ in config.runs_per_day if f != "*"]}
    for key, names in where.items():
        for name in names:
            module = name.split(":", 1)[0]
            if module in failed or name in known:
                continue
            if any(ch in name for ch in "*?["):
                if any(fnmatch.fnmatchcase(k, name) for k in known) or not project.modules:
                    continue
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            guess = f"; did you mean `{close[0]}`?" if close else ""
            raise PlanError(f"[tool.scopeplan] {key}: `{name}` is not a function of the scanned project "
                            f"(expected \"package.module:function\" or \"package.module:Class.method\"){guess}")


# -- candidates of an unresolved call ------------------------------------------------------------------------------

def _with_candidates(matcher: Matcher, r: Resolution) -> Resolution:
    """An unresolved call with every scope it could need and the module names a hint could choose.

    NOTE: a stopgap until the matcher fills `Resolution.candidates` itself (it knows them when it writes
    "it could need A, B and 58 more"): each whole-segment hole of the URL is tried with every module name
    and literal segment of the catalogue, through the matcher's public `resolve`, so no matching rule is
    repeated here and no reason text is parsed. A call whose body decides a scope (`body_reason`) keeps no
    candidates: they are unknown, so every scope may be needed.
    """
    if r.status != "unresolved":
        return r
    scopes: set[str] = set(r.candidates)
    modules: set[str] = set()
    if not scopes and isinstance(r.site.url, Url) and isinstance(r.site.method, str) and not r.site.body_reason:
        scopes, modules = _tried(matcher, r.site)
    if not modules:  # candidates from the matcher: the modules whose scope token they name
        tokens = {m.group(1) for s in scopes if (m := re.match(r"(?i)^zohocrm\.modules\.(\w+)\.", s))}
        modules = {name for name, token in _module_table().items() if token in tokens}
    return replace(r, candidates=tuple(sorted({str(scope_algebra.parse(s)) for s in scopes})),
                   candidate_modules=tuple(sorted(modules)))


_TRIED: dict[tuple, tuple[set[str], set[str]]] = {}


def _tried(matcher: Matcher, site) -> tuple[set[str], set[str]]:
    """(scopes, module names) of every way to fill one whole-segment hole of the URL that matches.

    Memoised on the URL's shape (hole names do not matter): a wrapper's callers share one shape."""
    shape = tuple(None if isinstance(p, Hole) else p for p in site.url.parts)
    key = (matcher.catalogue.digest, shape, site.method, site.body_scopes, site.body_modules)
    if key in _TRIED:
        return _TRIED[key]
    scopes: set[str] = set()
    modules: set[str] = set()
    parts = site.url.parts
    for i, part in enumerate(parts):
        before = parts[i - 1] if i else ""
        after = parts[i + 1] if i + 1 < len(parts) else ""
        if not isinstance(part, Hole) or not isinstance(before, str) or not before.endswith("/") \
                or not (isinstance(after, str) and after[:1] in ("", "/", "?", "#")):
            continue  # only a hole that is a whole path segment can be a module or a keyword
        for name in _segments(matcher.catalogue):
            filled = list(parts)
            filled[i] = name
            tried = matcher.resolve(replace(site, url=Url(tuple(filled))))
            if tried is not None and tried.status == "matched":
                scopes.update(tried.scopes)
                if name in _module_table():
                    modules.add(name)
    _TRIED[key] = (scopes, modules)
    return scopes, modules


_SEGMENTS: dict[str, tuple[str, ...]] = {}


def _segments(catalogue: Catalogue) -> tuple[str, ...]:
    """What a hole could be: every module name, every literal segment of the catalogue, a custom module."""
    if catalogue.digest not in _SEGMENTS:
        literal = {s for e in catalogue.endpoints for s in e.template.split("/")
                   if s and not s.startswith(("{{", "<<")) and not re.match(r"^v\d+(\.\d+)?$", s)}
        _SEGMENTS[catalogue.digest] = tuple(sorted({*_module_table(), *literal, "Custom_Module__c"} - {"crm"}))
    return _SEGMENTS[catalogue.digest]


@lru_cache(maxsize=1)
def _module_table() -> dict[str, str]:
    """Module API name -> scope token, from data/modules.json (`Sales_Orders` -> `salesorders`)."""
    doc = json.loads(resources.files("scopeplan.data").joinpath("modules.json").read_text("utf-8"))
    return dict(doc["modules"])


_ZOHO = re.compile(r"(?i)zoho|(?<![a-z0-9])crm(?![a-z0-9])")  # the prefilter's seeds use the same sign


def _imported(project: Project) -> dict[str, list[str]]:
    """file -> the dotted names its top-level imports bind, less the scanned package's own name (its files'
    paths are relative to it too: `zohocrm/client.py` scanned as the root `zohocrm` is `client.py`)."""
    own = f"{project.package}." if project.package else None
    out: dict[str, list[str]] = {}
    for f in project.files:
        names = [g.qualname for _, g in f.imports if isinstance(g, Glob)]
        if names:
            out[f.path] = [n[len(own):] if own and n.startswith(own) else n for n in names]
    return out


def _about_zoho(r: Resolution, imported: dict[str, list[str]]) -> bool:
    """An unresolved call counts only with some sign of Zoho: a Zoho host or /crm/ path, or zoho/crm in its
    file, function, library, the names its URL comes from, or what the files it is traced through import
    (`from app.crm.config import base_url`: the URL's unknown start may well be that module's). `requests.get(url)`
    in a Django view with no such sign is as likely any other service: reporting it would bury the calls that
    matter."""
    if r.status != "unresolved":
        return True
    site = r.site
    files = [site.location.file, *(t.file for t in site.trace)]
    words = [*files, site.function, site.library, r.path or "", r.reason or "",
             *(name for file in files for name in imported.get(file, ()))]
    if isinstance(site.url, Url):
        words.extend(p if isinstance(p, str) else f"{p.name} {p.origin}" for p in site.url.parts)
    return any(_ZOHO.search(w) for w in words)


def _needed(resolutions: list[Resolution]) -> list[str]:
    """The least-privilege scope set (never compacted: a grant is judged against what the calls need)."""
    return scope_algebra.minimal(s for r in resolutions for s in r.needed_scopes)


def _scopes(resolutions: list[Resolution], compact: bool) -> tuple[tuple[str, tuple[Resolution, ...]], ...]:
    """Each scope of the least-privilege (or compact) set, with the sites that need it."""
    needed = [s for r in resolutions for s in r.needed_scopes]
    chosen = scope_algebra.minimal(needed)
    if compact:
        chosen = list(scope_algebra.compact(chosen))
    out = []
    for scope in chosen:
        users = tuple(r for r in resolutions if any(scope_algebra.covers(scope, s) for s in r.needed_scopes))
        out.append((scope, users))
    return tuple(out)


def _silent(project: Project, resolutions: list[Resolution]) -> tuple[FileError, ...]:
    """Files that import a Zoho SDK or name a CRM path, make calls that look like HTTP or SDK calls, and
    gave no call site: an audit must not read "No Zoho CRM calls found" over code that calls Zoho. A
    settings module that only holds the base URL makes no such call.

    When the whole project gave no call site, every file that names Zoho CRM is listed, calls or not: a
    table of endpoints held as data (`Endpoint(path="/crm/v2/Leads")`) sent by an executor scopeplan could
    not follow is the code that calls Zoho, and the report must not say there is none."""
    seen = {r.site.location.file for r in resolutions} | {t.file for r in resolutions for t in r.site.trace}
    out = tuple(FileError(f.path, f"{' and '.join(f.signs)}, but scopeplan found no call site in it")
                for f in project.files if f.signs and f.path not in seen
                and any(looks_like_a_call(project, invoke) for invoke in f.invokes))
    if resolutions or out:
        return out
    return tuple(FileError(f.path, f"{' and '.join(f.signs)}, but scopeplan found no HTTP call in the project "
                                   "that sends it (endpoints held as data, sent through code it could not follow?)")
                 for f in project.files if f.signs)


_HOLES = re.compile(r"`?\{[^{}]*\}`?(?: \((?:[^()]|\([^()]*\))*\))?")  # a hole and its origin: `{x}` (... `f()` ...)


def _one_each(resolutions: list[Resolution]) -> list[Resolution]:
    """One finding per (location, method, endpoint, scopes): two receiver guesses, or URLs that differ
    only in their host or query, are one call; the first in report order stands for them."""
    seen, out = set(), []
    for r in resolutions:
        site = r.site
        path = r.endpoint or _HOLES.sub("{}", r.path or "")  # a hole is a hole, whatever the code calls it
        key = (site.location, str(site.method), r.status, path, r.scopes, site.implicit, site.ignored,
               _HOLES.sub("{}", r.reason or "") if r.status not in ("matched", "deprecated") else None)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _order(r: Resolution):
    """A total order: two runs (whatever the hash seed) list the same sites in the same order."""
    site, loc = r.site, r.site.location
    return (loc.file, loc.line, loc.column, r.path or "", str(site.method), r.status,
            tuple((t.file, t.line) for t in site.trace), site.implicit, site.function, r.scopes, r.reason or "")
