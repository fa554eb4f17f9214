"""Score scopeplan against hand labels on pinned real third-party Zoho CRM code.

    python benchmarks/realworld/score.py                 # fetch (cached), scan, print the table
    python benchmarks/realworld/score.py --json          # the same figures as JSON
    python benchmarks/realworld/score.py -v zoho-crm     # one codebase, with every miss and wrong finding

The metrics are defined in README.md. The scorer never fails on a codebase: a fetch or scan that fails is a
row saying so, and the exit code is 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch  # noqa: E402

_HOLE = re.compile(r"\{\{[^{}]*\}\}|<<[^<>]*>>|\{[^{}]*\}")
_VERSION = re.compile(r"^/crm/((?:bulk|email)/)?v\d+(?:\.\d+)?(?=/|$)", re.I)
_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]*", re.I)


# ---------------------------------------------------------------------------------------------- paths


def norm_path(path: str | None) -> tuple[str, ...] | None:
    """A path as comparable segments: no host, no query, any placeholder `{}`, the CRM version `V`, lower case."""
    if not path:
        return None
    p = _HOST.sub("", path.strip())
    p = _HOLE.sub("{}", p)          # before the query split: a hole may hold a '?'
    p = p.split("?", 1)[0].split("#", 1)[0]
    p = _VERSION.sub(lambda m: f"/crm/{m.group(1) or ''}V", p)
    p = "/" + p.strip("/")
    return tuple(s.lower() for s in p.split("/")[1:])


def same_path(label: str, found: str | None) -> bool:
    """Whether a finding's path is the label's template: equal segments, a label hole takes any one segment."""
    a, b = norm_path(label), norm_path(found)
    if a is None or b is None or len(a) != len(b):
        return False
    return all(x == "{}" or x == y for x, y in zip(a, b))


# ---------------------------------------------------------------------------------------------- scopes


def covers(granted: str, needed: str) -> bool:
    """Whether one granted scope covers a needed one (case-insensitive; X.ALL, modules.ALL, WRITE)."""
    g, n = granted.lower().split("."), needed.lower().split(".")
    if g == n:
        return True
    if len(g) < 2 or len(n) < 2 or g[0] != n[0]:
        return False
    g_head, g_op = g[:-1], g[-1]
    n_head, n_op = n[:-1], n[-1]
    if g_op == "write" and n_op in ("create", "update", "delete") and g_head == n_head:
        return True
    if g_op == "all":
        # ZohoCRM.modules.ALL covers ZohoCRM.modules.leads.READ; ZohoCRM.settings.ALL covers settings.fields.READ
        return n_head[:len(g_head)] == g_head and (n_op in ("all", "read", "create", "update", "delete",
                                                            "write", "custom") or len(n_head) > len(g_head))
    return False


def covered(plan_scopes: list[str], needed: str) -> bool:
    """Whether the plan's scope set covers one documented scope."""
    return any(covers(g, needed) for g in plan_scopes)


# ---------------------------------------------------------------------------------------------- matching


@dataclass
class Result:
    """The score of one codebase."""

    name: str
    package: str
    version: str
    error: str | None = None
    labels: int = 0
    resolvable: int = 0
    found_resolvable: int = 0
    honest: int = 0
    findings: int = 0
    correct: int = 0
    negatives_hit: int = 0
    scopes_documented: int = 0
    scopes_covered: int = 0
    extra_scopes: list[str] = field(default_factory=list)
    implicit: int = 0
    ignored: int = 0
    missed: list[dict] = field(default_factory=list)
    wrong: list[dict] = field(default_factory=list)
    scan_errors: list[dict] = field(default_factory=list)

    def row(self) -> dict:
        """The figures as plain data."""
        return {
            "codebase": self.name, "package": self.package, "version": self.version, "error": self.error,
            "labels": self.labels, "resolvable": self.resolvable, "found_resolvable": self.found_resolvable,
            "honest_unresolved": self.honest, "findings": self.findings, "correct_findings": self.correct,
            "negatives_hit": self.negatives_hit, "scopes_documented": self.scopes_documented,
            "scopes_covered": self.scopes_covered, "extra_scopes": self.extra_scopes,
            "implicit_findings": self.implicit, "ignored_findings": self.ignored,
            "recall_resolvable": ratio(self.found_resolvable, self.resolvable),
            "recall_all": ratio(self.found_resolvable + self.honest, self.labels),
            "precision": ratio(self.correct, self.findings),
            "scope_recall": ratio(self.scopes_covered, self.scopes_documented),
            "missed": self.missed, "wrong": self.wrong, "scan_errors": self.scan_errors,
        }


def ratio(a: int, b: int) -> float | None:
    """a/b rounded to 3 places, None when b is 0."""
    return None if b == 0 else round(a / b, 3)


