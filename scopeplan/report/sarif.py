"""SARIF 2.1.0 for code scanning: drifted scopes and unresolved calls as results at their call sites.

Rule ids are API (code-scanning alerts are tracked by them): never rename one, only add. There is no
timestamp and no absolute path, so the log is a golden file like every other format.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from scopeplan import __version__
from scopeplan.baseline import endpoint_key
from scopeplan.drift import Drift
from scopeplan.model import Plan, Resolution, Unresolved
from scopeplan.report import fixes
from scopeplan.report.text import credit_label, credits

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# rule id -> (name, default level, short description, help)
RULES: dict[str, tuple[str, str, str, str]] = {
    "scopeplan/new-scope": (
        "NewScope", "error", "The code needs an OAuth scope the baseline does not grant.",
        "Ask for the scope only if the call is intended, then run `scopeplan baseline` and commit the baseline."),
    "scopeplan/credit-increase": (
        "CreditIncrease", "error", "Worst-case API credits rose above the baseline.",
        "Check the loop or the new call that costs more; if intended, run `scopeplan baseline`."),
    "scopeplan/unused-scope": (
        "UnusedScope", "note", "The baseline grants a scope no call needs any more.",
        "Drop the scope from the OAuth client and run `scopeplan baseline`."),
    "scopeplan/unresolved-call": (
        "UnresolvedCall", "warning", "scopeplan could not tell which Zoho CRM endpoint this call reaches.",
        "Make the URL a literal or a module constant, or add `# scopeplan: ignore` with a reason."),
    "scopeplan/unmatched-call": (
        "UnmatchedCall", "warning", "A Zoho CRM path that the catalogue does not list.",
        "Check the path and method against Zoho's API reference, or use a newer catalogue."),
    "scopeplan/deprecated-api": (
        "DeprecatedApi", "warning", "A call to Zoho CRM API v1, which reached end of life.",
        "Port the call to API v2 or later."),
    "scopeplan/catalogue-change": (
        "CatalogueChange", "note", "The catalogue changed the scope or cost of an approved endpoint.",
        "Review the change, then run `scopeplan baseline` to approve the new catalogue."),
    "scopeplan/scan-error": (
        "ScanError", "warning", "A file scopeplan could not read or parse; its calls are missing.",
        "Fix the file or exclude it; under --strict this makes the analysis fail."),
    "scopeplan/scan-warning": (
        "ScanWarning", "warning", "Something in an analysed file needs a look: an unknown hint, a module name "
        "that is not a module, a file that names Zoho CRM but gave no call site.",
        "Fix the hint comment or the [tool.scopeplan] entry it names, or check the file by hand."),
}
_IDS = list(RULES)
_SITE_RULE = {"unresolved": "scopeplan/unresolved-call", "unmatched": "scopeplan/unmatched-call",
              "deprecated": "scopeplan/deprecated-api"}


def render(plan: Plan, drift: Drift | None = None) -> str:
    """A SARIF 2.1.0 log with one run; `drift` adds the gate's results and their baseline state."""
    results = _drift_results(drift) if drift is not None else []
    new_open = set(drift.new_open) if drift is not None else set()
    for r in plan.resolutions:
        rule = _SITE_RULE.get(r.status)
        if rule is None or r.site.ignored:
            continue
        level = "error" if drift is not None and r in new_open and not drift.allow_new_unresolved else None
        # unresolved and unmatched calls are recorded in the baseline, so they have a baseline state
        state = None if drift is None or r.status == "deprecated" else "new" if r in new_open else "unchanged"
        results.append(_result(rule, _site_message(r, gate=drift is not None), [_site(r)], level=level,
                               state=state))
    for error in plan.errors:
        results.append(_result("scopeplan/scan-error", error.message, [_location(error.file)]))
    for warning in (*plan.warnings, *plan.problems):
        results.append(_result("scopeplan/scan-warning", warning.message, [_location(warning.file, _line(warning))]))
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "scopeplan", "version": __version__, "semanticVersion": __version__,
                                "rules": [_rule(rule_id) for rule_id in _IDS]}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": _properties(plan, drift),
        }],
    }
    return json.dumps(log, indent=2, sort_keys=True) + "\n"


def _drift_results(drift: Drift) -> list[dict]:
    out = []
    for new in drift.added:
        for r in new.sites:
            text = (f"`{endpoint_key(r)}` needs {new.scope}, which {drift.baseline_file} does not grant "
                    f"(called as {r.site.method} {r.path}).")
            out.append(_result("scopeplan/new-scope", text, [_site(r)], state="new"))
    at_baseline = [_location(drift.baseline_file)]
    for c in drift.credits:
        judged = "no tolerance configured" if drift.tolerance is None else f"tolerance {drift.tolerance:g}%"
        text = (f"Worst-case credits of {credit_label(c)}: {credits(c.before)} in the baseline, {credits(c.after)} "
                f"now ({judged}).")
        out.append(_result("scopeplan/credit-increase", text, at_baseline, level="error" if c.over else "note"))
    for scope in drift.unused:
        text = (f"{drift.baseline_file} grants {scope}, but no matched, unmatched or unresolved call could need it: "
                "you can drop it.")
        out.append(_result("scopeplan/unused-scope", text, at_baseline,
                           level="error" if drift.fail_on_unused else None))
    for c in drift.catalogue:
        out.append(_result("scopeplan/catalogue-change", f"{c.endpoint}: {c.change}.", at_baseline))
    return out


def _result(rule_id: str, text: str, locations: list[dict], level: str | None = None,
            state: str | None = None) -> dict:
    result = {"ruleId": rule_id, "ruleIndex": _IDS.index(rule_id), "level": level or RULES[rule_id][1],
              "message": {"text": text}, "locations": locations}
    if state is not None:
        result["baselineState"] = state
    return result


def _site(r: Resolution) -> dict:
    loc = r.site.location
    return _location(loc.file, loc.line, loc.column)


def _location(file: str, line: int = 1, column: int = 1) -> dict:
    path = PurePosixPath(file)
    artifact = {"uri": path.as_uri()} if path.is_absolute() else {"uri": file, "uriBaseId": "%SRCROOT%"}
    return {"physicalLocation": {"artifactLocation": artifact,
                                 "region": {"startLine": line, "startColumn": max(column, 1)}}}


def _site_message(r: Resolution, gate: bool = False) -> str:
    method = "?" if isinstance(r.site.method, Unresolved) else r.site.method
    text = f"{method} {r.path or '?'}: {r.reason}."
    if r.status in ("unresolved", "unmatched"):
        if r.candidates:
            text += f" It could need {', '.join(r.candidates)}."
        text += f" Fix: {fixes.fix(r, gate)}."
    return text


def _line(warning) -> int:
    head = warning.message.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 1


def _rule(rule_id: str) -> dict:
    name, level, short, help_text = RULES[rule_id]
    return {"id": rule_id, "name": name, "shortDescription": {"text": short},
            "help": {"text": help_text}, "defaultConfiguration": {"level": level}}


def _properties(plan: Plan, drift: Drift | None) -> dict:
    cat = plan.catalogue
    props = {"catalogue": {"api_version": cat.api_version, "digest": cat.digest, "source": cat.source},
             "scopes": [name for name, _ in plan.scopes]}
    if drift is not None:
        props["verdict"] = "drift" if drift.failed else "ok"
    return props
