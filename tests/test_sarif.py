"""SARIF 2.1.0: valid against the official OASIS schema, stable rule ids, results at their call sites."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from gate_cases import drifted

from scopeplan import baseline, catalogue
from scopeplan.drift import diff
from scopeplan.plan import plan
from scopeplan.report import sarif

DATA = Path(__file__).parent / "data"
SAMPLES = sorted(p for p in (Path(__file__).resolve().parent.parent / "sample_projects").iterdir() if p.is_dir())
# Persisted in code-scanning alerts: a rename here breaks every user's alert history.
RULE_IDS = ["scopeplan/new-scope", "scopeplan/credit-increase", "scopeplan/unused-scope", "scopeplan/unresolved-call",
            "scopeplan/unmatched-call", "scopeplan/deprecated-api", "scopeplan/catalogue-change",
            "scopeplan/scan-error", "scopeplan/scan-warning"]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _validate(validator, text: str) -> dict:
    log = json.loads(text)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return log


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_scan_log_validates_against_the_official_schema(validator, sample):
    log = _validate(validator, sarif.render(plan(sample, catalogue.load())))
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "default"])
def test_check_log_validates_against_the_official_schema(validator, project, tmp_path, strict):
    _validate(validator, sarif.render(*drifted(project, tmp_path, strict=strict)))


def test_the_schema_rejects_what_it_should(validator):
    """The validator is live: a log without `version`, or with a 0 line, fails."""
    log = json.loads(sarif.render(plan(SAMPLES[0], catalogue.load())))
    assert not list(validator.iter_errors(log))
    del log["version"]
    assert list(validator.iter_errors(log))
    log = json.loads(sarif.render(plan(SAMPLES[0], catalogue.load())))
    log["runs"][0]["results"] = [{"message": {"text": "x"}, "locations": [
        {"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 0}}}]}]
    assert list(validator.iter_errors(log))


def test_rule_ids_are_stable(project, tmp_path):
    driver = json.loads(sarif.render(*drifted(project, tmp_path)))["runs"][0]["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == RULE_IDS
    assert {rule["defaultConfiguration"]["level"] for rule in driver["rules"]} <= {"error", "warning", "note"}


# (rule id, level, uri, line, column, baseline state) of each result of the drifted integration
EXPECTED = [
    ("scopeplan/new-scope", "error", "app/deals.py", 5, 12, "new"),
    ("scopeplan/credit-increase", "note", ".scopeplan.json", 1, 1, None),  # no tolerance configured
    # no unused-scope result: ZohoCRM.org.READ is kept, as the new unresolved and unmatched calls may need it
    ("scopeplan/catalogue-change", "note", ".scopeplan.json", 1, 1, None),
    ("scopeplan/unresolved-call", "error", "app/fetch.py", 5, 12, "new"),
    ("scopeplan/unmatched-call", "error", "app/odd.py", 5, 12, "new"),
    ("scopeplan/deprecated-api", "warning", "app/old.py", 5, 12, None),
    ("scopeplan/scan-error", "warning", "app/broken.py", 1, 1, None),
]


def _rows(log: dict) -> list[tuple]:
    out = []
    for r in log["runs"][0]["results"]:
        loc = r["locations"][0]["physicalLocation"]
        out.append((r["ruleId"], r["level"], loc["artifactLocation"]["uri"], loc["region"]["startLine"],
                    loc["region"]["startColumn"], r.get("baselineState")))
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert RULE_IDS[r["ruleIndex"]] == r["ruleId"]
    return out


def test_results_sit_at_their_call_sites_with_levels_and_baseline_state(project, tmp_path):
    log = json.loads(sarif.render(*drifted(project, tmp_path)))
    assert sorted(_rows(log)) == sorted(EXPECTED)
    assert log["runs"][0]["properties"]["verdict"] == "drift"


def test_an_unresolved_call_the_baseline_knows_is_unchanged(project, tmp_path):
    result = project({"app/__init__.py": "", "app/fetch.py": "import requests\n\ndef zoho_get(u):\n    requests.get(u)\n"})
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", baseline.build(result)), result, strict=True)
    rows = _rows(json.loads(sarif.render(result, drift)))
    assert rows == [("scopeplan/unresolved-call", "warning", "app/fetch.py", 4, 5, "unchanged")]


def test_levels_follow_the_options(project, tmp_path):
    rows = _rows(json.loads(sarif.render(*drifted(project, tmp_path, allow_new_unresolved=True))))
    assert ("scopeplan/unresolved-call", "warning", "app/fetch.py", 5, 12, "new") in rows
    assert ("scopeplan/unmatched-call", "warning", "app/odd.py", 5, 12, "new") in rows


def test_a_credit_rise_is_an_error_only_over_a_configured_tolerance(project, tmp_path):
    rows = _rows(json.loads(sarif.render(*drifted(project, tmp_path, tolerance=0))))
    assert ("scopeplan/credit-increase", "error", ".scopeplan.json", 1, 1, None) in rows


def test_a_plain_scan_has_no_baseline_state_and_no_drift_results(project):
    result = project({"app/__init__.py": "", "app/fetch.py": "import requests\n\ndef zoho_get(u):\n    requests.get(u)\n"})
    log = json.loads(sarif.render(result))
    assert [(r["ruleId"], r["level"], "baselineState" in r) for r in log["runs"][0]["results"]] == [
        ("scopeplan/unresolved-call", "warning", False)]
    assert "verdict" not in log["runs"][0]["properties"]


def test_no_timestamps_and_no_absolute_paths(project, tmp_path):
    text = sarif.render(*drifted(project, tmp_path))
    assert str(tmp_path) not in text and "file://" not in text

    def keys(node):
        if isinstance(node, dict):
            for k, v in node.items():
                yield k
                yield from keys(v)
        elif isinstance(node, list):
            for v in node:
                yield from keys(v)

    assert not [k for k in keys(json.loads(text)) if "time" in k.lower() or "utc" in k.lower()]
