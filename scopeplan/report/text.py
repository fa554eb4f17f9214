"""The report for people: call sites, the scope set, the paste-ready string, credits, what failed.

Under `check` it is the gate's verdict instead: one line when nothing changed, then what drifted and why.
"""

from __future__ import annotations

from scopeplan.baseline import endpoint_key
from scopeplan.drift import CreditChange, Drift
from scopeplan.model import Plan, Resolution, Unresolved
from scopeplan.report import fixes, privilege

_MARK = {"matched": "ok", "unmatched": "??", "unresolved": "..", "deprecated": "v1"}


def render(plan: Plan, drift: Drift | None = None) -> str:
    """Plain text, deterministic, no colour: the scan report, or the check verdict when `drift` is given."""
    if drift is not None:
        return _check(plan, drift)
    cat = plan.catalogue
    kind = "derived from the Zoho SDK, not an __apis response" if cat.derived else cat.source
    skipped = f" ({plan.tests_skipped} test files skipped: include-tests = true scans them)" if plan.tests_skipped else ""
    out = [f"scopeplan: {plan.files_scanned} files scanned{skipped}, catalogue {cat.api_version} ({kind}, "
           f"{len(cat.endpoints)} paths, {cat.digest[:19]})", ""]
    sites = [r for r in plan.resolutions]
    if sites:
        out.append("Call sites")
        rows = [(f"{r.site.location.file}:{r.site.location.line}", "ig" if r.site.ignored else _MARK[r.status],
                 method_cell(r), r.path or "?", _scope_cell(r), credits_cell(r)) for r in sites]
        out.extend(_table(rows, ("where", "", "method", "path", "scope", "credits")))
        out.append("")
    else:
        out.extend(["No Zoho CRM calls found." if not plan.warnings else
                    f"No Zoho CRM call site found, but {len(plan.warnings)} files name Zoho CRM: see the end of "
                    "this report.", ""])
    if plan.scopes:
        label = "Scopes (compact)" if plan.compact else "Least-privilege scopes"
        out.append(f"{label}: {len(plan.scopes)}")
        for name, users in plan.scopes:
            out.append(f"  {name}  ({len(users)} call site{'s' if len(users) != 1 else ''})")
        out.append("")
        out.append("Paste into the Zoho API console:")
        out.append("  " + ",".join(name for name, _ in plan.scopes))
        if (warning := fixes.incomplete(plan)) is not None:
            out.append(f"  {warning} (see below)")
        out.append("")
    matched = [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]
    if matched:
        worst = sum(r.max_credits or 0 for r in matched)
        best = sum(r.min_credits or 0 for r in matched)
        out.append(f"Credits, each matched call once: {best} at best, {worst} at worst")
        out.append("")
    out.extend(_entry_points(plan))
    out.extend(privilege.text_lines(plan))
    ignored = [r for r in plan.resolutions if r.site.ignored]
    if ignored:
        out.append(f"Ignored by `# scopeplan: ignore`: {len(ignored)}")
        out.extend(f"  {r.site.location.file}:{r.site.location.line}: {r.site.ignored}" for r in ignored)
        out.append("")
    for status, title in (("unresolved", "Unresolved (scopeplan could not tell)"),
                          ("unmatched", "Not in the catalogue"),
                          ("deprecated", "Deprecated (Zoho CRM API v1)")):
        group = [r for r in plan.resolutions if r.status == status]
        if group:
            out.append(f"{title}: {len(group)}")
            for r in group:
                out.extend(open_call(r) if status != "deprecated" and not r.site.ignored
                           else [f"  {_where(r)}: {r.reason}"])
            out.append("")
    out.extend(legacy_section(plan))
    if plan.errors:
        out.append(f"Files that could not be scanned: {len(plan.errors)}")
        out.extend(f"  {e.file}: {e.message}" for e in plan.errors)
        out.append("")
    if plan.warnings:
        out.append(f"Files that name Zoho CRM but gave no call site (check them by hand): {len(plan.warnings)}")
        out.extend(f"  {e.file}: {e.message}" for e in plan.warnings)
        out.append("")
    if plan.notices:
        out.append(f"Notices: {len(plan.notices)}")
        out.extend(f"  {n}" for n in plan.notices)
    out.extend(_problems(plan))
    return "\n".join(out).rstrip("\n") + "\n"


