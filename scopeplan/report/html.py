"""One self-contained HTML page for an audit: the graph as inline SVG, then the tables. No script, no network."""

from __future__ import annotations

from html import escape

from scopeplan import advice as saving
from scopeplan.drift import Drift
from scopeplan.model import Plan
from scopeplan.report import fixes, privilege
from scopeplan.report.graph import Graph, build
from scopeplan.report.text import credits_cell, method_cell

COLUMNS = ((10, 300), (500, 340), (930, 320))  # (x, width) of jobs, endpoints, scopes
ROW, BOX, TOP = 34, 26, 44
CHAR = 7.3  # px per character of 12px monospace: labels are cut to fit their box
HEADINGS = ("entry points (jobs)", "endpoints", "scopes")

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d8d8d8;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f6}code{font:12px ui-monospace,monospace}
.unresolved td{background:#fdecee}.deprecated td{background:#fdf0e2}.unmatched td{background:#fbf6df}
.incomplete{background:#fdecee;border-left:4px solid #b00020;padding:6px 10px}
.under{color:#b00020;font-weight:600}.over{color:#8a5a00}.muted{color:#666}
svg{max-width:100%;height:auto}svg text{font:12px ui-monospace,monospace;fill:#1d1d1f}
svg .head{font:bold 13px system-ui,sans-serif}
svg rect{stroke-width:1.2}
svg .n0 rect{fill:#e8f0fe;stroke:#3367d6}svg .n1 rect{fill:#f1f8e9;stroke:#558b2f}
svg .n2 rect{fill:#fff8e1;stroke:#c28a00}
svg .unresolved rect{fill:#fdecee;stroke:#b00020;stroke-dasharray:5 3}
svg .unmatched rect{fill:#fbf6df;stroke:#8a6d00;stroke-dasharray:2 2}
svg .deprecated rect{fill:#fde2c8;stroke:#b85c00}
svg path{fill:none;stroke:#9aa0a6;stroke-width:1.3}
svg .credits{font-size:11px;fill:#3c4043;paint-order:stroke;stroke:#fff;stroke-width:3px}
"""


def render(plan: Plan, drift: Drift | None = None) -> str:
    """The report as one HTML file, deterministic, with nothing fetched from anywhere."""
    matched = [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           "<title>scopeplan report</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
           f"<h1>scopeplan: {len(plan.scopes)} least-privilege scope{'s' if len(plan.scopes) != 1 else ''} for "
           f"{len(matched)} Zoho CRM call site{'s' if len(matched) != 1 else ''}</h1>",
           f'<p class="muted">{plan.files_scanned} files scanned · catalogue {escape(plan.catalogue.api_version)} '
           f'({"derived from the Zoho SDK" if plan.catalogue.derived else escape(plan.catalogue.source)}) '
           f"<code>{escape(plan.catalogue.digest[:19])}</code></p>"]
    if (warning := fixes.incomplete(plan)) is not None:
        out.append(f'<p class="incomplete"><strong>{escape(warning)}</strong>: the scope set may need more; '
                   'see the unresolved call sites below</p>')
    out += ['<h2 id="graph">Entry points → endpoints → scopes</h2>',
            '<p class="muted">Worst-case credits of each job\'s calls on the arrows. Dashed red: unresolved; '
            "orange: deprecated v1 API; dotted: not in the catalogue.</p>", svg(build(plan))]
    out += _scopes(plan) + _grants(plan) + _jobs(plan) + _advice(plan) + _sites(plan) + _errors(plan) + _unread(plan)
    if drift is not None:
        out.append(f"<h2>Check</h2><p>{'failed' if drift.failed else 'passed'} against "
                   f"<code>{escape(drift.baseline_file)}</code></p>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def svg(graph: Graph) -> str:
    """The graph as inline SVG: three columns of boxes, arrows between them, credits on the arrows."""
    columns = [[n for n in graph.nodes if n.column == c] for c in range(3)]
    tallest = max((len(c) for c in columns), default=0)
    height = TOP + max(tallest, 1) * ROW + 10
    width = COLUMNS[2][0] + COLUMNS[2][1] + 10
    at: dict[str, tuple[int, int]] = {}
    boxes = []
    for c, nodes in enumerate(columns):
        x, w = COLUMNS[c]
        offset = (tallest - len(nodes)) * ROW // 2
        for i, node in enumerate(nodes):
            y = TOP + offset + i * ROW
            at[node.id] = (c, y + BOX // 2)
            label = node.label if not node.mark else f"{node.label} ({node.mark})"
            fit = int((w - 12) / CHAR)
            shown = label if len(label) <= fit else label[: fit - 1] + "…"
            tip = label + (f" — {node.detail}" if node.detail else "")
            boxes.append(f'<g class="n{c} {node.mark}" id="{node.id}"><title>{escape(tip)}</title>'
                         f'<rect x="{x}" y="{y}" width="{w}" height="{BOX}" rx="5"/>'
                         f'<text x="{x + 6}" y="{y + 17}">{escape(shown)}</text></g>')
    arrows, labels = [], []
    for link in graph.links:
        (c1, y1), (c2, y2) = at[link.source], at[link.target]
        x1 = COLUMNS[c1][0] + COLUMNS[c1][1]
        x2 = COLUMNS[c2][0]
        arrows.append(f'<path d="M{x1} {y1} C{x1 + 45} {y1} {x2 - 45} {y2} {x2 - 6} {y2}" marker-end="url(#arrow)"/>')
        if link.label:  # at 70% of the curve, where arrows into one endpoint have not met yet
            lx, ly = _bezier(0.7, (x1, y1), (x1 + 45, y1), (x2 - 45, y2), (x2 - 6, y2))
            labels.append(f'<text class="credits" x="{lx}" y="{ly - 3}" text-anchor="middle">'
                          f'{escape(link.label)}</text>')
    heads = [f'<text class="head" x="{x}" y="24">{h}</text>' for (x, _), h in zip(COLUMNS, HEADINGS)]
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-label="entry points, endpoints and scopes">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0 0L10 5L0 10z" fill="#9aa0a6" stroke="none"/></marker></defs>',
        *heads, *arrows, *boxes, *labels, "</svg>"])


def _bezier(t: float, *points: tuple[int, int]) -> tuple[int, int]:
    """A point of a cubic Bézier curve, rounded to whole pixels."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    x = u ** 3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t ** 3 * x3
    y = u ** 3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y3
    return round(x), round(y)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], classes: list[str] | None = None) -> str:
    """Rows are HTML already (cells escaped by the caller)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(f'<tr{f" class={chr(34)}{classes[i]}{chr(34)}" if classes and classes[i] else ""}>'
                   + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for i, row in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _scopes(plan: Plan) -> list[str]:
    if not plan.scopes:
        return ["<h2>Scopes</h2><p>No Zoho CRM calls found.</p>"]
    rows = [(_code(name), str(len(users)), "<br>".join(
        _code(f"{r.site.location.file}:{r.site.location.line}") for r in users)) for name, users in plan.scopes]
    return ['<h2 id="scopes">Least-privilege scopes</h2>', _table(("scope", "call sites", "where"), rows),
            f"<p>Paste into the Zoho API console: {_code(','.join(plan.scope_names))}</p>"]


def _grants(plan: Plan) -> list[str]:
    if not plan.grants:
        return []
    rows = []
    for g in plan.grants:
        findings = [f'<span class="over">over: {escape(privilege.over_line(o))}</span>' for o in g.over]
        findings += [f'<span class="muted">kept: {escape(privilege.kept_line(k))}</span>' for k in g.kept]
        findings += [f'<span class="under">under: {escape(m.scope)} — {escape(privilege.MISMATCH)}</span>'
                     for m in g.under]
        rows.append(("<br>".join(escape(privilege.place(p)) for p in g.places),
                     "<br>".join(_code(s) for s in g.scopes),
                     "<br>".join(findings) or escape(privilege.verdict(g))))
    return ['<h2 id="granted">Requested scopes vs needed</h2>', _table(("requested at", "scopes", "verdict"), rows)]


def _jobs(plan: Plan) -> list[str]:
    shown = [j for j in plan.jobs if j.scopes]
    if not shown:
        return []
    rows = [(_code(j.function), escape(", ".join(w.label for w in j.why)), "<br>".join(_code(s) for s in j.scopes),
             escape(privilege.job_cost(j))) for j in shown]
    out = ['<h2 id="jobs">Scopes per job</h2>', _table(("job", "why", "scopes", "credits"), rows)]
    out += [f"<p>{escape(privilege.split_line(s))}</p>" for s in plan.splits]
    return out


def _advice(plan: Plan) -> list[str]:
    if not plan.advice:
        return []
    rows = []
    for a in plan.advice:
        loc = a.sites[0] if isinstance(a, saving.UseComposite) else a.where
        rows.append((_code(privilege.where(loc)), escape(a.title), escape(saving.describe(a)),
                     "<br>".join(f'<a href="{escape(u)}">{escape(u)}</a>' for u in a.sources)))
    return ['<h2 id="advice">Credits you can save</h2>', _table(("where", "advice", "numbers", "source"), rows)]


def _sites(plan: Plan) -> list[str]:
    if not plan.resolutions:
        return []
    rows, classes = [], []
    for r in plan.resolutions:
        rows.append((_code(f"{r.site.location.file}:{r.site.location.line}"),
                     escape("ignored" if r.site.ignored else r.status), escape(method_cell(r)), _code(r.path or "?"),
                     "<br>".join(_code(s) for s in r.scopes), escape(credits_cell(r)),
                     escape(r.site.ignored or r.reason or ""), _code(r.site.function)))
        classes.append("" if r.status == "matched" else r.status)
    return ['<h2 id="sites">Call sites</h2>',
            _table(("where", "status", "method", "path", "scopes", "credits", "reason", "function"), rows, classes)]


def _errors(plan: Plan) -> list[str]:
    if not plan.errors:
        return []
    return ["<h2>Files that could not be scanned</h2>",
            _table(("file", "error"), [(_code(e.file), escape(e.message)) for e in plan.errors])]


def _unread(plan: Plan) -> list[str]:
    """What the text report lists after the sites: files that name Zoho CRM but gave no site, notices, hints."""
    out = []
    if plan.warnings:
        out += ["<h2>Files that name Zoho CRM but gave no call site</h2>",
                '<p class="muted">Check them by hand: scopeplan did not understand their calls.</p>',
                _table(("file", "why"), [(_code(w.file), escape(w.message)) for w in plan.warnings])]
    if plan.notices:
        out += ["<h2>Notices</h2>", "<ul>", *(f"<li>{escape(n)}</li>" for n in plan.notices), "</ul>"]
    if plan.problems:
        out += ["<h2>Hints and names to fix</h2>", '<p class="muted">The files were still analysed.</p>',
                _table(("file", "problem"), [(_code(w.file), escape(w.message)) for w in plan.problems])]
    return out
