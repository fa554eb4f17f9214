"""Markdown for a pull-request comment or a CI job summary: the verdict first, then the details."""

from __future__ import annotations

from scopeplan.baseline import endpoint_key, per_run_worst_case
from scopeplan.drift import Drift
from scopeplan.model import Plan, Resolution, Unresolved
from scopeplan.report import fixes, privilege
from scopeplan.report.text import considered, credit_label, credits, tolerance, verdict

_SECTIONS = (("unresolved", "Unresolved calls (scopeplan could not tell)"),
             ("unmatched", "Not in the catalogue"),
             ("deprecated", "Deprecated (Zoho CRM API v1)"))


def render(plan: Plan, drift: Drift | None = None) -> str:
    """GitHub-flavoured markdown, deterministic: the scan summary, or the check verdict when `drift` is given."""
    out = _check(plan, drift) if drift is not None else _scan(plan)
    out += privilege.markdown_lines(plan, only_grants=drift is not None)
    if plan.errors:
        out += [f"### Files that could not be scanned ({len(plan.errors)})", "",
                *_table(("file", "error"), [(f"`{e.file}`", e.message) for e in plan.errors])]
    if plan.warnings:
        out += [f"### Files that name Zoho CRM but gave no call site ({len(plan.warnings)})", "",
                *_table(("file", "warning"), [(f"`{w.file}`", w.message) for w in plan.warnings])]
    if plan.problems:
        out += [f"### Hints and names to fix ({len(plan.problems)})", "",
                *_table(("file", "warning"), [(f"`{w.file}`", w.message) for w in plan.problems])]
    cat = plan.catalogue
    kind = "derived from the Zoho SDK" if cat.derived else cat.source
    out.append(f"<sub>scopeplan · {plan.files_scanned} files · catalogue {cat.api_version} ({kind}) "
               f"`{cat.digest[:19]}`</sub>")
    return "\n".join(out) + "\n"


def _scan(plan: Plan) -> list[str]:
    sites = sum(1 for r in plan.resolutions if r.status == "matched" and not r.site.ignored)
    out = [f"## scopeplan: {_count(len(plan.scopes), 'least-privilege scope')} for "
           f"{_count(sites, 'Zoho CRM call site')}", ""]
    unresolved = sum(1 for r in plan.resolutions if r.status == "unresolved")
    if unresolved:
        out += [f"**{_count(unresolved, 'call')} could not be resolved**: the scope set may be incomplete.", ""]
    out += _scopes(plan)
    if plan.scopes:
        paste = ",".join(plan.scope_names)
        out += ["<details><summary>Paste into the Zoho API console</summary>", "", "```", paste, "```", "",
                "</details>", ""]
        if (warning := fixes.incomplete(plan)) is not None:
            out += [f"> ⚠️ {warning}: the string above may not be enough.", ""]
        out += [f"**Worst-case credits**, each matched call once: {per_run_worst_case(plan)}.", ""]
    for status, title in _SECTIONS:
        group = [r for r in plan.resolutions if r.status == status]
        if group and status == "deprecated":
            out += [f"### {title} ({len(group)})", "",
                    *_table(("where", "call", "reason"), [(_where(r), f"`{_call(r)}`", r.reason) for r in group])]
        elif group:
            out += [f"### {title} ({len(group)})", "", *_open_table(group)]
    return out + legacy_section(plan)


def legacy_section(plan: Plan) -> list[str]:
    """Legacy v1 calls, their replacement and its scopes; then the files read as Python 2 (a notice)."""
    from scopeplan.models.zoho_v1 import migrations

    out: list[str] = []
    moves = migrations(plan)
    if moves:
        rows = [(_where(m.resolution), f"`{m.v1_method}` ({m.module or '?'})",
                 f"`{m.http_method} {m.path}`" if m.path else "no v2 counterpart known",
                 ", ".join(f"`{s}`" for s in m.scopes) or "?", f"[diff page]({m.source})" if m.source else "")
                for m in moves]
        out += [f"### Legacy v1 calls ({len(moves)})", "",
                *_table(("where", "v1 call", "replacement", "scopes after migrating", "source"), rows)]
    if plan.python2:
        out += [f"### Read as Python 2 ({len(plan.python2)})", "",
                "Translated to Python 3 in memory, line for line: " + ", ".join(f"`{p}`" for p in plan.python2)
                + ".", ""]
    return out


