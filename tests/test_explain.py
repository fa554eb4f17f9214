"""`scopeplan explain SCOPE`: who needs a scope, through which endpoint, and what breaks without it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SMALL

from scopeplan.cli import main
from scopeplan.explain import explain, render
from scopeplan.plan import plan

FILES = {
    "app/__init__.py": "",
    "app/crm.py": '''\
import requests

BASE = "https://www.zohoapis.com/crm/v8"


def leads():
    return requests.get(BASE + "/Leads")


def search():
    return requests.get(BASE + "/Leads/search")


def add_lead(lead):
    return requests.post(BASE + "/Leads", json=lead)


def update_lead(i, lead):
    return requests.put(f"{BASE}/Leads/{i}", json=lead)


def delete_lead(i):
    return requests.delete(f"{BASE}/Leads/{i}")


def org():
    return requests.get(BASE + "/org")
''',
}

# (scope as typed, compact plan?) -> (canonical, granted, call-site lines, lines that break, covered by)
CASES = [
    pytest.param("ZohoCRM.modules.leads.READ", False,
                 ("ZohoCRM.modules.leads.READ", True, [7, 11], [7, 11], ()), id="a scope of the set"),
    pytest.param("zohocrm.MODULES.Leads.read", False,
                 ("ZohoCRM.modules.leads.READ", True, [7, 11], [7, 11], ()), id="any spelling"),
    pytest.param("ZohoCRM.modules.ALL", False,
                 ("ZohoCRM.modules.ALL", False, [7, 11, 15, 19, 23], [],
                  ("ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.leads.DELETE", "ZohoCRM.modules.leads.READ",
                   "ZohoCRM.modules.leads.UPDATE")), id="broader than the set"),
    pytest.param("ZohoCRM.modules.leads.READ", True,
                 ("ZohoCRM.modules.leads.READ", False, [7, 11], [], ("ZohoCRM.modules.leads.ALL",)),
                 id="compact set covers it"),
    pytest.param("ZohoCRM.modules.leads.ALL", True,
                 ("ZohoCRM.modules.leads.ALL", True, [7, 11, 15, 19, 23], [7, 11, 15, 19, 23], ()),
                 id="the compact scope"),
    pytest.param("ZohoCRM.bulk.READ", False, ("ZohoCRM.bulk.READ", False, [], [], ()), id="needed by nothing"),
]


@pytest.mark.parametrize(("scope", "compact", "expected"), CASES)
def test_explain(tmp_path, small_catalogue, scope, compact, expected):
    for name, source in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    e = explain(plan(tmp_path, small_catalogue, compact=compact), scope)
    lines = [r.site.location.line for r in e.sites]
    assert (e.scope, e.granted, lines, [r.site.location.line for r in e.breaks], e.covered_by) == expected


@pytest.fixture
def app(tmp_path, monkeypatch):
    for name, source in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    (tmp_path / "apis.json").write_text(json.dumps(SMALL))
    (tmp_path / "pyproject.toml").write_text('[tool.scopeplan]\ncatalogue = "apis.json"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_explain_command(app):
    result = CliRunner().invoke(main, ["explain", "ZohoCRM.modules.leads.read"])
    assert result.exit_code == 0
    assert result.stdout == (
        "ZohoCRM.modules.leads.READ is needed by 2 call sites through 2 endpoints:\n"
        "\n"
        "  GET /crm/v8/Leads\n"
        "    app/crm.py:7  app.crm:leads  (GET /crm/v8/Leads)\n"
        "  GET /crm/v8/Leads/search\n"
        "    app/crm.py:11  app.crm:search  (GET /crm/v8/Leads/search)\n"
        "\n"
        "Without it, 2 calls would fail with OAUTH_SCOPE_MISMATCH, in:\n"
        "  app.crm:leads\n"
        "  app.crm:search\n"
        "\n"
        "Considered: 6 matched calls, 0 unmatched calls, 0 unresolved calls (ignored calls and files that failed "
        "are not).\n")


def test_explain_a_wrapper_shows_the_path_to_the_http_call(tmp_path, small_catalogue):
    (tmp_path / "w.py").write_text('import requests\n\n\ndef _get(url):\n    return requests.get(url)\n\n\n'
                                   'def org():\n    return _get("https://www.zohoapis.com/crm/v8/org")\n')
    text = render(explain(plan(tmp_path, small_catalogue), "ZohoCRM.org.READ"))
    assert "    w.py:9  w:org  (GET /crm/v8/org) via w.py:5\n" in text


def test_explain_a_scope_nothing_needs(app):
    result = CliRunner().invoke(main, ["explain", "ZohoCRM.bulk.READ"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "No call site needs ZohoCRM.bulk.READ: dropping it breaks nothing."
    assert "Considered: 6 matched calls, 0 unmatched calls, 0 unresolved calls" in result.stdout


UNRESOLVED = 'import requests\n\n\ndef any_module(m):\n    return requests.get(f"https://www.zohoapis.com/crm/v8/{m}")\n'
UNMATCHED = 'import requests\n\n\ndef odd():\n    return requests.get("https://www.zohoapis.com/crm/v8/nothing/here")\n'
UNKNOWN = 'import requests\n\n\ndef fetch_from_zoho(url):\n    return requests.get(url)\n'
COQL = ('import requests\n\n\ndef query(q):\n'
        '    return requests.post("https://www.zohoapis.com/crm/v8/coql", json={"select_query": q})\n')

# (file added, scope) -> (first line of the explanation, a line that must be in it)
OPEN_CALLS = [
    pytest.param(UNRESOLVED, "ZohoCRM.modules.deals.READ",
                 "No matched call site needs ZohoCRM.modules.deals.READ, but 1 call scopeplan could not resolve may: "
                 "do not drop it until they are resolved.",
                 "  app/more.py:5  app.more:any_module  (unresolved, GET /crm/v8/{m}): one of its 26 candidate scopes",
                 id="an unresolved call whose candidates include it"),
    pytest.param(UNRESOLVED, "ZohoCRM.bulk.READ", "No call site needs ZohoCRM.bulk.READ: dropping it breaks nothing.",
                 "Considered: 6 matched calls, 0 unmatched calls, 1 unresolved call", id="candidates exclude it"),
    pytest.param(UNMATCHED, "ZohoCRM.bulk.READ",
                 "No matched call site needs ZohoCRM.bulk.READ, but 1 call scopeplan could not resolve may: "
                 "do not drop it until they are resolved.",
                 "  app/more.py:5  app.more:odd  (unmatched, GET /crm/v8/nothing/here): its scope is unknown, so it "
                 "could need any", id="an unmatched call"),
    pytest.param(UNKNOWN, "ZohoCRM.org.READ", "ZohoCRM.org.READ is needed by 1 call site through 1 endpoint:",
                 "Calls that may need ZohoCRM.org.READ (scopeplan could not tell which scope they need):",
                 id="a granted scope and an unresolved call of unknown scope"),
    pytest.param(COQL, "ZohoCRM.coql.READ", "ZohoCRM.coql.READ is needed by 1 call site through 1 endpoint:",
                 "Without it, 1 call would fail with OAUTH_SCOPE_MISMATCH, in:",
                 id="a scope an unresolved call surely needs: needed, not a maybe"),
]


@pytest.mark.parametrize(("source", "scope", "first", "line"), OPEN_CALLS)
def test_explain_considers_unresolved_and_unmatched_calls(app, source, scope, first, line):
    (app / "app" / "more.py").write_text(source)
    result = CliRunner().invoke(main, ["explain", scope])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == first
    assert line in result.stdout


@pytest.mark.parametrize("where", [[], ["--output", "out.json"]])
def test_explain_json(app, where):
    (app / "app" / "more.py").write_text(UNRESOLVED)
    result = CliRunner().invoke(main, ["explain", "ZohoCRM.modules.leads.READ", "--format", "json", *where])
    assert result.exit_code == 0
    doc = json.loads((app / "out.json").read_text() if where else result.stdout)
    assert (doc["scope"], doc["granted"], doc["safe_to_drop"]) == ("ZohoCRM.modules.leads.READ", True, False)
    assert [c["line"] for c in doc["call_sites"]] == [7, 11]
    assert doc["may_need"][0]["function"] == "app.more:any_module"
    assert "ZohoCRM.modules.leads.READ" in doc["may_need"][0]["candidates"]
    assert doc["considered"] == {"matched": 6, "unmatched": 0, "unresolved": 1}
    if where:
        assert result.stdout == "scopeplan explain: json written to out.json\n"


@pytest.mark.parametrize("bad", ["leads", "ZohoCRM..READ", ""])
def test_explain_rejects_what_is_not_a_scope(app, bad):
    result = CliRunner().invoke(main, ["explain", bad])
    assert result.exit_code == 2 and "not a scope" in result.stderr
