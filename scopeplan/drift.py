"""Judge a plan against its baseline: new scopes, unused scopes, credit rises, new unresolved calls.

The gate is set difference (detect-secrets' lesson): what the code needs now minus what the baseline grants,
compared through the scope algebra, so a baseline that grants `X.ALL` covers a new `X.READ`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scopeplan import scopes as scope_algebra
from scopeplan.baseline import Baseline, endpoint_key, matched, per_run_worst_case, unresolved_key
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
    over: bool  # rose above the baseline plus the tolerance


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
    unused: tuple[str, ...]
    credits: tuple[CreditChange, ...]
    unresolved: tuple[Resolution, ...]  # unresolved calls the baseline does not know
    catalogue: tuple[CatalogueChange, ...]
    catalogue_digests: tuple[str, str]  # (baseline, now)
    tolerance: float = 0.0
    strict: bool = False
    fail_on_unused: bool = False

    @property
    def failed(self) -> bool:
        """True when the gate must fail: new scope, credits over tolerance, or the strict/unused options."""
        return bool(self.added or any(c.over for c in self.credits) or (self.strict and self.unresolved)
                    or (self.fail_on_unused and self.unused))


def diff(old: Baseline, plan: Plan, *, tolerance: float = 0.0, strict: bool = False,
         fail_on_unused: bool = False) -> Drift:
    """What the plan needs beyond the baseline (scopes, credits, unresolved calls) and what it no longer needs."""
    data = old.data
    granted = [scope_algebra.parse(s) for s in data["scopes"]]
    calls = matched(plan)
    needs = {need for r in calls for need in r.scopes}
    added = []
    for need in sorted({n for n in needs if not any(scope_algebra.covers(g, n) for g in granted)}):
        sites = tuple(r for r in calls if need in r.scopes)
        added.append(NewScope(need, tuple(sorted({endpoint_key(r) for r in sites})), sites))
    unused = tuple(sorted(s for s, g in zip(data["scopes"], granted, strict=True)
                          if not any(scope_algebra.covers(g, n) for n in needs)))
    digests = (data["catalogue"]["digest"], plan.catalogue.digest)
    return Drift(
        baseline_file=_shown(old.path, Path(plan.root)),
        added=tuple(added), unused=unused, credits=_credits(data["credits"], plan, tolerance),
        unresolved=_new_unresolved(data["unresolved"], plan),
        catalogue=_catalogue_changes(data, plan) if digests[0] != digests[1] else (),
        catalogue_digests=digests, tolerance=tolerance, strict=strict, fail_on_unused=fail_on_unused,
    )


def _new_unresolved(approved: list[dict], plan: Plan) -> tuple[Resolution, ...]:
    allowance = Counter({(u["function"], u["reason"]): u["count"] for u in approved})
    new = []
    for r in plan.resolutions:
        if r.status != "unresolved" or r.site.ignored:
            continue
        key = unresolved_key(r)
        if allowance[key] > 0:
            allowance[key] -= 1
        else:
            new.append(r)
    return tuple(new)


def _credits(approved: dict, plan: Plan, tolerance: float) -> tuple[CreditChange, ...]:
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


def _over(before: int | None, after: int | None, tolerance: float) -> bool:
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
