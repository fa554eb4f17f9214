"""Needed vs granted: where code requests scopes (cases and non-cases), and the judgement by the scope algebra."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scopeplan import granted
from scopeplan.cli import main
from scopeplan.granted import Broader, Missing, Unused

ROOT = Path(__file__).resolve().parent.parent
LEADS = 'def leads():\n    return requests.get("https://www.zohoapis.com/crm/v8/Leads")\n'

# (source of app/auth.py, requested sets as (scopes, origin labels)); every case also calls GET /Leads.
CASES = [
    pytest.param('import requests\nSCOPES = ["ZohoCRM.modules.ALL", "ZohoCRM.users.READ"]\n',
                 [("ZohoCRM.modules.ALL,ZohoCRM.users.READ", ["setting"])], id="list-constant"),
    pytest.param('import requests\nZOHO_SCOPE = "ZohoCRM.modules.leads.READ ZohoCRM.org.READ"\n',
                 [("ZohoCRM.modules.leads.READ,ZohoCRM.org.READ", ["setting"])], id="space-separated"),
    pytest.param('import requests\n'
                 'AUTH = "https://accounts.zoho.eu/oauth/v2/auth?scope=" + ",".join(["ZohoCRM.modules.ALL"]) '
                 '+ "&response_type=code"\n',
                 [("ZohoCRM.modules.ALL", ["authorization URL"])], id="auth-url-constant-joined"),
    pytest.param('import requests\nA = "https://accounts.zoho.com"\ndef url(state):\n'
                 '    return f"{A}/oauth/v2/auth?scope=ZohoCRM.modules.leads.ALL%2CZohoCRM.org.READ&state={state}"\n',
                 [("ZohoCRM.modules.leads.ALL,ZohoCRM.org.READ", ["authorization URL"])], id="returned-url-encoded"),
    pytest.param('import requests\ndef token(s):\n    return requests.post("https://accounts.zoho.com/oauth/v2/token",'
                 ' data={"grant_type": "client_credentials", "scope": "ZohoCRM.modules.leads.READ", "soid": s})\n',
                 [("ZohoCRM.modules.leads.READ", ["token request"])], id="token-body"),
    pytest.param('import requests\nfrom urllib.parse import urlencode\ndef url():\n    return urlencode('
                 '{"scope": "ZohoCRM.modules.ALL", "response_type": "code", "client_id": "x"})\n',
                 [("ZohoCRM.modules.ALL", ["authorization URL"])], id="urlencode-dict"),
    pytest.param('import requests\nfrom sdk import OAuthToken\nT = OAuthToken(client_id="x", '
                 'scope="ZohoCRM.modules.leads.READ,ZohoCRM.settings.ALL")\n',
                 [("ZohoCRM.modules.leads.READ,ZohoCRM.settings.ALL", ["scope argument"])], id="sdk-keyword"),
    pytest.param('import os, requests\nSCOPES = "ZohoCRM.modules.leads.READ," + os.environ["EXTRA"]\n',
                 [("ZohoCRM.modules.leads.READ", ["setting"])], id="partial"),
]

NOT_CASES = [
    pytest.param('import requests\ndef refresh(t):\n    return requests.post("https://accounts.zoho.com/oauth/v2/token",'
                 ' data={"grant_type": "refresh_token", "refresh_token": t})\n', id="refresh-has-no-scope"),
    pytest.param('import requests\nSCOPE = "read write"\n', id="not-zoho-scopes"),
    pytest.param('import requests\nOAUTH_URL = "https://accounts.zoho.com/oauth/v2/auth"\n', id="url-without-scope"),
    pytest.param('import requests\ndef f():\n    return requests.get("https://example.com/?scope=ZohoCRM.org.READ")\n',
                 id="other-host"),
]


@pytest.mark.parametrize("source, expected", CASES)
def test_requested_scope_sets_are_found(project, source, expected):
    result = project({"app/auth.py": source, "app/crm.py": "import requests\n\n" + LEADS})
    found = [(",".join(g.scopes), sorted(p.origin.label for p in g.places)) for g in result.grants]
    assert found == expected


@pytest.mark.parametrize("source", NOT_CASES)
def test_no_requested_set_where_code_asks_for_none(project, source):
    assert project({"app/auth.py": source, "app/crm.py": "import requests\n\n" + LEADS}).grants == ()


def test_a_partial_set_claims_no_under_grant(project):
    result = project({"app/auth.py": 'import os, requests\nSCOPES = "ZohoCRM.org.READ," + os.environ["X"]\n',
                      "app/crm.py": "import requests\n\n" + LEADS})
    (g,) = result.grants
    assert g.partial and g.under == () and g.over == (Unused("ZohoCRM.org.READ"),)


# (requested, needed, over, under scopes)
JUDGED = [
    pytest.param("ZohoCRM.modules.ALL", ["ZohoCRM.modules.leads.READ", "ZohoCRM.modules.deals.CREATE"],
                 [Broader("ZohoCRM.modules.ALL", ("ZohoCRM.modules.deals.CREATE", "ZohoCRM.modules.leads.READ"))], [],
                 id="modules-all-where-two-suffice"),
    pytest.param("ZohoCRM.modules.leads.ALL", ["ZohoCRM.modules.leads.READ", "ZohoCRM.modules.leads.CREATE",
                                               "ZohoCRM.modules.leads.UPDATE", "ZohoCRM.modules.leads.DELETE"],
                 [], [], id="all-when-all-four-are-needed"),
    pytest.param("zohocrm.modules.leads.write", ["ZohoCRM.modules.leads.CREATE"],
                 [Broader("ZohoCRM.modules.leads.WRITE", ("ZohoCRM.modules.leads.CREATE",))], [], id="write-case"),
    pytest.param("ZohoCRM.modules.ALL", ["ZohoCRM.coql.READ", "ZohoCRM.modules.leads.READ"],
                 [Broader("ZohoCRM.modules.ALL", ("ZohoCRM.modules.leads.READ",))], ["ZohoCRM.coql.READ"],
                 id="families-are-independent"),
    pytest.param("ZohoCRM.settings.ALL,ZohoCRM.org.READ", ["ZohoCRM.org.READ"],
                 [Unused("ZohoCRM.settings.ALL")], [], id="unused"),
    pytest.param("ZohoCRM.modules.leads.READ", ["ZohoCRM.modules.leads.READ", "ZohoSearch.securesearch.READ"],
                 [], ["ZohoSearch.securesearch.READ"], id="search-conjunction-forgotten"),
]


@pytest.mark.parametrize("requested, needed, over, under", JUDGED)
def test_judgement_uses_the_scope_algebra(requested, needed, over, under):
    (g,) = granted.check([], needed, [], console=tuple(requested.split(",")), console_source="--granted")
    assert list(g.over) == over
    assert [m.scope for m in g.under] == under
    assert all(isinstance(m, Missing) for m in g.under) and g.console


H = "https://www.zohoapis.com/crm/v8"
COQL = f'def query(q):\n    return requests.post("{H}/coql", json={{"select_query": q}})\n'  # needs coql.READ, surely
BY_MODULE = f'def record(m, i):\n    return requests.get(f"{H}/{{m}}/{{i}}")\n'  # may need any module's READ
# (code besides `leads()`, the console's set) -> (over-granted, kept for calls scopeplan could not resolve, under-granted
# scope with its sites). A scope an unresolved call surely needs is needed; one it may need is kept, never a drop.
UNRESOLVED_GRANTS = [
    pytest.param(COQL, "ZohoCRM.modules.leads.READ", [], [], [("ZohoCRM.coql.READ", ["app/crm.py:6"])],
                 id="a certain scope of an unresolved call is under-granted at its site"),
    pytest.param(BY_MODULE, "ZohoCRM.modules.leads.READ,ZohoCRM.modules.deals.READ,ZohoCRM.users.READ",
                 [Unused("ZohoCRM.users.READ")], [("ZohoCRM.modules.deals.READ", ["app/crm.py:6"])], [],
                 id="a scope an unresolved call may need is kept, one it cannot need is unused"),
    pytest.param(BY_MODULE, "ZohoCRM.modules.ALL", [], [("ZohoCRM.modules.ALL", ["app/crm.py:6"])], [],
                 id="no narrowing past what an unresolved call may need"),
    pytest.param("", "ZohoCRM.modules.leads.READ,ZohoCRM.modules.deals.READ", [Unused("ZohoCRM.modules.deals.READ")],
                 [], [], id="no open call: unused"),
]


@pytest.mark.parametrize("code, console, over, kept, under", UNRESOLVED_GRANTS)
def test_unresolved_calls_in_the_grant_check(tmp_path, small_catalogue, code, console, over, kept, under):
    from scopeplan.config import Config
    from scopeplan.plan import plan

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "crm.py").write_text("import requests\n\n" + LEADS + code)
    (g,) = plan(tmp_path, small_catalogue, config=Config(granted=tuple(console.split(",")), granted_source="test")).grants
    assert list(g.over) == over
    assert [(k.scope, [f"{s.file}:{s.line}" for s in k.sites]) for k in g.kept] == kept
    assert [(m.scope, [f"{s.file}:{s.line}" for s in m.sites]) for m in g.under] == under


def test_other_products_scopes_are_not_judged():
    (g,) = granted.check([], ["ZohoCRM.org.READ"], [], console=("ZohoCRM.org.READ", "ZohoBooks.fullaccess.all"))
    assert g.over == () and g.foreign == ("ZohoBooks.fullaccess.ALL",)


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_granted_exits_1_on_an_under_grant_without_a_baseline():
    sample = ROOT / "sample_projects" / "self_client_jobs_v8"  # granted = [...] in its pyproject.toml
    result = run("check", str(sample), "--no-cache")
    assert result.exit_code == 1
    assert "under-granted: ZohoCRM.coql.READ (nightly/jobs.py:15)" in result.output


@pytest.mark.parametrize("scopes, code", [
    ("ZohoCRM.modules.ALL,ZohoCRM.users.READ", 0),
    ("ZohoCRM.modules.leads.READ,ZohoCRM.users.READ", 1),
    ("ZohoCRM.modules.ALL, nonsense", 2),
])
def test_check_granted_flag(scopes, code):
    result = run("check", str(ROOT / "sample_projects" / "oauth_web_v8"), "--no-cache", "--granted", scopes)
    assert result.exit_code == code, result.output


def test_granted_in_pyproject_must_be_a_list_of_strings(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.scopeplan]\ngranted = "ZohoCRM.org.READ"\n')
    (tmp_path / "a.py").write_text("import requests\n\n" + LEADS)
    result = run("check", str(tmp_path), "--no-cache")
    assert result.exit_code == 3 and "tool.scopeplan.granted must be a list" in result.output
