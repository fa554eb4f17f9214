"""Judge a plan against its baseline: new scopes, unused scopes, credit changes, new unresolved or unmatched calls.

The gate is set difference (detect-secrets' lesson): what the code needs now minus what the baseline grants,
compared through the scope algebra, so a baseline that grants `X.ALL` covers a new `X.READ`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scopeplan import scopes as scope_algebra
from scopeplan.baseline import Baseline, endpoint_key, open_key, per_run_worst_case
from scopeplan.model import Plan, Resolution

_VERSION = re.compile(r"^(/crm/(?:bulk/|email/)?)v\d+(?:\.\d+)?(?=/|$)")


@dataclass(frozen=True, slots=True)
class NewScope:
    """A scope the code needs and the baseline does not grant, with the endpoints and sites that need it."""

    scope: str
    endpoints: tuple[str, ...]  # "POST /crm/v8/Notes"
    sites: tuple[Resolution, ...]


@dataclass(frozen=True, slots=True)
class CreditChange:
    """Worst-case credits of an entry point (None: the per-run total) then and now; None means unbounded."""

    entry_point: str | None
    before: int | None
    after: int | None
    over: bool  # rose above the baseline plus the tolerance (never when no tolerance is configured)


@dataclass(frozen=True, slots=True)
class CatalogueChange:
    """What the catalogue now says about an approved endpoint, when its digest changed."""

    endpoint: str
    change: str


@dataclass(frozen=True, slots=True)
class Drift:
    """A plan judged against its baseline; `failed` says whether `check` exits 1."""

    baseline_file: str  # posix, relative to the scanned root when inside it
    added: tuple[NewScope, ...]
    unused: tuple[str, ...]  # granted, and no matched, unmatched or unresolved call could need it: safe to drop
    credits: tuple[CreditChange, ...]
    unresolved: tuple[Resolution, ...]  # unresolved calls the baseline does not know
    catalogue: tuple[CatalogueChange, ...]
    catalogue_digests: tuple[str, str]  # (baseline, now)
    tolerance: float | None = None  # None: credit changes are reported, never fail
    strict: bool = False
    fail_on_unused: bool = False
    unmatched: tuple[Resolution, ...] = ()  # unmatched calls the baseline does not know
    allow_new_unresolved: bool = False
    kept: tuple[tuple[str, tuple[Resolution, ...]], ...] = ()  # no call surely needs it, but these calls may
    over_budget: bool = False  # the daily worst case is above the configured edition's allowance

    @property
    def new_open(self) -> tuple[Resolution, ...]:
        """New unresolved and unmatched calls: each could need a scope nobody approved."""
        return self.unresolved + self.unmatched

    @property
    def failed(self) -> bool:
        """True when the gate must fail: a new scope, a new unresolved or unmatched call (unless allowed),
        credits over a configured tolerance or budget, or unused scopes under --fail-on-unused."""
        return bool(self.added or any(c.over for c in self.credits) or self.over_budget
                    or (self.new_open and not self.allow_new_unresolved)
                    or (self.fail_on_unused and self.unused))


def diff(old: Baseline, plan: Plan, *, tolerance: float | None = None, strict: bool = False,
         fail_on_unused: bool = False, allow_new_unresolved: bool = False) -> Drift:
    """What the plan needs beyond the baseline (scopes, credits, unresolved and unmatched calls) and what it
    no longer needs. `tolerance` None: credit rises are reported, and fail only over a configured budget."""
    data = old.data
    granted = [scope_algebra.parse(s) for s in data["scopes"]]
    # what the plan's scope set counts: matched calls and the certain part of unresolved ones
    calls = [r for r in plan.resolutions if r.needed_scopes]
    needs = {need for r in calls for need in r.needed_scopes}
    added = []
    for need in sorted({n for n in needs if not any(scope_algebra.covers(g, n) for g in granted)}):
        sites = tuple(r for r in calls if need in r.needed_scopes)
        added.append(NewScope(need, tuple(sorted({endpoint_key(r) for r in sites})), sites))
    not_needed = sorted(s for s, g in zip(data["scopes"], granted, strict=True)
                        if not any(scope_algebra.covers(g, n) for n in needs))
    kept = tuple((s, tuple(r for r in plan.open_calls if may_need(r, s))) for s in not_needed)
    kept = tuple((s, calls) for s, calls in kept if calls)
    budget = plan.budget
    digests = (data["catalogue"]["digest"], plan.catalogue.digest)
    return Drift(
        baseline_file=_shown(old.path, Path(plan.root)),
        added=tuple(added), unused=tuple(s for s in not_needed if s not in dict(kept)),
        credits=_credits(data["credits"], plan, tolerance),
        unresolved=_new_open(data["unresolved"], plan, "unresolved"),
        unmatched=_new_open(data.get("unmatched", []), plan, "unmatched"),
        catalogue=_catalogue_changes(data, plan) if digests[0] != digests[1] else (),
        catalogue_digests=digests, tolerance=tolerance, strict=strict, fail_on_unused=fail_on_unused,
        allow_new_unresolved=allow_new_unresolved, kept=kept,
        over_budget=bool(budget and budget.share is not None and budget.share > 1),
    )


def may_need(r: Resolution, scope: str) -> bool:
    """Whether an unresolved or unmatched call could need `scope`: one of its candidates is covered by it,
    or scopeplan does not know its candidates (then any scope may be the one)."""
    if not r.candidates:
        return True
    return any(scope_algebra.covers(scope, c) for c in r.candidates)


def _new_open(approved: list[dict], plan: Plan, status: str) -> tuple[Resolution, ...]:
    allowance = Counter({(u["function"], u["reason"]): u["count"] for u in approved})
    new = []
    for r in plan.open_calls:
        if r.status != status:
            continue
        key = open_key(r)
        if allowance[key] > 0:
            allowance[key] -= 1
        else:
            new.append(r)
    return tuple(new)


def _credits(approved: dict, plan: Plan, tolerance: float | None) -> tuple[CreditChange, ...]:
    pairs = [(None, approved["per_run_worst_case"], per_run_worst_case(plan))]
    entry_points = sorted(plan.entry_points, key=lambda e: e.function)
    before = _follow_moves(approved["entry_points"], [e.function for e in entry_points])
    # NOTE: only entry points present on both sides are compared; a new or renamed one is not a rise,
    # and the per-run total still catches the cost of any call that was added.
    pairs += [(e.function, before[e.function], e.worst_case) for e in entry_points if e.function in before]
    return tuple(CreditChange(name, was, now, _over(was, now, tolerance)) for name, was, now in pairs if was != now)


def _follow_moves(before: dict, now: list[str]) -> dict:
    """Baseline credits under today's names: an entry point moved to another module keeps its approval."""
    def by_name(names):
        groups: dict[str, list[str]] = {}
        for name in names:
            groups.setdefault(name.split(":", 1)[-1], []).append(name)
        return groups

    gone, new = by_name(k for k in before if k not in now), by_name(n for n in now if n not in before)
    moved = {new[local][0]: before[old[0]] for local, old in gone.items() if len(old) == len(new.get(local, ())) == 1}
    return {**before, **moved}


