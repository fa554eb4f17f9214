"""Follow wrappers: a call site whose URL or method is a parameter is completed at each caller."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from scopeplan.model import CallSite, Hole, LoopBound, TraceStep, Url
from scopeplan.models import zcrmsdk_legacy as legacy
from scopeplan.models import airbyte_agent, airbyte_cdk
from scopeplan.models import zoho_sdk as sdk
from scopeplan.models.http import VERBS
from scopeplan.sites import loops
from scopeplan.scanner.facts import FileFacts, FunctionFacts, Invoke
from scopeplan.scanner.ir import Lit
from scopeplan.program.project import EMPTY, Ctx, Project, Target
from scopeplan.sites.http import delegated, http_calls, sites_of

MAX_LEVELS = 6  # wrappers of wrappers: real code rarely goes past three

Trace = tuple[TraceStep, ...]
Make = Callable[[Ctx, FileFacts, Invoke, Trace], list[CallSite]]
Callers = dict[str, list[tuple[FileFacts, Invoke, Target]]]


def call_sites(project: Project, complete: Callable[[CallSite], bool],
               modules: dict[str, tuple[str, ...]] | None = None) -> list[CallSite]:
    """Every HTTP call site of the project; one that is not `complete` is completed at its callers.

    `modules` maps a function to the module names it is called with ([tool.scopeplan] modules).
    """
    modules = modules or {}
    callers = _callers(project)
    out: list[CallSite] = []
    for facts in project.files:
        for invoke in facts.invokes:
            if not http_calls(project, invoke) and not sdk.is_sdk_call(project, invoke) and not (
                    legacy.is_legacy_call(project, invoke)):
                continue

            def make(ctx: Ctx, at_facts: FileFacts, at: Invoke, trace: Trace, facts: FileFacts = facts,
                     invoke: Invoke = invoke) -> list[CallSite]:
                project.expanded.clear()
                project.optional.clear()
                found = [site for call in http_calls(project, invoke, ctx)
                         for site in sites_of(project, facts, invoke, call, ctx, at, at_facts.path, trace)]
                found += sdk.sdk_sites(project, facts, invoke, ctx, at, at_facts.path, trace)
                found += legacy.legacy_sites(project, facts, invoke, ctx, at, at_facts.path, trace)
                assumed = tuple(sorted(project.optional))
                around = loops.bounds(project, invoke.loops, ctx, facts.path)
                return hinted([replace(s, loops=around, assumed=assumed) for s in found], invoke, at, modules)

            out.extend(_climb(project, callers, complete, invoke.function, make, facts, invoke,
                              (TraceStep(facts.path, invoke.line),), 0, frozenset()))
    return out + airbyte_cdk.stream_sites(project) + airbyte_agent.endpoint_sites(project)


def _callers(project: Project) -> Callers:
    """Function -> the calls that reach it; built once per project (call sites and call edges share it)."""
    if isinstance(project.callers, dict):
        return project.callers
    index: Callers = defaultdict(list)
    for facts in project.files:
        for invoke in facts.invokes:
            for target in project.targets(invoke.callee) + delegated(project, invoke):
                if target.function is not None:
                    index[target.function.qualname].append((facts, invoke, target))
    project.callers = index
    return index


def _climb(project: Project, callers: Callers, complete: Callable[[CallSite], bool], function: str, make: Make,
           at_facts: FileFacts, at: Invoke, trace: Trace, level: int, seen: frozenset[str],
           below: list[CallSite] | None = None, by_default: bool = False) -> list[CallSite]:
    """The sites `make` gives at `at`, completed at the callers of `function` while they are not complete.

    A site is reported at the HTTP call unless a caller fixes a part of it: a caller whose sites are the
    ones the level below gave (it only passed on its own parameter, or `self`) leaves them where they were,
    unless the level below took its HTTP method from its own parameter's default (`by_default`:
    `def _send(self, module, http_method="get")`): a caller leaving it out chose that method, so the site
    is the caller's.
    """
    project.unbound.clear()
    project.defaulted.clear()
    project.keyed.clear()
    project.read_on.clear()
    found = make(EMPTY, at_facts, at, trace)
    needed = {name for f, name in project.unbound if f == function}
    # an entry of a literal table chosen by a parameter (`ENDPOINTS[name].path`): each entry alone is a
    # complete endpoint, but which one is the callers' choice, so the site belongs where the key is fixed
    keyed = {name for f, name in project.keyed if f == function}
    defaulted = {name for f, name in project.defaulted if f == function}
    if below is not None and _shape(found) == _shape(below) and not by_default:
        found = below  # nothing was fixed here: the site stays at the call below
    own = project.functions.get(function)
    if found and all(complete(site) for site in found) and not keyed:
        if own is not None and own.cls is not None and len(found) > 1:
            return _narrowed(project, callers, complete, function, make, found, trace, level, seen)
        return found  # an id only known at run time does not change the endpoint: stay at the HTTP call
    if found and own is not None and own.cls is not None and _reads_self(project, own.cls):
        needed.add("self")  # a subclass, or the state a caller set, may give `self.MODULE` its value: ask the callers
    # a function calling itself (a retry after a 401) is not a caller: it passes on what it was given
    above = [c for c in callers.get(function, []) if c[1].function != function]
    if not (needed or defaulted) or not above or level >= MAX_LEVELS or function in seen:
        return found
    out: list[CallSite] = []
    for facts, invoke, target in above:
        if not needed and not _passes(target, invoke, defaulted) and not keyed & defaulted:
            out.extend(found)  # this caller relies on the defaults: the site stays where it was
            continue
        out.extend(_climb(project, callers, complete, invoke.function, _lift(project, make, facts, invoke, target),
                          facts, invoke, (TraceStep(facts.path, invoke.line), *trace), level + 1, seen | {function},
                          found, _verb_default(own, defaulted) and not _passes(target, invoke, defaulted)))
    return list(dict.fromkeys(out))


def _reads_self(project: Project, cls: str) -> bool:
    """Whether the last evaluation read a member of `cls` or of a base (or `self` itself): only then can the
    class of the object, or the state its caller set, change the sites (a class it cannot see: assume so)."""
    chain = project.mro(cls)
    return not chain or any(c.qualname in project.read_on for c in chain)


def _verb_default(function: FunctionFacts | None, defaulted: set[str]) -> bool:
    """Whether one of the parameters that took their default is an HTTP method (`http_method="get"`)."""
    return function is not None and any(
        p.name in defaulted and isinstance(p.default, Lit) and p.default.text.lower() in VERBS for p in function.params)


def _lift(project: Project, make: Make, facts: FileFacts, invoke: Invoke, target: Target) -> Make:
    """`make` as seen from the caller `invoke`: the callee's parameters (and `self` state) bound to its arguments."""
    def lifted(ctx: Ctx, a_facts: FileFacts, a: Invoke, a_trace: Trace) -> list[CallSite]:
        if target.held and target.function not in {t.function for t in project.targets(invoke.callee, ctx)}:
            return []  # the object this caller's callers built holds another callable (a sibling product)
        here = target
        if target.receiver is not None and ctx is not EMPTY:  # the object as this caller's callers built it
            fresh = [t for t in project.targets(invoke.callee, ctx) if t.function is target.function and t.cls is target.cls]
            here = fresh[0] if len(fresh) == 1 else target
        found = make(project.bind(here, invoke.args, invoke.kwargs, ctx, invoke.state), a_facts, a, a_trace)
        around = loops.bounds(project, invoke.loops, ctx, facts.path)
        return [replace(s, loops=around + s.loops) for s in found]
    return lifted


