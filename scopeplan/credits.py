"""Worst-case credits over the call graph: per function, then per entry point; loops multiply."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from importlib import resources

from scopeplan.model import Budget, EntryPoint, LoopBound, Resolution

Cost = tuple[int | None, str | None]  # (credits, None) or (None, why it is unbounded)


def entry_points(resolutions: Iterable[Resolution], edges: Iterable[tuple[str, str, tuple[LoopBound, ...]]],
                 configured: Iterable[str] = ()) -> tuple[EntryPoint, ...]:
    """Worst case of every entry point: functions nobody calls, plus the configured ones (globs allowed)."""
    return from_costs(list(_own_costs(resolutions)), edges, configured)


def from_costs(costs: list[tuple[str, Cost]], edges: Iterable[tuple[str, str, tuple[LoopBound, ...]]],
               configured: Iterable[str] = ()) -> tuple[EntryPoint, ...]:
    """`entry_points` from each call's (function, own cost)."""
    if not costs:
        return ()  # nothing costs a credit: no entry point to report
    configured = tuple(configured)
    own: dict[str, Cost] = {}
    calls: dict[str, dict[str, tuple[LoopBound, ...]]] = {}  # caller -> callee -> loops, in the order first seen
    callers: dict[str, set[str]] = {}
    for fn, cost in costs:
        calls.setdefault(fn, {})
        own[fn] = _add(own.get(fn, (0, None)), cost)
    for caller, callee, loops in edges:
        calls.setdefault(caller, {})[callee] = loops  # a repeated edge keeps its place and its last loops
        calls.setdefault(callee, {})
        callers.setdefault(callee, set()).add(caller)
    worst: dict[str, Cost] = {}
    for component in _components(calls):  # callees' components before their callers'
        members = sorted(component)
        inside = set(members)
        recursive = len(members) > 1 or members[0] in calls[members[0]]
        for fn in members:
            total = own.get(fn, (0, None))
            for callee, loops in calls[fn].items():
                if callee in inside:
                    continue
                total = _add(total, _scale(worst[callee], loops))
            if recursive and _reaches_cost(total):
                cycle = " -> ".join(members + [members[0]])
                total = (None, f"recursion: {cycle}")
            worst[fn] = total
    roots = {n for n in calls if not callers.get(n) or callers[n] == {n}}
    chosen = set(configured)
    for pattern in configured:
        chosen |= {n for n in calls if fnmatch.fnmatchcase(n, pattern)}
    out = []
    for fn in sorted((roots | chosen) & set(calls)):
        credits, why = worst[fn]
        if credits == 0 and why is None:
            continue
        out.append(EntryPoint(fn, credits, why))
    return tuple(out)


def _components(calls: dict[str, dict[str, tuple[LoopBound, ...]]]) -> list[list[str]]:
    """The strongly connected components of the call graph, each after every component it reaches
    (Tarjan's algorithm, iterative: a call chain of any depth is fine)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in calls:
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(calls[start]))]
        while work:
            node, callees = work[-1]
            for callee in callees:
                if callee not in index:
                    index[callee] = low[callee] = len(index)
                    stack.append(callee)
                    on_stack.add(callee)
                    work.append((callee, iter(calls[callee])))
                    break
                if callee in on_stack:
                    low[node] = min(low[node], index[callee])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out


def _own_costs(resolutions: Iterable[Resolution]):
    """(function, cost) per call: the variants of one call (one per module value) cost their maximum,
    unless a loop made them (`for m in MODULES`), where each runs once and they add up."""
    calls: dict[tuple, list[Resolution]] = {}
    for r in resolutions:
        if r.status == "matched" and not r.site.ignored:
            calls.setdefault((r.site.function, r.site.location, r.site.trace), []).append(r)
    for (fn, _, _), variants in calls.items():
        costs = [_times(r.site.credits if r.site.credits is not None else r.max_credits or 0, r.site.loops)
                 for r in variants]
        if any(loop.per_item for r in variants for loop in r.site.loops):
            total: Cost = (0, None)
            for cost in costs:
                total = _add(total, cost)
            yield fn, total
        else:
            unbounded = next((c for c in costs if c[0] is None), None)
            yield fn, unbounded or (max(c[0] for c in costs), None)


def per_run(points: Iterable[EntryPoint]) -> int | None:
    """Every entry point run once; None when any is unbounded."""
    total = 0
    for p in points:
        if p.worst_case is None:
            return None
        total += p.worst_case
    return total


def _times(credits: int, loops: tuple[LoopBound, ...]) -> Cost:
    for loop in loops:
        if loop.bound is None:
            return None, loop.describe()
        credits *= loop.bound
    return credits, None


def _scale(cost: Cost, loops: tuple[LoopBound, ...]) -> Cost:
    if cost[0] is None:
        return cost
    if cost[0] == 0:
        return cost
    return _times(cost[0], loops)


def _add(a: Cost, b: Cost) -> Cost:
    if a[0] is None:
        return a
    if b[0] is None:
        return b
    return a[0] + b[0], None


def _reaches_cost(cost: Cost) -> bool:
    return cost[0] is None or cost[0] > 0


def budget(points: tuple[EntryPoint, ...], edition: str, users: int, runs: dict[str, int],
           overrides: dict[str, dict[str, int | None]]) -> Budget:
    """Share of the rolling 24-hour allowance used by running each entry point `runs` times a day."""
    data = json.loads(resources.files("scopeplan.data").joinpath("editions.json").read_text("utf-8"))
    limits = {**data["editions"].get(edition, {}), **overrides.get(edition, {})}
    if not limits:
        from scopeplan.config import ConfigError

        raise ConfigError(f"unknown edition {edition!r} (known: {', '.join(sorted(data['editions']))})")
    allowance = limits["base"] + limits.get("per_user", 0) * users
    if limits.get("max") is not None:
        allowance = min(allowance, limits["max"])
    unlimited = limits.get("max") is None and limits.get("unlimited", False)
    bounded, why = 0, None
    for p in points:
        per_day = runs.get(p.function, runs.get("*", 1))
        if p.worst_case is None:
            if per_day and why is None:
                why = f"{p.function}: {p.unbounded_because}"
            continue
        bounded += p.worst_case * per_day
    daily = None if why else bounded
    source = "[tool.scopeplan] edition-limits" if edition in overrides else data["source"]
    share = None if daily is None or unlimited else daily / allowance
    return Budget(edition, users, None if unlimited else allowance, daily, share, source, why, bounded)
