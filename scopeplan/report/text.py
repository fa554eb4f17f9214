"""The report for people: call sites, the scope set, the paste-ready string, credits, what failed."""

from __future__ import annotations

from scopeplan.model import Plan, Resolution, Unresolved

_MARK = {"matched": "ok", "unmatched": "??", "unresolved": "..", "deprecated": "v1"}


def render(plan: Plan) -> str:
    """Plain text, deterministic, no colour."""
    cat = plan.catalogue
    kind = "derived from the Zoho SDK, not an __apis response" if cat.derived else cat.source
    out = [f"scopeplan: {plan.files_scanned} files scanned, catalogue {cat.api_version} ({kind}, "
           f"{len(cat.endpoints)} paths, {cat.digest[:19]})", ""]
    sites = [r for r in plan.resolutions]
    if sites:
        out.append("Call sites")
        rows = [(f"{r.site.location.file}:{r.site.location.line}", _MARK[r.status], _method(r), r.path or "?",
                 ", ".join(r.scopes) or (r.status if r.status != "matched" else "-"), _credits(r)) for r in sites]
        out.extend(_table(rows, ("where", "", "method", "path", "scope", "credits")))
        out.append("")
    else:
        out.extend(["No Zoho CRM calls found.", ""])
    if plan.scopes:
        label = "Scopes (compact)" if plan.compact else "Least-privilege scopes"
        out.append(f"{label}: {len(plan.scopes)}")
        for name, users in plan.scopes:
            out.append(f"  {name}  ({len(users)} call site{'s' if len(users) != 1 else ''})")
        out.append("")
        out.append("Paste into the Zoho API console:")
        out.append("  " + ",".join(name for name, _ in plan.scopes))
        out.append("")
    matched = [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]
    if matched:
        worst = sum(r.max_credits or 0 for r in matched)
        best = sum(r.min_credits or 0 for r in matched)
        out.append(f"Credits, each matched call once: {best} at best, {worst} at worst")
        out.append("")
    for status, title in (("unresolved", "Unresolved (scopeplan could not tell)"),
                          ("unmatched", "Not in the catalogue"),
                          ("deprecated", "Deprecated (Zoho CRM API v1)")):
        group = [r for r in plan.resolutions if r.status == status]
        if group:
            out.append(f"{title}: {len(group)}")
            out.extend(f"  {r.site.location.file}:{r.site.location.line}: {r.reason}" for r in group)
            out.append("")
    if plan.errors:
        out.append(f"Files that could not be scanned: {len(plan.errors)}")
        out.extend(f"  {e.file}: {e.message}" for e in plan.errors)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _method(r: Resolution) -> str:
    return "?" if isinstance(r.site.method, Unresolved) else r.site.method


def _credits(r: Resolution) -> str:
    if r.max_credits is None:
        return ""
    return str(r.max_credits) if r.min_credits == r.max_credits else f"{r.min_credits}-{r.max_credits}"


def _table(rows, header) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = []
    for row in (header, *rows):
        lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    return lines