def legacy_section(plan: Plan) -> list[str]:
    """Legacy v1 calls with what to call instead, and the files read as Python 2 (a notice, not an error)."""
    from scopeplan.models.zoho_v1 import migrations

    out: list[str] = []
    moves = migrations(plan)
    if moves:
        out.append(f"Legacy v1 calls: {len(moves)} (port each to the current API)")
        for m in moves:
            where = f"{m.resolution.site.location.file}:{m.resolution.site.location.line}"
            target = f"{m.http_method} {m.path}" if m.path else "no v2 counterpart known"
            out.append(f"  {where}: {m.v1_method} ({m.module or '?'}) -> {target}"
                       + (f"  needs {', '.join(m.scopes)}" if m.scopes else ""))
            if m.source:
                out.append(f"      {m.source}")
        out.append("")
    if plan.python2:
        out.append(f"Read as Python 2 (translated in memory, same lines): {len(plan.python2)}")
        out.extend(f"  {path}" for path in plan.python2)
        out.append("")
    return out


def open_call(r: Resolution, gate: bool = False) -> list[str]:
    """An unresolved or unmatched call: where, why, what it could need and how to settle it."""
    lines = [f"  {_where(r)}: {r.reason}"]
    if (could := fixes.candidates(r)) is not None:
        lines.append(f"      could need: {could}")
    lines.append(f"      fix: {fixes.fix(r, gate)}")
    return lines


def _problems(plan: Plan) -> list[str]:
    if not plan.problems:
        return []
    return [f"Warnings: hints and names to fix (the files were still analysed): {len(plan.problems)}",
            *(f"  {w.file}: {w.message}" for w in plan.problems), ""]


TOP_ENTRY_POINTS = 10


def _entry_points(plan: Plan) -> list[str]:
    """The costliest entry points (unbounded first), and the daily budget when an edition is set."""
    if not plan.entry_points:
        return []
    ranked = sorted(plan.entry_points, key=lambda e: (e.worst_case is not None, -(e.worst_case or 0), e.function))
    out = [f"Worst-case credits per entry point (top {min(TOP_ENTRY_POINTS, len(ranked))} of {len(ranked)}):"]
    for e in ranked[:TOP_ENTRY_POINTS]:
        out.append(f"  {e.function}: " + (f"unbounded ({e.unbounded_because})" if e.worst_case is None
                                          else str(e.worst_case)))
    b = plan.budget
    if b is not None:
        allowance = "unlimited" if b.allowance is None else f"{b.allowance:,}"
        if b.daily_worst_case is None:
            use = f"unbounded ({b.unbounded_because}); the bounded entry points alone: {b.bounded_daily:,}"
            if b.allowance:
                use += f" = {b.bounded_daily / b.allowance:.1%} of it"
        else:
            use = f"{b.daily_worst_case:,}" + (f" = {b.share:.1%} of it" if b.share is not None else "")
        out.append(f"Daily budget, {b.edition} with {b.users} users: {allowance} credits / 24 h; "
                   f"worst case per day: {use}")
    out.append("")
    return out


def _scope_cell(r: Resolution) -> str:
    text = ", ".join(r.scopes) or (r.status if r.status != "matched" else "-")
    return f"{text} (implicit)" if r.site.implicit else text


def method_cell(r: Resolution) -> str:
    """The method column: `?` when the code decides it at run time."""
    return "?" if isinstance(r.site.method, Unresolved) else r.site.method


def credits_cell(r: Resolution) -> str:
    """The credits column: `1`, or `1-10` when the catalogue gives a range."""
    if r.max_credits is None:
        return ""
    return str(r.max_credits) if r.min_credits == r.max_credits else f"{r.min_credits}-{r.max_credits}"


def _table(rows, header) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = []
    for row in (header, *rows):
        lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    return lines


def verdict(plan: Plan, drift: Drift) -> str:
    """One line: whether the gate passes and, in a few words, why."""
    if drift.failed:
        return "FAILED: " + "; ".join(_failures(drift))
    n = len(plan.scopes)
    line = f"ok: {n} scope{'s' if n != 1 else ''}, all granted by {drift.baseline_file}"
    if drift.unused:
        line += f"; {_count(len(drift.unused), 'granted scope')} no longer needed"
    if drift.new_open:
        line += f"; {_new_open(drift)} allowed by --allow-new-unresolved"
    known = len(plan.open_calls) - len(drift.new_open)
    if known:
        line += f"; {_count(known, 'known unresolved or unmatched call')} (accepted in the baseline)"
    if any(c.after != c.before for c in drift.credits) and drift.tolerance is None:
        line += "; worst-case credits changed"
    return line


