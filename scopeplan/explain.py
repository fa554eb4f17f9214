"""Why does the code need a scope? Every call site that needs it, through which endpoint, and what breaks without it."""

from __future__ import annotations

from dataclasses import dataclass

from scopeplan import scopes as scope_algebra
from scopeplan.baseline import endpoint_key
from scopeplan.model import Plan, Resolution


@dataclass(frozen=True, slots=True)
class Explanation:
    """One scope judged against a plan: who needs it, and who would fail if it were dropped."""

    scope: str  # canonical spelling
    granted: bool  # part of the plan's scope set
    sites: tuple[Resolution, ...]  # matched calls that need something the scope covers
    breaks: tuple[Resolution, ...]  # those that no other scope of the set covers
    covered_by: tuple[str, ...]  # other scopes of the set that cover the rest


def explain(plan: Plan, scope: str) -> Explanation:
    """Judge `scope` (any spelling Zoho accepts) against the plan's scope set; ScopeError if it is not a scope."""
    wanted = scope_algebra.parse(scope)
    name = str(wanted)
    granted = any(str(scope_algebra.parse(s)) == name for s in plan.scope_names)
    others = [s for s in plan.scope_names if str(scope_algebra.parse(s)) != name]
    sites, breaks, covering = [], [], set()
    for r in plan.resolutions:
        if r.status != "matched" or r.site.ignored:
            continue
        needs = [n for n in r.scopes if scope_algebra.covers(wanted, n)]
        if not needs:
            continue
        sites.append(r)
        covering.update(o for o in others if any(scope_algebra.covers(o, n) for n in needs))
        if granted and not all(any(scope_algebra.covers(o, n) for o in others) for n in needs):
            breaks.append(r)
    return Explanation(name, granted, tuple(sites), tuple(breaks), tuple(sorted(covering)))


def render(e: Explanation) -> str:
    """The explanation as plain text, grouped by endpoint."""
    if not e.sites:
        return f"No call site needs {e.scope}: dropping it breaks nothing.\n"
    endpoints = sorted({endpoint_key(r) for r in e.sites})
    counts = f"{_count(len(e.sites), 'call site')} through {_count(len(endpoints), 'endpoint')}"
    head = f"{e.scope} is needed by {counts}:" if e.granted else \
        f"{e.scope} is not in the least-privilege set; it would cover {counts}:"
    out = [head, ""]
    for endpoint in endpoints:
        out.append(f"  {endpoint}")
        out.extend(f"    {_site(r)}" for r in e.sites if endpoint_key(r) == endpoint)
    out.append("")
    if not e.granted:
        out.append(f"Those calls are covered by: {', '.join(e.covered_by)}.")
    elif e.breaks:
        out.append(f"Without it, {_count(len(e.breaks), 'call')} would fail with OAUTH_SCOPE_MISMATCH, in:")
        out.extend(f"  {f}" for f in sorted({r.site.function for r in e.breaks}))
    else:
        out.append(f"Dropping it breaks nothing: {', '.join(e.covered_by)} also cover these calls.")
    return "\n".join(out) + "\n"


def _site(r: Resolution) -> str:
    loc = r.site.location
    text = f"{loc.file}:{loc.line}  {r.site.function}  ({r.site.method} {r.path})"
    # the first step of a trace is the site itself; the rest is the wrapper chain down to the HTTP call
    hops = [f"{s.file}:{s.line}" for s in r.site.trace if (s.file, s.line) != (loc.file, loc.line)]
    return text + (f" via {' -> '.join(hops)}" if hops else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
