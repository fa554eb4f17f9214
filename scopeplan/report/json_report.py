"""The stable, versioned JSON report (`scopeplan.plan/1`)."""

from __future__ import annotations

import json

from scopeplan import credits
from scopeplan.baseline import per_run_worst_case
from scopeplan.drift import Drift
from scopeplan.model import STATUSES, Plan, Resolution, Unresolved
from scopeplan.report import fixes, privilege

SCHEMA = "scopeplan.plan/1"


def render(plan: Plan, drift: Drift | None = None) -> str:
    """The plan as JSON: sorted keys, posix paths, no timestamps; under `check`, with a `drift` object."""
    data = to_dict(plan)
    if drift is not None:
        data["drift"] = drift_dict(drift)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def drift_dict(drift: Drift) -> dict:
    """The drift as plain data: what `check` found, and whether it fails."""
    return {
        "failed": drift.failed,
        "baseline": drift.baseline_file,
        "added_scopes": [{"scope": a.scope, "endpoints": list(a.endpoints), "call_sites": [_where(r) for r in a.sites]}
                         for a in drift.added],
        "unused_scopes": list(drift.unused),
        "credits": [{"entry_point": c.entry_point, "before": c.before, "after": c.after, "over": c.over}
                    for c in drift.credits],
        "credit_tolerance": drift.tolerance,
        "new_unresolved": [_open(r) for r in drift.unresolved],
        "new_unmatched": [_open(r) for r in drift.unmatched],
        "allow_new_unresolved": drift.allow_new_unresolved,
        "kept_scopes": [{"scope": s, "may_be_needed_by": [_where(r) for r in calls]} for s, calls in drift.kept],
        "over_budget": drift.over_budget,
        "catalogue": {"baseline_digest": drift.catalogue_digests[0], "digest": drift.catalogue_digests[1],
                      "changes": [{"endpoint": c.endpoint, "change": c.change} for c in drift.catalogue]},
        "strict": drift.strict,
        "fail_on_unused": drift.fail_on_unused,
    }


def to_dict(plan: Plan) -> dict:
    """The plan as plain data, the shape every machine-readable format shares."""
    matched = [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]
    cat = plan.catalogue
    return {
        **privilege.to_dict(plan),
        "schema": SCHEMA,
        "catalogue": {"source": cat.source, "api_version": cat.api_version, "derived": cat.derived,
                      "digest": cat.digest, "endpoints": len(cat.endpoints)},
        "scopes": [name for name, _ in plan.scopes],
        "scope_string": ",".join(name for name, _ in plan.scopes),
        "compact": plan.compact,
        "credits": {
            "per_run_worst_case": credits.per_run(plan.entry_points),
            "each_call_once": {"worst_case": per_run_worst_case(plan),
                               "best_case": sum(r.min_credits or 0 for r in matched)},
            "entry_points": [{"function": e.function, "worst_case": e.worst_case,
                              "unbounded_because": e.unbounded_because} for e in plan.entry_points],
            **({"budget": _budget(plan.budget)} if plan.budget else {}),
        },
        "call_sites": [_site(r) for r in plan.resolutions],
        "summary": {status: sum(1 for r in plan.resolutions if r.status == status)
                    for status in STATUSES},
        "files_scanned": plan.files_scanned,
        "tests_skipped": plan.tests_skipped,
        "errors": [{"file": e.file, "message": e.message} for e in plan.errors],
        "warnings": [{"file": e.file, "message": e.message} for e in plan.warnings],
        "notices": list(plan.notices),
        "problems": [{"file": p.file, "message": p.message} for p in plan.problems],
        "complete": plan.complete,
    }


def _open(r: Resolution) -> dict:
    return {**_where(r), "status": r.status, "reason": r.reason, "candidates": list(r.candidates),
            "hint": fixes.hint_line(r), "fix": fixes.fix(r, gate=True)}


def _site(r: Resolution) -> dict:
    site = r.site
    return {
        "file": site.location.file,
        "line": site.location.line,
        "column": site.location.column,
        "function": site.function,
        "library": site.library,
        "method": None if isinstance(site.method, Unresolved) else site.method,
        "path": r.path,
        "api_version": r.api_version,
        "status": r.status,
        "endpoint": r.endpoint,
        "scopes": list(r.scopes),
        "conjunctions": [{"scope": scope, "source": url} for scope, url in r.conjunctions],
        "min_credits": r.min_credits,
        "max_credits": r.max_credits,
        "reason": r.reason,
        "candidates": list(r.candidates),
        "hint": fixes.hint_line(r),
        "trace": [{"file": t.file, "line": t.line} for t in site.trace],
        "implicit": site.implicit,
        "ignored": site.ignored,
    }


def _budget(b) -> dict:
    return {"edition": b.edition, "users": b.users, "daily_allowance": b.allowance,
            "daily_worst_case": b.daily_worst_case, "share": None if b.share is None else round(b.share, 6),
            "unbounded_because": b.unbounded_because, "bounded_daily": b.bounded_daily, "limits_source": b.source}


def _where(r: Resolution) -> dict:
    loc = r.site.location
    return {"file": loc.file, "line": loc.line, "column": loc.column, "function": r.site.function}