def accepted_lines(label: dict) -> set[tuple[str, int]]:
    """Where a finding may stand for a label: the HTTP call, its retry twins, the fixing callers.

    `also_lines` and `fix_lines` hold line numbers in the label's file, or "path:line" strings for other files.
    """
    out = {(label["file"], label["line"])}
    for x in (*label.get("also_lines", ()), *label.get("fix_lines", ())):
        if isinstance(x, int):
            out.add((label["file"], x))
        else:
            file, _, line = x.rpartition(":")
            out.add((file, int(line)))
    return out


def _method_ok(label: dict, method: str | None, *, need: bool) -> bool:
    want = label.get("method")
    if method is None:
        return not need
    wants = want if isinstance(want, list) else [want]
    return want is None or method.upper() in [w.upper() for w in wants]


def finds(label: dict, f: dict) -> bool:
    """Whether a finding is a correct report of a statically resolvable label."""
    return (label["resolvable"] and (f["file"], f["line"]) in accepted_lines(label)
            and _method_ok(label, f["method"], need=True) and same_path(label["path"], f["path"])
            and f["status"] in _statuses(label))


def _statuses(label: dict) -> list[str]:
    """The statuses a correct finding of the label may have (a list where the honest answer is either)."""
    want = label.get("status", "matched")
    return want if isinstance(want, list) else [want]


def honest(label: dict, f: dict) -> bool:
    """Whether a finding is an honest `unresolved` at one of the label's lines (method, when given, agreeing)."""
    return (f["status"] == "unresolved" and (f["file"], f["line"]) in accepted_lines(label)
            and _method_ok(label, f["method"], need=False))


def score(cb: dict, plan: dict) -> Result:
    """Match one plan's findings against one codebase's labels."""
    r = Result(cb["name"], cb["package"], cb["version"])
    labels = [lab for lab in cb["sites"] if not lab.get("optional")]
    optional = [lab for lab in cb["sites"] if lab.get("optional")]
    findings = []
    for f in plan.get("call_sites", []):
        if f.get("implicit"):
            r.implicit += 1
        elif f.get("ignored"):
            r.ignored += 1
        else:
            findings.append(f)
    r.labels = len(labels)
    r.findings = len(findings)
    r.scan_errors = plan.get("errors", [])
    for lab in labels:
        if lab["resolvable"]:
            r.resolvable += 1
            if any(finds(lab, f) for f in findings):
                r.found_resolvable += 1
                continue
        elif any(honest(lab, f) for f in findings):
            r.honest += 1
            continue
        r.missed.append({k: lab.get(k) for k in ("id", "file", "line", "method", "path", "resolvable")}
                        | {"reported_there": [_brief(f) for f in findings
                                              if (f["file"], f["line"]) in accepted_lines(lab)]})
    negatives = {(n["file"], n["line"]) for n in cb.get("negatives", [])}
    for f in findings:
        ok = (any(finds(lab, f) or honest(lab, f) for lab in labels)
              or any(finds(lab, f) or honest(lab, f) for lab in optional))
        if ok:
            r.correct += 1
            continue
        neg = (f["file"], f["line"]) in negatives
        r.negatives_hit += neg
        r.wrong.append(_brief(f) | {"negative": neg})
    scopes = plan.get("scopes", [])
    documented = sorted({s for lab in labels if lab["resolvable"] for s in lab.get("scopes", ()) if "{" not in s}
                        | set(cb.get("implicit_scopes", ())), key=str.lower)
    r.scopes_documented = len(documented)
    r.scopes_covered = sum(covered(scopes, s) for s in documented)
    r.extra_scopes = sorted(s for s in scopes if not any(covers(s, d) or covers(d, s) for d in documented))
    return r


def _brief(f: dict) -> dict:
    return {k: f.get(k) for k in ("file", "line", "method", "path", "status", "endpoint", "reason")}


# ---------------------------------------------------------------------------------------------- running


def scan(root: Path, scopeplan: list[str]) -> dict:
    """scopeplan's JSON plan for one root; raises RuntimeError when there is none."""
    # SCOPEPLAN_ROOT: the codebase is its own project, not a part of this repository (its cache/ is inside
    # it, under .git); builds from before the project root was found by walking up ignore it
    proc = subprocess.run([*scopeplan, "scan", str(root), "--format", "json", "--no-cache", "--workers", "1"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "SCOPEPLAN_ROOT": str(root)})
    try:
        plan = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"scan exit {proc.returncode}: {tail[0][:200]}") from None
    if not isinstance(plan, dict) or "call_sites" not in plan:
        raise RuntimeError(f"scan exit {proc.returncode}: not a scopeplan plan")
    return plan


def run(cb: dict, scopeplan: list[str]) -> Result:
    """Fetch, scan and score one codebase; a failure is a row with its error."""
    try:
        root = fetch.root(cb)
    except Exception as e:  # noqa: BLE001 - any failure is a row, never a crash
        return Result(cb["name"], cb["package"], cb["version"], error=f"fetch: {e}")
    try:
        plan = scan(root, scopeplan)
    except Exception as e:  # noqa: BLE001
        res = Result(cb["name"], cb["package"], cb["version"], error=f"scan: {e}")
        counted = [s for s in cb["sites"] if not s.get("optional")]
        res.labels = len(counted)
        res.resolvable = sum(1 for s in counted if s["resolvable"])
        return res
    return score(cb, plan)