def credit_label(change: CreditChange) -> str:
    """The entry point a credit change is about, in words."""
    return change.entry_point or "per run, each call site once"


def credits(value: int | None) -> str:
    """A worst case in words: a number, or `unbounded`."""
    return "unbounded" if value is None else str(value)


def _failures(drift: Drift) -> list[str]:
    out = []
    if drift.added:
        out.append(f"{_count(len(drift.added), 'new scope')} ({', '.join(a.scope for a in drift.added)})")
    over = [c for c in drift.credits if c.over]
    if over:
        out.append(f"worst-case credits rose ({', '.join(credit_label(c) for c in over)})")
    if drift.new_open and not drift.allow_new_unresolved:
        out.append(_new_open(drift))
    if drift.over_budget:
        out.append("the daily worst case is above the edition's credit allowance")
    if drift.fail_on_unused and drift.unused:
        out.append(f"{_count(len(drift.unused), 'granted scope')} no longer needed")
    return out


def _new_open(drift: Drift) -> str:
    parts = [_count(len(calls), f"new {what} call") for calls, what in
             ((drift.unresolved, "unresolved"), (drift.unmatched, "unmatched")) if calls]
    return " and ".join(parts)


def tolerance(drift: Drift) -> str:
    """How credit changes are judged, in words."""
    if drift.tolerance is None:
        return "reported only: set credit-tolerance or a budget to gate them"
    return f"tolerance {drift.tolerance:g}%"


def _check(plan: Plan, drift: Drift) -> str:
    out = [f"scopeplan check: {verdict(plan, drift)}"]
    for new in drift.added:
        out.append(f"New scope {new.scope}, not granted by {drift.baseline_file}; needed by:")
        for endpoint in new.endpoints:
            out.append(f"  {endpoint}")
            out.extend(f"    {_where(r)}  {r.site.function}" for r in new.sites if endpoint_key(r) == endpoint)
    if drift.credits:
        out.append(f"Worst-case credits ({tolerance(drift)}):")
        out.extend(f"  {credit_label(c)}: {credits(c.before)} -> {credits(c.after)}"
                   + ("  above the baseline" if c.over else "") for c in drift.credits)
    if drift.unused:
        out.append(f"You can drop these scopes: {considered(plan)} and none needs them")
        out.extend(f"  {scope}" for scope in drift.unused)
    for scope, calls in drift.kept:
        out.append(f"Keep {scope}: no matched call needs it, but {_count(len(calls), 'call')} scopeplan could not "
                   f"resolve may: {', '.join(_where(r) for r in calls)}")
    for calls, what in ((drift.unresolved, "unresolved"), (drift.unmatched, "unmatched")):
        if calls:
            note = " (allowed by --allow-new-unresolved)" if drift.allow_new_unresolved else ""
            out.append(f"New {what} calls, not known to {drift.baseline_file}{note}:")
            for r in calls:
                out.extend(open_call(r, gate=True))
    if drift.catalogue:
        out.append(f"The catalogue changed since the baseline ({drift.catalogue_digests[0][:19]} -> "
                   f"{drift.catalogue_digests[1][:19]}):")
        out.extend(f"  {c.endpoint}: {c.change}" for c in drift.catalogue)
    out.extend(line for line in privilege.text_lines(plan, only_grants=True) if line)
    if plan.errors:
        out.append(f"Files that could not be scanned (their calls are missing from this check): {len(plan.errors)}")
        out.extend(f"  {e.file}: {e.message}" for e in plan.errors)
    out.extend(line for line in _problems(plan) if line)
    if drift.failed or drift.unused:
        out.append(f"If the change is intended, run `scopeplan baseline` and commit {drift.baseline_file}.")
    return "\n".join(out) + "\n"


def considered(plan: Plan) -> str:
    """Which calls a drop was judged against, in words."""
    counts = [sum(1 for r in plan.resolutions if r.status == s and not r.site.ignored)
              for s in ("matched", "unmatched", "unresolved")]
    return (f"considered {_count(counts[0], 'matched call')}, {_count(counts[1], 'unmatched call')} and "
            f"{_count(counts[2], 'unresolved call')}")


def _where(r: Resolution) -> str:
    return f"{r.site.location.file}:{r.site.location.line}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