def _narrowed(project: Project, callers: Callers, complete: Callable[[CallSite], bool], function: str, make: Make,
              found: list[CallSite], trace: Trace, level: int, seen: frozenset[str]) -> list[CallSite]:
    """Complete alternatives of a method that reads state on `self` (`self.method = "getRecords"` set by the
    methods that call it): only those some caller can give. The callers narrow; the site does not move,
    since the part fixed here (the HTTP method, the path shape) stays fixed here.
    """
    above = [c for c in callers.get(function, []) if c[1].function != function]
    if not above or level >= MAX_LEVELS or function in seen:
        return found
    given: set[object] = set()
    for facts, invoke, target in above:
        sites = _climb(project, callers, complete, invoke.function, _lift(project, make, facts, invoke, target),
                       facts, invoke, (TraceStep(facts.path, invoke.line), *trace), level + 1, seen | {function})
        given |= {_key(site) for site in sites}
    mine = {_key(site) for site in found}
    if not given or not given < mine:
        return found  # no caller narrows them, or one gives something else: keep every alternative
    return [site for site in found if _key(site) in given]


def _shape(sites: list[CallSite]) -> frozenset[tuple[object, ...]]:
    """What a caller can change about sites: methods, URLs (a hole is a hole, whatever its name), bodies."""
    return frozenset(_key(site) for site in sites)


