"""The stable, versioned JSON report (`scopeplan.plan/1`)."""

from __future__ import annotations

import json

from scopeplan.model import Plan, Resolution, Unresolved

SCHEMA = "scopeplan.plan/1"


def render(plan: Plan) -> str:
    """The plan as JSON: sorted keys, posix paths, no timestamps."""
    return json.dumps(to_dict(plan), indent=2, sort_keys=True) + "\n"


def to_dict(plan: Plan) -> dict:
    """The plan as plain data, the shape every machine-readable format shares."""
    matched = [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]
    cat = plan.catalogue
    return {
        "schema": SCHEMA,
        "catalogue": {"source": cat.source, "api_version": cat.api_version, "derived": cat.derived,
                      "digest": cat.digest, "endpoints": len(cat.endpoints)},
        "scopes": [name for name, _ in plan.scopes],
        "scope_string": ",".join(name for name, _ in plan.scopes),
        "compact": plan.compact,
        "credits": {
            "per_run_worst_case": sum(r.max_credits or 0 for r in matched),
            "per_run_best_case": sum(r.min_credits or 0 for r in matched),
            "counting": "each matched call site once",
        },
        "call_sites": [_site(r) for r in plan.resolutions],
        "summary": {status: sum(1 for r in plan.resolutions if r.status == status)
                    for status in ("matched", "unmatched", "unresolved", "deprecated")},
        "files_scanned": plan.files_scanned,
        "errors": [{"file": e.file, "message": e.message} for e in plan.errors],
    }


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
        "min_credits": r.min_credits,
        "max_credits": r.max_credits,
        "reason": r.reason,
    }
