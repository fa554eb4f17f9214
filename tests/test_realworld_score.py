"""The real-world benchmark's scorer: path matching, scope cover and the metrics, on synthetic data (no downloads)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parents[1] / "benchmarks" / "realworld"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"realworld_{name}", _HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sys.path.insert(0, str(_HERE))
score = _load("score")


@pytest.mark.parametrize(("label", "found", "same"), [
    ("/crm/v2/Leads/{id}", "/crm/v2/Leads/{lead_id}", True),
    ("/crm/v2/Leads/{id}", "/crm/v8/leads/{{id}}", True),              # version and case do not matter
    ("/crm/v2/Leads/{id}", "https://www.zohoapis.eu/crm/v2.1/Leads/{x}?fields=a", True),
    ("/crm/v2/users", "/crm/v2/users?type={user_type}&page={page}", True),
    ("/crm/bulk/v3/read/{id}", "/crm/bulk/v2/read/{job_id}", True),
    ("/crm/v2/{module}/search", "/crm/v2/Contacts/search", True),       # a label hole takes any one segment
    ("/crm/v2/Leads", "/crm/v2/{module}", False),                        # but a finding's hole is no literal
    ("/crm/v2/Leads", "/crm/v2/Leads/search", False),
    ("/crm/bulk/v3/read", "/crm/v3/read", False),
    ("/crm/v2/Leads", None, False),
])
def test_same_path(label, found, same):
    assert score.same_path(label, found) is same


@pytest.mark.parametrize(("granted", "needed", "ok"), [
    ("ZohoCRM.modules.leads.READ", "zohocrm.modules.Leads.read", True),
    ("ZohoCRM.modules.ALL", "ZohoCRM.modules.leads.READ", True),
    ("ZohoCRM.modules.leads.ALL", "ZohoCRM.modules.leads.DELETE", True),
    ("ZohoCRM.modules.leads.WRITE", "ZohoCRM.modules.leads.UPDATE", True),
    ("ZohoCRM.modules.leads.WRITE", "ZohoCRM.modules.leads.READ", False),
    ("ZohoCRM.settings.ALL", "ZohoCRM.settings.fields.READ", True),
    ("ZohoCRM.modules.leads.READ", "ZohoCRM.modules.contacts.READ", False),
    ("ZohoCRM.settings.ALL", "ZohoCRM.modules.leads.READ", False),
    ("ZohoSearch.securesearch.READ", "ZohoCRM.coql.READ", False),
])
def test_covers(granted, needed, ok):
    assert score.covers(granted, needed) is ok


def _finding(file, line, method, path, status="matched", **kw):
    return {"file": file, "line": line, "method": method, "path": path, "status": status, "endpoint": None,
            "reason": None, "implicit": False, "ignored": None, **kw}


CODEBASE = {
    "name": "synthetic", "package": "synthetic", "version": "0",
    "implicit_scopes": ["ZohoCRM.settings.fields.READ"],
    "sites": [
        {"id": "leads", "file": "api.py", "line": 10, "fix_lines": [40], "method": "GET", "path": "/crm/v2/Leads",
         "resolvable": True, "scopes": ["ZohoCRM.modules.leads.READ"]},
        {"id": "coql", "file": "api.py", "line": 20, "method": "POST", "path": "/crm/v2/coql", "resolvable": True,
         "status": ["matched", "unresolved"], "scopes": ["ZohoCRM.coql.READ"]},
        {"id": "any", "file": "api.py", "line": 30, "also_lines": [31], "method": None, "path": "/crm/v2/{module}",
         "resolvable": False, "scopes": ["ZohoCRM.modules.{module}.READ"]},
        {"id": "v1", "file": "old.py", "line": 5, "fix_lines": ["other.py:7"], "method": "POST",
         "path": "/crm/private/json/Leads/getRecords", "resolvable": True, "status": "deprecated", "scopes": []},
        {"id": "broken", "file": "api.py", "line": 50, "method": None, "path": "{any}", "resolvable": False,
         "optional": True, "scopes": []},
    ],
    "negatives": [{"file": "auth.py", "line": 3, "what": "token"}],
}


def test_metrics_on_a_synthetic_plan():
    plan = {"scopes": ["ZohoCRM.modules.leads.READ", "ZohoCRM.settings.ALL", "ZohoCRM.users.READ"], "call_sites": [
        _finding("api.py", 40, "GET", "/crm/v2/Leads/"),                  # found at the fixing caller
        _finding("api.py", 20, "POST", "/crm/v2/coql", "unresolved"),      # an accepted status
        _finding("api.py", 31, None, None, "unresolved"),                  # honest, at the retry twin
        _finding("other.py", 7, "POST", "https://crm.zoho.com/crm/private/json/Leads/getRecords", "deprecated"),
        _finding("api.py", 50, None, None, "unresolved"),                  # honest at an optional label
        _finding("auth.py", 3, "POST", "/oauth/v2/token", "unmatched"),    # a negative
        _finding("api.py", 10, "GET", "/crm/v2/Contacts"),                 # wrong endpoint at a label's line
        _finding("sdk.py", 1, "GET", "/crm/v2/users", implicit=True),      # implicit: not counted
    ]}
    r = score.score(CODEBASE, plan).row()
    assert (r["labels"], r["resolvable"], r["found_resolvable"], r["honest_unresolved"]) == (4, 3, 3, 1)
    assert (r["findings"], r["correct_findings"], r["negatives_hit"], r["implicit_findings"]) == (7, 5, 1, 1)
    assert (r["recall_resolvable"], r["recall_all"], r["precision"]) == (1.0, 1.0, round(5 / 7, 3))
    # leads.READ, coql.READ, settings.fields.READ (implicit) documented; coql.READ is not granted
    assert (r["scopes_documented"], r["scopes_covered"]) == (3, 2)
    assert r["extra_scopes"] == ["ZohoCRM.users.READ"]
    assert [w["line"] for w in r["wrong"]] == [3, 10]


def test_a_wrong_method_or_status_is_not_found():
    plan = {"scopes": [], "call_sites": [
        _finding("api.py", 10, "POST", "/crm/v2/Leads"),
        _finding("old.py", 5, "POST", "/crm/private/json/Leads/getRecords", "unmatched"),
        _finding("api.py", 30, "GET", "/crm/v2/Leads"),                    # a guess, not honest unresolved
    ]}
    r = score.score(CODEBASE, plan).row()
    assert r["found_resolvable"] == 0 and r["honest_unresolved"] == 0 and r["correct_findings"] == 0
    assert sorted(m["id"] for m in r["missed"]) == ["any", "coql", "leads", "v1"]


def test_a_failing_scan_is_a_row_not_a_crash(monkeypatch):
    monkeypatch.setattr(score.fetch, "root", lambda cb: _HERE)       # the command below never reads it
    r = score.run(CODEBASE, [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(4)"])
    assert r.error and "scan exit 4" in r.error and r.labels == 4
    assert "| synthetic |" in score.table([r])