def _key(site: CallSite) -> tuple[object, ...]:
    url = tuple(p if isinstance(p, str) else None for p in site.url.parts) if isinstance(site.url, Url) else "?"
    return (site.method if isinstance(site.method, str) else None, url, site.body_scopes,
            site.body_reason is None, site.credits, site.implicit, site.library)


def _passes(target: Target, invoke: Invoke, names: set[str]) -> bool:
    """Whether the call gives a value to any of the named parameters."""
    if target.function is None:
        return False
    if names & {k for k, _ in invoke.kwargs}:
        return True
    positional = [p for p in target.function.params if p.index >= 0][target.offset:]
    return any(p.name in names for p in positional[: len(invoke.args)])


_MODULE_SLOT = re.compile(r"/crm/(?:bulk/)?v\d+(?:\.\d+)?/$")


def hinted(sites: list[CallSite], invoke: Invoke, at: Invoke, modules: dict[str, tuple[str, ...]]) -> list[CallSite]:
    """Apply `# scopeplan: ignore` and `modules=` hints, and [tool.scopeplan] modules, to sites."""
    hints = {**dict(invoke.hints), **dict(at.hints)}
    names = hints.get("modules")
    chosen = tuple(n.strip() for n in names.split(",") if n.strip()) if names else (
        modules.get(at.function) or modules.get(invoke.function) or ())
    out: list[CallSite] = []
    for site in sites:
        if "ignore" in hints:
            site = replace(site, ignored=hints["ignore"])
        out.extend(_with_module(site, name) for name in chosen) if chosen and _module_hole(site) is not None \
            else out.append(site)
    return out


def _module_hole(site: CallSite) -> int | None:
    """Index of the URL part that is a hole standing where the module name goes."""
    if not isinstance(site.url, Url):
        return None
    text = ""
    for i, part in enumerate(site.url.parts):
        if isinstance(part, Hole):
            following = site.url.parts[i + 1] if i + 1 < len(site.url.parts) else ""
            if _MODULE_SLOT.search(text) and (not isinstance(following, str) or following[:1] in ("", "/", "?")):
                return i
            text += "\x00"
        else:
            text += part
    return None


def _with_module(site: CallSite, name: str) -> CallSite:
    i = _module_hole(site)
    if i is None or not isinstance(site.url, Url):
        return site
    parts: list[str | Hole] = list(site.url.parts)
    parts[i] = name
    return replace(site, url=Url(tuple(parts)))


def call_edges(project: Project) -> list[tuple[str, str, tuple[LoopBound, ...]]]:
    """(caller, callee, loops around the call) for every call between project functions."""
    edges = []
    for callee, calls in _callers(project).items():
        for facts, invoke, _target in calls:
            edges.append((invoke.function, callee, loops.bounds(project, invoke.loops, EMPTY, facts.path)))
    return edges
