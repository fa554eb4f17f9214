"""Why does the code need a scope? Every call site that needs it, through which endpoint, and what breaks without it.

A drop is advised only when no matched, unmatched or unresolved call could need the scope: a call scopeplan
could not resolve may need it as much as one it could, and the message says which calls were considered.
"""

from __future__ import annotations

from dataclasses import dataclass

from scopeplan import scopes as scope_algebra
from scopeplan.baseline import endpoint_key
from scopeplan.drift import may_need
from scopeplan.model import Plan, Resolution, Unresolved


@dataclass(frozen=True, slots=True)
class Explanation:
    """One scope judged against a plan: who needs it, who may need it, and who would fail if it were dropped."""

    scope: str  # canonical spelling
    granted: bool  # part of the plan's scope set
    sites: tuple[Resolution, ...]  # matched calls that need something the scope covers
    breaks: tuple[Resolution, ...]  # those that no other scope of the set covers
    covered_by: tuple[str, ...]  # other scopes of the set that cover the rest
    maybe: tuple[Resolution, ...] = ()  # unresolved or unmatched calls that could need it
    considered: tuple[int, int, int] = (0, 0, 0)  # matched, unmatched, unresolved calls looked at


def explain(plan: Plan, scope: str) -> Explanation:
    """Judge `scope` (any spelling Zoho accepts) against the plan's scope set; ScopeError if it is not a scope."""
    wanted = scope_algebra.parse(scope)
    name = str(wanted)
    granted = any(str(scope_algebra.parse(s)) == name for s in plan.scope_names)
    others = [s for s in plan.scope_names if str(scope_algebra.parse(s)) != name]
    sites: list[Resolution] = []
    breaks: list[Resolution] = []
    covering: set[str] = set()
    for r in plan.resolutions:  # what the scope set counts: matched calls, the certain part of unresolved ones
        needs = [n for n in r.needed_scopes if scope_algebra.covers(wanted, n)]
        if not needs:
            continue
        sites.append(r)
        covering.update(o for o in others if any(scope_algebra.covers(o, n) for n in needs))
        if granted and not all(any(scope_algebra.covers(o, n) for o in others) for n in needs):
            breaks.append(r)
    maybe = tuple(r for r in plan.open_calls if may_need(r, name) and r not in sites)
    counted = [r for r in plan.resolutions if not r.site.ignored]
    matched, unmatched, unresolved = (sum(1 for r in counted if r.status == s)
                                      for s in ("matched", "unmatched", "unresolved"))
    considered = (matched, unmatched, unresolved)
    return Explanation(name, granted, tuple(sites), tuple(breaks), tuple(sorted(covering)), maybe, considered)


def render(e: Explanation) -> str:
    """The explanation as plain text, grouped by endpoint."""
    out: list[str] = []
    if not e.sites:
        if e.maybe:
            out.append(f"No matched call site needs {e.scope}, but {_count(len(e.maybe), 'call')} scopeplan could "
                       "not resolve may: do not drop it until they are resolved.")
        else:
            out.append(f"No call site needs {e.scope}: dropping it breaks nothing.")
    else:
        endpoints = sorted({endpoint_key(r) for r in e.sites})
        counts = f"{_count(len(e.sites), 'call site')} through {_count(len(endpoints), 'endpoint')}"
        out += [f"{e.scope} is needed by {counts}:" if e.granted else
                f"{e.scope} is not in the least-privilege set; it would cover {counts}:", ""]
        for endpoint in endpoints:
            out.append(f"  {endpoint}")
            out.extend(f"    {_site(r)}" for r in e.sites if endpoint_key(r) == endpoint)
        out.append("")
        if not e.granted:
            out.append(f"Those calls are covered by: {', '.join(e.covered_by)}.")
        elif e.breaks:
            out.append(f"Without it, {_count(len(e.breaks), 'call')} would fail with OAUTH_SCOPE_MISMATCH, in:")
            out.extend(f"  {f}" for f in sorted({r.site.function for r in e.breaks}))
        elif e.maybe:
            out.append(f"{', '.join(e.covered_by)} also cover these calls, but the calls below may need {e.scope} "
                       "itself.")
        else:
            out.append(f"Dropping it breaks nothing: {', '.join(e.covered_by)} also cover these calls.")
    if e.maybe:
        out += ["", f"Calls that may need {e.scope} (scopeplan could not tell which scope they need):"]
        out.extend(f"  {_open(r)}" for r in e.maybe)
    matched, unmatched, unresolved = e.considered
    out += ["", f"Considered: {_count(matched, 'matched call')}, {_count(unmatched, 'unmatched call')}, "
                f"{_count(unresolved, 'unresolved call')} (ignored calls and files that failed are not)."]
    return "\n".join(out) + "\n"


def to_dict(e: Explanation) -> dict:
    """The explanation as plain data, for `explain --format json`."""
    matched, unmatched, unresolved = e.considered
    return {
        "scope": e.scope,
        "granted": e.granted,
        "safe_to_drop": e.granted and not e.breaks and not e.maybe,
        "call_sites": [_where(r) | {"endpoint": endpoint_key(r)} for r in e.sites],
        "breaks": [_where(r) for r in e.breaks],
        "covered_by": list(e.covered_by),
        "may_need": [_where(r) | {"status": r.status, "reason": r.reason, "candidates": list(r.candidates)}
                     for r in e.maybe],
        "considered": {"matched": matched, "unmatched": unmatched, "unresolved": unresolved},
    }


def _where(r: Resolution) -> dict:
    loc = r.site.location
    return {"file": loc.file, "line": loc.line, "function": r.site.function}


def _site(r: Resolution) -> str:
    loc = r.site.location
    text = f"{loc.file}:{loc.line}  {r.site.function}  ({r.site.method} {r.path})"
    # the first step of a trace is the site itself; the rest is the wrapper chain down to the HTTP call
    hops = [f"{s.file}:{s.line}" for s in r.site.trace if (s.file, s.line) != (loc.file, loc.line)]
    return text + (f" via {' -> '.join(hops)}" if hops else "")


def _open(r: Resolution) -> str:
    loc = r.site.location
    method = "?" if isinstance(r.site.method, Unresolved) else r.site.method
    n = len(r.candidates)
    why = (f"{'its only candidate' if n == 1 else f'one of its {n} candidate scopes'}" if n
           else "its scope is unknown, so it could need any")
    return f"{loc.file}:{loc.line}  {r.site.function}  ({r.status}, {method} {r.path or '?'}): {why}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
