"""The least-privilege sections every format shares: needed vs granted, scopes per job, credits you can save."""

from __future__ import annotations

from scopeplan import advice as saving
from scopeplan.granted import Broader, GrantCheck, Kept, Place, Unused
from scopeplan.jobs import Job, Split
from scopeplan.model import Location, Plan

MISMATCH = "the call fails with 401 OAUTH_SCOPE_MISMATCH"


def place(p: Place) -> str:
    """`authorization URL at app/auth.py:12`."""
    if p.location is None:
        return f"{p.origin.label} ({getattr(p.origin, 'source', '')})"
    name = getattr(p.origin, "name", None)
    return f"{p.origin.label}{f' {name}' if name else ''} at {where(p.location)}"


def where(loc: Location) -> str:
    """`file:line`."""
    return f"{loc.file}:{loc.line}"


def over_line(item) -> str:
    """One over-grant in words."""
    if isinstance(item, Unused):
        return f"{item.scope}: no call needs it"
    assert isinstance(item, Broader)
    return f"{item.scope} is wider than needed: {', '.join(item.instead)} suffice"


def kept_line(k: Kept) -> str:
    """A scope withheld from the over-grants, in words."""
    calls = f"{len(k.sites)} call{'s' if len(k.sites) != 1 else ''} scopeplan could not resolve"
    sites = ", ".join(where(s) for s in k.sites)
    if k.instead:
        return f"{k.scope}: {', '.join(k.instead)} would do for the other calls, but {calls} may need more ({sites})"
    return f"{k.scope}: no other call needs it, but {calls} may ({sites})"


def verdict(g: GrantCheck) -> str:
    """`2 over-granted, 1 under-granted` or `exactly what the code needs`."""
    parts = []
    if g.over:
        parts.append(f"{len(g.over)} over-granted")
    if g.under:
        parts.append(f"{len(g.under)} under-granted")
    if g.kept:
        parts.append(f"{len(g.kept)} kept for unresolved calls")
    if g.partial:
        parts.append(g.partial)
    return ", ".join(parts) or "exactly what the code needs"


def split_line(s: Split) -> str:
    """The advice to give a read-only job its own client."""
    return (f"split `{s.job}` onto its own client: it needs only {', '.join(s.needs)}; the shared token also "
            f"grants {', '.join(s.spared)} (needed by {', '.join(f'`{w}`' for w in s.writers)})")


def job_cost(j: Job) -> str:
    """A job's worst case in words."""
    if j.worst_case is not None:
        return f"worst case {j.worst_case} credit{'s' if j.worst_case != 1 else ''}"
    return f"unbounded ({j.unbounded_because})" if j.unbounded_because else "no credits counted"


def text_lines(plan: Plan, only_grants: bool = False) -> list[str]:
    """The three sections of the text report (empty when there is nothing to say); `check` shows the grants."""
    out: list[str] = []
    if plan.grants:
        out.append(f"Requested scopes vs needed: {len(plan.grants)} set{'s' if len(plan.grants) != 1 else ''}")
        for g in plan.grants:
            out.append(f"  {'; '.join(place(p) for p in g.places)}: {verdict(g)}")
            out.append(f"    requested: {','.join(g.scopes)}")
            out.extend(f"    over-granted: {over_line(o)}" for o in g.over)
            out.extend(f"    kept for now: {kept_line(k)}" for k in g.kept)
            out.extend(f"    under-granted: {m.scope} ({', '.join(where(s) for s in m.sites) or 'no site'}): {MISMATCH}"
                       for m in g.under)
            if g.foreign:
                out.append(f"    not judged (other Zoho products): {', '.join(g.foreign)}")
        out.append("")
    if only_grants:
        return out
    shown = [j for j in plan.jobs if j.scopes]
    if shown:
        out.append(f"Scopes per job: {len(shown)}")
        for j in shown:
            out.append(f"  {j.function}  [{', '.join(w.label for w in j.why)}]  {job_cost(j)}")
            out.append(f"    {', '.join(j.scopes)}")
        out.extend(f"  {split_line(s)}" for s in plan.splits)
        out.append("")
    if plan.advice:
        out.append(f"Credits you can save: {len(plan.advice)}")
        for a in plan.advice:
            loc = a.sites[0] if isinstance(a, saving.UseComposite) else a.where
            out.append(f"  {where(loc)}: {a.title}: {saving.describe(a)}")
            out.append(f"    source: {', '.join(a.sources)}")
        out.append("")
    return out


