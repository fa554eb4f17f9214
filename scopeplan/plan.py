"""The pipeline, and the only module that knows the stage order: scan, resolve, match, minimise."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from scopeplan import scopes as scope_algebra
from scopeplan.config import Config
from scopeplan.matcher import Matcher
from scopeplan.model import Catalogue, FileError, Plan, Resolution, Url
from scopeplan.scanner import discover, scan
from scopeplan.scanner.files import Discovered
from scopeplan import advice, credits, granted, jobs
from scopeplan.sites.follow import call_edges, call_sites
from scopeplan.sites.http import looks_like_a_call
from scopeplan.program.project import Project


class PlanError(Exception):
    """The analysis cannot run (no such path, nothing to scan)."""


def plan(root: Path, catalogue: Catalogue, compact: bool = False, config: Config | None = None) -> Plan:
    """Scan `root` and judge every Zoho CRM call it makes against `catalogue`."""
    config = config or Config()
    if not root.exists():
        raise PlanError(f"{root}: no such file or directory")
    named = (*config.entry_points, *(f for f, _ in config.modules), *(f for f, _ in config.runs_per_day if f != "*"))
    selected, tests_skipped = _selected(root, config)
    facts = scan(root, selected, use_cache=config.cache, workers=config.workers, keep=named,
                 on_notice=lambda notice: None)  # the plan reports them
    if not facts:
        raise PlanError(f"{root}: no Python files to scan")
    project = Project(facts)
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
    for site in call_sites(project, complete, dict(config.modules)):
        resolution = judge(site)
        if resolution is not None and _about_zoho(resolution):
            resolutions.append(resolution)
    resolutions = _one_each(sorted(set(resolutions), key=_order))
    points = credits.entry_points(resolutions, call_edges(project), config.entry_points)
    edges = call_edges(project)
    decorated = tuple(fn.qualname for fn in project.functions.values()
                      if any(jobs.framework(d) for d in fn.decorators))
    if decorated:  # a framework runs these on its own: entry points even where something calls them
        points = credits.entry_points(resolutions, edges, (*config.entry_points, *decorated))
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
        errors=tuple(FileError(f.path, f.error) for f in facts if f.error)
        + tuple(FileError(f.path, problem) for f in facts for problem in f.problems),
        files_scanned=len(facts),
        entry_points=points,
        python2=tuple(sorted(f.path for f in facts if f.python2)),
        grants=granted.check(resolutions, _needed(resolutions), granted.requested(project, root),
                             config.granted, config.granted_source),
        jobs=found_jobs,
        splits=jobs.splits(found_jobs),
        advice=advice.advise(resolutions, edges, project.files),
        budget=budget,
        tests_skipped=tests_skipped,
        warnings=_silent(project, resolutions),
        notices=tuple(sorted(facts.notices)),
    )


_ZOHO = re.compile(r"(?i)zoho|(?<![a-z0-9])crm(?![a-z0-9])")  # the prefilter's seeds use the same sign


def _about_zoho(r: Resolution) -> bool:
    """An unresolved call counts only with some sign of Zoho: a Zoho host or /crm/ path, or zoho/crm in its
    file, function, library or the names its URL comes from. `requests.get(url)` in a Django view with no
    such sign is as likely any other service: reporting it would bury the calls that matter."""
    if r.status != "unresolved":
        return True
    site = r.site
    words = [site.location.file, site.function, site.library, r.path or "", r.reason or "",
             *(t.file for t in site.trace)]
    if isinstance(site.url, Url):
        words.extend(p if isinstance(p, str) else f"{p.name} {p.origin}" for p in site.url.parts)
    return any(_ZOHO.search(w) for w in words)


def _selected(root: Path, config: Config) -> tuple[Discovered | None, int]:
    """The files to scan (None: all) and how many test files were left out.

    `[tool.scopeplan]` include/exclude globs match posix paths relative to root. Tests are left out unless
    `include-tests = true`: they call the library with placeholders against mocks, which adds false sites
    and, being the only callers, hides the library's real unresolved ones.
    """
    if not root.is_dir() or (config.include_tests and not (config.include or config.exclude)):
        return None, 0
    prefix = str(root).rstrip("/") + "/"
    found = discover(root)
    keep, tests = Discovered(), 0
    keep.notices = found.notices  # links and special files discovery skipped: still reported
    for path in found:
        text = str(path)  # discovered under root: no realpath needed
        relative = text[len(prefix):] if text.startswith(prefix) else path.relative_to(root).as_posix()
        if config.include and not any(fnmatch.fnmatchcase(relative, g) for g in config.include):
            continue
        if any(fnmatch.fnmatchcase(relative, g) for g in config.exclude):
            continue
        if not config.include_tests and is_test(relative):
            tests += 1
            continue
        keep.append(path)
    if not tests and not (config.include or config.exclude):
        return None, 0  # the whole tree: let the scan keep its complete manifest
    return keep, tests


_TEST_DIRS = frozenset({"test", "tests"})


def is_test(relative: str) -> bool:
    """`test/`, `tests/`, `test_*.py`, `*_test.py` and `conftest.py` (not every `test.py`: packages ship those)."""
    *folders, name = relative.split("/")
    return (any(f in _TEST_DIRS for f in folders) or name == "conftest.py"
            or (name.startswith("test_") or name.endswith("_test.py")) and name.endswith(".py"))


def _needed(resolutions: list[Resolution]) -> list[str]:
    """The least-privilege scope set (never compacted: a grant is judged against what the calls need)."""
    return scope_algebra.minimal(s for r in resolutions if r.status == "matched" and not r.site.ignored for s in r.scopes)


def _scopes(resolutions: list[Resolution], compact: bool) -> tuple[tuple[str, tuple[Resolution, ...]], ...]:
    """Each scope of the least-privilege (or compact) set, with the sites that need it."""
    needed = [s for r in resolutions if r.status == "matched" and not r.site.ignored for s in r.scopes]
    chosen = scope_algebra.minimal(needed)
    if compact:
        chosen = list(scope_algebra.compact(chosen))
    out = []
    for scope in chosen:
        users = tuple(r for r in resolutions if r.status == "matched" and not r.site.ignored
                      and any(scope_algebra.covers(scope, s) for s in r.scopes))
        out.append((scope, users))
    return tuple(out)


def _silent(project: Project, resolutions: list[Resolution]) -> tuple[FileError, ...]:
    """Files that import a Zoho SDK or name a CRM path, make calls that look like HTTP or SDK calls, and
    gave no call site: an audit must not read "No Zoho CRM calls found" over code that calls Zoho. A
    settings module that only holds the base URL makes no such call."""
    seen = {r.site.location.file for r in resolutions} | {t.file for r in resolutions for t in r.site.trace}
    return tuple(FileError(f.path, f"{' and '.join(f.signs)}, but scopeplan found no call site in it")
                 for f in project.files if f.signs and f.path not in seen
                 and any(looks_like_a_call(project, invoke) for invoke in f.invokes))


_HOLES = re.compile(r"`?\{[^{}]*\}`?(?: \([^)]*\))?")


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