def _open_table(calls, gate: bool = False) -> list[str]:
    rows = [(_where(r), f"`{_call(r)}`", r.reason, fixes.candidates(r) or "unknown", fixes.fix(r, gate))
            for r in calls]
    return _table(("where", "call", "reason", "could need", "fix"), rows)


def _check(plan: Plan, drift: Drift) -> list[str]:
    title = "❌ scopeplan: scope drift" if drift.failed else "✅ scopeplan: no scope drift"
    out = [f"## {title}", "", verdict(plan, drift), ""]
    if drift.added:
        rows = [(f"`{new.scope}`", f"`{endpoint}`",
                 "<br>".join(f"{_where(r)} in `{r.site.function}`" for r in new.sites if endpoint_key(r) == endpoint))
                for new in drift.added for endpoint in new.endpoints]
        out += [f"### New scopes, not granted by `{drift.baseline_file}`", "",
                *_table(("scope", "endpoint", "call sites"), rows)]
    if drift.unused:
        out += ["### Scopes you can drop", "", f"Scopeplan {considered(plan)}; none needs these: "
                + ", ".join(f"`{s}`" for s in drift.unused) + ".", ""]
    if drift.kept:
        rows = [(f"`{scope}`", "<br>".join(_where(r) for r in calls)) for scope, calls in drift.kept]
        out += ["### Scopes to keep for now", "", "No matched call needs these, but calls scopeplan could not "
                "resolve may:", "", *_table(("scope", "calls that may need it"), rows)]
    if drift.credits:
        rows = [(credit_label(c), credits(c.before), credits(c.after), "❌ above the baseline" if c.over else "")
                for c in drift.credits]
        out += [f"### Worst-case credits ({tolerance(drift)})", "",
                *_table(("entry point", "baseline", "now", ""), rows)]
    for calls, what in ((drift.unresolved, "unresolved"), (drift.unmatched, "unmatched")):
        if calls:
            note = " (allowed by `--allow-new-unresolved`)" if drift.allow_new_unresolved else ""
            out += [f"### New {what} calls, not known to `{drift.baseline_file}`{note}", "",
                    *_open_table(calls, gate=True)]
    if drift.catalogue:
        was, now = (d[:19] for d in drift.catalogue_digests)
        out += [f"### Catalogue changes since the baseline (`{was}` → `{now}`)", "",
                *_table(("endpoint", "change"), [(f"`{c.endpoint}`", c.change) for c in drift.catalogue])]
    if drift.failed or drift.unused:
        out += [f"> If the change is intended, run `scopeplan baseline` and commit `{drift.baseline_file}`.", ""]
    if plan.scopes:
        out += [f"<details><summary>All {_count(len(plan.scopes), 'scope')} the code needs</summary>", "",
                *_scopes(plan), "</details>", ""]
    return out


def _scopes(plan: Plan) -> list[str]:
    if not plan.scopes:
        return ["No Zoho CRM calls found.", ""]
    rows = [(f"`{name}`", str(len(users)), "<br>".join(f"`{e}`" for e in sorted({endpoint_key(r) for r in users})))
            for name, users in plan.scopes]
    return _table(("scope", "call sites", "endpoints"), rows)


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _cell(value: object) -> str:
    # NOTE: a `|` inside a cell ends it, even inside a code span, in GitHub's tables.
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _where(r: Resolution) -> str:
    return f"`{r.site.location.file}:{r.site.location.line}`"


def _call(r: Resolution) -> str:
    method = "?" if isinstance(r.site.method, Unresolved) else r.site.method
    return f"{method} {r.path or '?'}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