def total(results: list[Result]) -> Result:
    """The sums over every codebase (ratios are of the sums: each label and finding weighs the same)."""
    t = Result("TOTAL", "", "")
    for r in results:
        for k in ("labels", "resolvable", "found_resolvable", "honest", "findings", "correct", "negatives_hit",
                  "scopes_documented", "scopes_covered", "implicit", "ignored"):
            setattr(t, k, getattr(t, k) + getattr(r, k))
    return t


def fmt(x: float | None) -> str:
    """A ratio for the table."""
    return "  -  " if x is None else f"{x:.2f}"


def table(results: list[Result]) -> str:
    """The per-codebase table and the total, as markdown."""
    head = ("| codebase | version | labels (resolvable) | recall resolvable | recall all | findings | precision "
            "| scope recall | negatives hit |\n|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    rows = [*results, total(results)]
    for r in rows:
        d = r.row()
        if r.error:
            lines.append(f"| {r.name} | {r.version} | {r.labels} ({r.resolvable}) | {r.error} |||||")
            continue
        name = f"**{r.name}**" if r.name == "TOTAL" else r.name
        lines.append(f"| {name} | {r.version} | {r.labels} ({r.resolvable}) | {fmt(d['recall_resolvable'])} "
                     f"| {fmt(d['recall_all'])} | {r.findings} | {fmt(d['precision'])} | {fmt(d['scope_recall'])} "
                     f"| {r.negatives_hit} |")
    macro = macro_average(results)
    lines.append(f"| *mean of codebases* | | | {fmt(macro['recall_resolvable'])} | {fmt(macro['recall_all'])} | "
                 f"| {fmt(macro['precision'])} | {fmt(macro['scope_recall'])} | |")
    return "\n".join(lines)


def macro_average(results: list[Result]) -> dict:
    """Each ratio averaged over the codebases where it is defined (each codebase weighs the same)."""
    out = {}
    for key in ("recall_resolvable", "recall_all", "precision", "scope_recall"):
        values = [r.row()[key] for r in results if not r.error and r.row()[key] is not None]
        out[key] = None if not values else round(sum(values) / len(values), 3)
    return out


def details(r: Result) -> str:
    """Every miss and wrong finding of one codebase."""
    out = [f"## {r.name} {r.version}"]
    if r.error:
        out.append(f"  error: {r.error}")
    for e in r.scan_errors:
        out.append(f"  scan error: {e['file']}: {e['message']}")
    for m in r.missed:
        out.append(f"  MISSED {m['id']}: {m['file']}:{m['line']} {m['method']} {m['path']}"
                   f"{'' if m['resolvable'] else ' (non-resolvable)'}")
        for f in m["reported_there"]:
            out.append(f"      there: {f['method']} {f['path']} [{f['status']}] {f['reason'] or ''}")
    for w in r.wrong:
        out.append(f"  WRONG  {w['file']}:{w['line']} {w['method']} {w['path']} [{w['status']}]"
                   f"{' NEGATIVE' if w['negative'] else ''} {w['reason'] or ''}")
    if r.extra_scopes:
        out.append(f"  scopes beyond the documented ones: {', '.join(r.extra_scopes)}")
    return "\n".join(out)


def show_labels(cb: dict) -> str:
    """Each label next to the source line it names, to check a label file by eye."""
    root = fetch.root(cb)

    def text(file: str, line: int) -> str:
        try:
            return (root / file).read_text(errors="replace").splitlines()[line - 1].strip()[:100]
        except (OSError, IndexError):
            return "!! no such line"

    out = [f"## {cb['name']} {cb['version']}"]
    for s in cb["sites"]:
        out.append(f"  {s['id']:24} {s['file']}:{s['line']}  {text(s['file'], s['line'])}")
        for file, line in sorted(accepted_lines(s) - {(s["file"], s["line"])}):
            out.append(f"  {'':24}   also {file}:{line}  {text(file, line)}")
    for n in cb.get("negatives", []):
        out.append(f"  {'negative':24} {n['file']}:{n['line']}  {text(n['file'], n['line'])}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="codebases (label file stem or package name); default all")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss and wrong finding")
    ap.add_argument("--scopeplan", default=f"{sys.executable} -m scopeplan",
                    help="the command that runs scopeplan (default: this interpreter's -m scopeplan)")
    ap.add_argument("--show-labels", action="store_true",
                    help="print every label beside the source line it names (no scan), to check labels")
    args = ap.parse_args(argv)
    if args.show_labels:
        for cb in fetch.codebases(args.names):
            print(show_labels(cb))
        return 0
    results = [run(cb, args.scopeplan.split()) for cb in fetch.codebases(args.names)]
    if args.json:
        print(json.dumps({"codebases": [r.row() for r in results], "total": total(results).row(),
                          "mean_of_codebases": macro_average(results)},
                         indent=2, sort_keys=True))
        return 0
    print(table(results))
    if args.verbose:
        for r in results:
            print()
            print(details(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
