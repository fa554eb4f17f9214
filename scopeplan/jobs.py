"""Scopes per job: each entry point, the call sites under it in the call graph, and the scopes they need."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from scopeplan import scopes as algebra
from scopeplan.model import EntryPoint, LoopBound, Resolution

# Why a function is an entry point: a typed union.


@dataclass(frozen=True, slots=True)
class Uncalled:
    """No function of the project calls it."""

    label = "nobody calls it"


@dataclass(frozen=True, slots=True)
class Configured:
    """Named in `[tool.scopeplan] entry-points`."""

    pattern: str
    label = "configured"


@dataclass(frozen=True, slots=True)
class Decorated:
    """A framework runs it: a CLI command, a task, a view, a route, a tool."""

    decorator: str  # as the code spells (or imports) it: "celery.shared_task", "app.route"
    framework: str  # "Celery", "Flask/FastAPI route", ...

    @property
    def label(self) -> str:
        """`Celery task (@shared_task)`."""
        return f"{self.framework} (@{self.decorator.rsplit('.', 1)[-1]})"


Why = Uncalled | Configured | Decorated

# (decorator, framework): a decorator matches when its dotted name is the key or ends with "." + key.
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("click.command", "click command"), ("click.group", "click command"), ("command", "CLI command"),
    ("typer.Typer.command", "Typer command"),
    ("celery.shared_task", "Celery task"), ("celery.task", "Celery task"), ("task", "task (Celery/Airflow)"),
    ("periodic_task", "Celery task"),
    ("rq.job", "RQ job"), ("rq.decorators.job", "RQ job"), ("dramatiq.actor", "Dramatiq actor"),
    ("airflow.decorators.task", "Airflow task"), ("airflow.decorators.dag", "Airflow DAG"),
    ("route", "Flask/FastAPI route"), ("get", "HTTP route"), ("post", "HTTP route"), ("put", "HTTP route"),
    ("patch", "HTTP route"), ("delete", "HTTP route"), ("api_route", "FastAPI route"), ("websocket", "FastAPI route"),
    ("api_view", "Django REST view"), ("require_http_methods", "Django view"), ("require_GET", "Django view"),
    ("require_POST", "Django view"), ("login_required", "Django view"), ("csrf_exempt", "Django view"),
    ("tool", "MCP tool"), ("mcp.tool", "MCP tool"), ("resource", "MCP resource"), ("prompt", "MCP prompt"),
)
NOT_ENTRY = frozenset({"property", "staticmethod", "classmethod", "functools.wraps", "functools.lru_cache",
                       "functools.cache", "contextlib.contextmanager", "dataclasses.dataclass"})


def framework(decorator: str) -> str | None:
    """The framework that runs a function with this decorator, or None."""
    if decorator in NOT_ENTRY:
        return None
    found = [(len(key), name) for key, name in FRAMEWORKS if decorator == key or decorator.endswith("." + key)]
    return max(found)[1] if found else None  # the most specific key: `airflow.decorators.task` over `task`


@dataclass(frozen=True, slots=True)
class Edge:
    """What a job spends on one endpoint: the sites, and their own worst case (None: unbounded)."""

    endpoint: str  # "GET /crm/v8/Leads", or the site's status for calls that did not match
    status: str
    scopes: tuple[str, ...]
    sites: tuple[Resolution, ...]
    credits: int | None
    unbounded_because: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """An entry point, why it is one, the least-privilege scopes under it, and its worst case."""

    function: str
    why: tuple[Why, ...]
    scopes: tuple[str, ...]
    edges: tuple[Edge, ...]
    worst_case: int | None
    unbounded_because: str | None = None

    @property
    def read_only(self) -> bool:
        """True when every scope it needs only reads."""
        return bool(self.scopes) and all(algebra.parse(s).op == "READ" for s in self.scopes)

    @property
    def deletes(self) -> bool:
        """True when it needs a scope that can delete."""
        return any(algebra.parse(s).op in ("DELETE", "ALL", "WRITE") for s in self.scopes)


@dataclass(frozen=True, slots=True)
class Split:
    """A read-only job that shares a token with one that can write or delete: give it its own client."""

    job: str
    needs: tuple[str, ...]
    spared: tuple[str, ...]  # what the shared token grants beyond its needs
    writers: tuple[str, ...]  # the jobs that need the wider scopes


def jobs(resolutions: Iterable[Resolution], edges: Iterable[tuple[str, str, tuple[LoopBound, ...]]],
         functions: Iterable[tuple[str, tuple[str, ...]]], configured: Iterable[str] = (),
         points: Iterable[EntryPoint] = ()) -> tuple[Job, ...]:
    """Every entry point that reaches a Zoho call, with the scopes and endpoints under it.

    `functions` are (qualname, decorators) of every project function; `points` the credits stage's answers.
    """
    resolutions = [r for r in resolutions if not r.site.ignored]
    graph: dict[str, list[tuple[str, tuple[LoopBound, ...]]]] = {}
    called: set[str] = set()
    for caller, callee, loops in edges:
        graph.setdefault(caller, []).append((callee, loops))
        if caller != callee:
            called.add(callee)
    by_function: dict[str, list[Resolution]] = {}
    for r in resolutions:
        by_function.setdefault(r.site.function, []).append(r)
    why: dict[str, list[Why]] = {}
    known = set(graph) | set(by_function)
    for fn, decorators in functions:
        known.add(fn)
        for d in decorators:
            name = framework(d)
            if name is not None:
                why.setdefault(fn, []).append(Decorated(d, name))
    for fn in known:
        if fn not in called:
            why.setdefault(fn, []).append(Uncalled())
    for pattern in configured:
        for fn in sorted(known):
            if fn == pattern or fnmatch.fnmatchcase(fn, pattern):
                why.setdefault(fn, []).append(Configured(pattern))
    worst = {p.function: p for p in points}
    reaching = _callers_of(graph, set(by_function))  # only these can have a call site under them
    outgoing = _outgoing(graph)
    out = []
    for fn in sorted(set(why) & reaching):
        reached = _reach(graph, fn, outgoing)
        under = [r for g in sorted(reached) for r in by_function.get(g, ())]
        if not under:
            continue
        needed = algebra.minimal(s for r in under for s in r.needed_scopes)  # as the plan's set counts
        point = worst.get(fn)
        out.append(Job(fn, tuple(why[fn]), tuple(needed), _edges(under, reached),
                       point.worst_case if point else None, point.unbounded_because if point else None))
    return tuple(out)


def _callers_of(graph, targets: set[str]) -> set[str]:
    """The targets and every function that reaches one of them."""
    into: dict[str, set[str]] = {}
    for caller, calls in graph.items():
        for callee, _ in calls:
            into.setdefault(callee, set()).add(caller)
    seen, todo = set(targets), list(targets)
    while todo:
        for caller in into.get(todo.pop(), ()):
            if caller not in seen:
                seen.add(caller)
                todo.append(caller)
    return seen


Times = tuple[int | None, str | None]  # how often a function runs per run of the job; None: unbounded, and why
Into = tuple[str, tuple[LoopBound, ...]]  # a call into a function: (caller, loops around the call)


def _outgoing(graph) -> dict[str, list[tuple[str, Into]]]:
    """Each caller's calls as (callee, the call as the callee's list of callers holds it), made once for every job."""
    return {caller: [(callee, (caller, loops)) for callee, loops in calls] for caller, calls in graph.items()}


def _reach(graph, start: str, outgoing: dict[str, list[tuple[str, Into]]] | None = None) -> dict[str, Times]:
    """Every function the job reaches, and how many times it runs: each call counts, loops multiply."""
    outgoing = _outgoing(graph) if outgoing is None else outgoing
    seen, todo = {start}, [start]
    while todo:
        for callee, _ in graph.get(todo.pop(), ()):
            if callee not in seen:
                seen.add(callee)
                todo.append(callee)
    order = sorted(seen)
    into: dict[str, list[Into]] = {}  # by caller: each count reads them in that order
    for caller in order:
        for callee, call in outgoing.get(caller, ()):
            calls = into.get(callee)
            if calls is None:
                into[callee] = [call]
            else:
                calls.append(call)
    times: dict[str, Times] = {}
    active: set[str] = set()

    def count(fn: str) -> Times:
        if fn in active:
            return None, f"recursion through {fn}"
        active.add(fn)
        total: Times = (1, None) if fn == start else (0, None)
        for caller, loops in into.get(fn, ()):
            if caller == fn:
                n, why = None, f"recursion in {fn}"
            else:
                n, why = times[caller] if caller in times else count(caller)
            for loop in loops:
                if n is None:
                    break
                n, why = (None, loop.describe()) if loop.bound is None else (n * loop.bound, None)
            if total[0] is not None:
                total = (None, why) if n is None else (total[0] + n, None)
        active.discard(fn)
        times[fn] = total
        return total

    for fn in order:
        if fn not in times:
            count(fn)
    return times


def _edges(under: list[Resolution], times: dict[str, Times]) -> tuple[Edge, ...]:
    groups: dict[tuple[str, str], list[Resolution]] = {}
    for r in under:
        groups.setdefault((endpoint_of(r), r.status), []).append(r)
    out = []
    for (endpoint, status), sites in sorted(groups.items()):
        total: int | None = 0
        why = None
        for r in sites:
            cost, reason = site_cost(r)
            n, path_why = times.get(r.site.function, (1, None))
            if cost is None or n is None:
                total, why = None, reason or path_why
                break
            total += cost * n
        scopes = tuple(sorted({s for r in sites for s in r.scopes}))
        out.append(Edge(endpoint, status, scopes, tuple(sites), total if status == "matched" else None,
                        why if status == "matched" else None))
    return tuple(out)


def endpoint_of(r: Resolution) -> str:
    """`GET /crm/v8/Leads` (the catalogue template when matched, else the path as called)."""
    method = r.site.method if isinstance(r.site.method, str) else "?"
    return f"{method} {r.endpoint or r.path or '?'}"


def site_cost(r: Resolution) -> tuple[int | None, str | None]:
    """A site's own worst case: its credits times the static bounds of the loops around it."""
    credits = r.site.credits if r.site.credits is not None else r.max_credits or 0
    for loop in r.site.loops:
        if loop.bound is None:
            return None, loop.describe()
        credits *= loop.bound
    return credits, None


def splits(found: Iterable[Job]) -> tuple[Split, ...]:
    """Read-only jobs that share a token with a job that can delete (one project: one client, one token).

    Only jobs a framework or the configuration names, or plain module functions, count: a client
    class's public methods are a library's surface, not jobs with a schedule of their own.
    """
    found = [j for j in found if _is_job(j)]
    everything = algebra.minimal(s for j in found for s in j.scopes)
    writers = tuple(j.function for j in found if j.deletes)
    out = []
    for j in found:
        if not writers or not j.read_only:
            continue
        spared = tuple(s for s in everything if not any(algebra.covers(n, s) for n in j.scopes))
        if spared:
            out.append(Split(j.function, j.scopes, spared, writers))
    return tuple(out)


def _is_job(j: Job) -> bool:
    local = j.function.split(":", 1)[-1]
    return any(not isinstance(w, Uncalled) for w in j.why) or ("." not in local and local != "<module>")