def _over(before: int | None, after: int | None, tolerance: float | None) -> bool:
    if tolerance is None:  # no tolerance configured: a change is reported, the scopes decide the gate
        return False
    if before is None:  # it was already unbounded: nothing can rise above that
        return False
    if after is None:
        return True
    return after > before * (1 + tolerance / 100)


def _catalogue_changes(data: dict, plan: Plan) -> tuple[CatalogueChange, ...]:
    # NOTE: compared without the version segment, as the matcher matches: a v8 -> v9 catalogue is not all new
    current = {_VERSION.sub(r"\1", e.template): e for e in plan.catalogue.endpoints}
    out = []
    for key, was in sorted(data["endpoints"].items()):
        method, _, template = key.partition(" ")
        endpoint = current.get(_VERSION.sub(r"\1", template))
        op = endpoint.operation(method) if endpoint else None
        if op is None:
            out.append(CatalogueChange(key, "no longer in the catalogue"))
            continue
        if op.scope.lower() != was["oauth_scope"].lower():
            out.append(CatalogueChange(key, f"scope {was['oauth_scope']} -> {op.scope}"))
        if op.max_credits != was["max_credits"]:
            out.append(CatalogueChange(key, f"max_credits {was['max_credits']} -> {op.max_credits}"))
    return tuple(out)


def _shown(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
