"""Follow wrappers: a call site whose URL or method is a parameter is completed at each caller."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from scopeplan.model import CallSite, TraceStep
from scopeplan.scanner.facts import FileFacts, Invoke
from scopeplan.scanner.resolve import EMPTY, Ctx, Project, Target
from scopeplan.scanner.sites import http_calls, sites_of

MAX_LEVELS = 6  # wrappers of wrappers: real code rarely goes past three

Make = Callable[[Ctx, FileFacts, Invoke, tuple], list[CallSite]]


def call_sites(project: Project, complete: Callable[[CallSite], bool]) -> list[CallSite]:
    """Every HTTP call site of the project; one that is not `complete` is completed at its callers."""
    callers = _callers(project)
    out: list[CallSite] = []
    for facts in project.files:
        for invoke in facts.invokes:
            if not http_calls(project, invoke):
                continue

            def make(ctx, at_facts, at, trace, facts=facts, invoke=invoke):
                return [site for call in http_calls(project, invoke, ctx)
                        for site in sites_of(project, facts, invoke, call, ctx, at, at_facts.path, trace)]

            out.extend(_climb(project, callers, complete, invoke.function, make, facts, invoke,
                              (TraceStep(facts.path, invoke.line),), 0, frozenset()))
    return out


def _callers(project: Project) -> dict[str, list[tuple[FileFacts, Invoke, Target]]]:
    index: dict[str, list] = defaultdict(list)
    for facts in project.files:
        for invoke in facts.invokes:
            for target in project.targets(invoke.callee):
                if target.function is not None:
                    index[target.function.qualname].append((facts, invoke, target))
    return index


def _climb(project, callers, complete, function: str, make: Make, at_facts: FileFacts, at: Invoke, trace: tuple,
           level: int, seen: frozenset) -> list[CallSite]:
    project.unbound.clear()
    project.defaulted.clear()
    found = make(EMPTY, at_facts, at, trace)
    if found and all(complete(site) for site in found):
        return found  # an id only known at run time does not change the endpoint: stay at the HTTP call
    needed = {name for f, name in project.unbound if f == function}
    defaulted = {name for f, name in project.defaulted if f == function}
    above = callers.get(function, [])
    if not (needed or defaulted) or not above or level >= MAX_LEVELS or function in seen:
        return found
    out: list[CallSite] = []
    for facts, invoke, target in above:
        if not needed and not _passes(target, invoke, defaulted):
            out.extend(found)  # this caller relies on the defaults: the site stays where it was
            continue

        def lifted(ctx, a_facts, a, a_trace, target=target, invoke=invoke):
            return make(project.bind(target, invoke.args, invoke.kwargs, ctx), a_facts, a, a_trace)

        out.extend(_climb(project, callers, complete, invoke.function, lifted, facts, invoke,
                          (TraceStep(facts.path, invoke.line), *trace), level + 1, seen | {function}))
    return list(dict.fromkeys(out))


def _passes(target: Target, invoke: Invoke, names: set[str]) -> bool:
    """Whether the call gives a value to any of the named parameters."""
    if target.function is None:
        return False
    if names & {k for k, _ in invoke.kwargs}:
        return True
    positional = [p for p in target.function.params if p.index >= 0][target.offset:]
    return any(p.name in names for p in positional[: len(invoke.args)])