def to_dict(plan: Plan) -> dict:
    """The sections as plain data for the JSON report."""
    return {
        "granted": [{
            "scopes": list(g.scopes),
            "requested_at": [{"file": p.location.file if p.location else None,
                              "line": p.location.line if p.location else None, "origin": p.origin.label,
                              **({"name": p.origin.name} if hasattr(p.origin, "name") else {}),
                              **({"source": p.origin.source} if hasattr(p.origin, "source") else {})} for p in g.places],
            "over_granted": [{"scope": o.scope, "instead": list(getattr(o, "instead", ()))} for o in g.over],
            "kept": [{"scope": k.scope, "may_be_needed_by": [{"file": s.file, "line": s.line} for s in k.sites]}
                     for k in g.kept],
            "under_granted": [{"scope": m.scope, "call_sites": [{"file": s.file, "line": s.line} for s in m.sites]}
                              for m in g.under],
            "not_judged": list(g.foreign),
            "partial": g.partial,
            "console": g.console,
        } for g in plan.grants],
        "jobs": [{
            "function": j.function,
            "why": [w.label for w in j.why],
            "scopes": list(j.scopes),
            "worst_case": j.worst_case,
            "unbounded_because": j.unbounded_because,
            "endpoints": [{"endpoint": e.endpoint, "status": e.status, "scopes": list(e.scopes),
                           "credits": e.credits, "unbounded_because": e.unbounded_because,
                           "call_sites": [{"file": r.site.location.file, "line": r.site.location.line}
                                          for r in e.sites]} for e in j.edges],
        } for j in plan.jobs],
        "splits": [{"job": s.job, "needs": list(s.needs), "spared": list(s.spared), "writers": list(s.writers),
                    "message": split_line(s)} for s in plan.splits],
        "advice": [{
            "kind": type(a).__name__,
            "title": a.title,
            "file": (a.sites[0] if isinstance(a, saving.UseComposite) else a.where).file,
            "line": (a.sites[0] if isinstance(a, saving.UseComposite) else a.where).line,
            "message": saving.describe(a),
            "credits_now": getattr(a, "credits_now", None),
            "credits_after": getattr(a, "credits_after", None),
            "sources": list(a.sources),
        } for a in plan.advice],
    }


def markdown_lines(plan: Plan, only_grants: bool = False) -> list[str]:
    """The three sections and the mermaid picture, as GitHub-flavoured markdown; `check` shows the grants."""
    from scopeplan.report.graph import mermaid

    out: list[str] = []
    if plan.grants:
        out += ["### Requested scopes vs needed", ""]
        for g in plan.grants:
            out += [f"**{'; '.join(place(p) for p in g.places)}**: {verdict(g)}", "",
                    f"Requested: `{','.join(g.scopes)}`", ""]
            out += [f"- over-granted: {over_line(o)}" for o in g.over]
            out += [f"- kept for now: {kept_line(k)}" for k in g.kept]
            out += [f"- **under-granted**: `{m.scope}` ({', '.join(f'`{where(s)}`' for s in m.sites)}): {MISMATCH}"
                    for m in g.under]
            out += [""] if g.over or g.under or g.kept else []
    if only_grants:
        return out
    shown = [j for j in plan.jobs if j.scopes]
    if shown:
        out += ["### Scopes per job", "", "| job | why | scopes | credits |", "| --- | --- | --- | --- |"]
        out += [f"| `{j.function}` | {', '.join(w.label for w in j.why)} | "
                f"{'<br>'.join(f'`{s}`' for s in j.scopes)} | {job_cost(j)} |" for j in shown]
        out.append("")
        out += [f"> {split_line(s)}" for s in plan.splits]
        out += [""] if plan.splits else []
    if plan.advice:
        out += ["### Credits you can save", ""]
        for a in plan.advice:
            loc = a.sites[0] if isinstance(a, saving.UseComposite) else a.where
            links = " ".join(f"[source]({u})" for u in a.sources)
            out.append(f"- `{where(loc)}` **{a.title}**: {saving.describe(a)} {links}")
        out.append("")
    picture = mermaid(plan)
    if picture:
        out += ["### Entry points → endpoints → scopes", "", *picture, ""]
    return out
