"""The gate from the command line: `baseline`, `check`, their exit codes, [tool.scopeplan], and the issue's scenario."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SMALL

from gate_cases import CRM
from scopeplan.cli import main

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "sample_projects" / "legacy_requests_v2"

CONFIG = '[tool.scopeplan]\ncatalogue = "zoho/apis.json"\n'


def run(*args: str):
    """Invoke the CLI in the current directory; stdout and stderr apart."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A small integration with its own catalogue file named in pyproject.toml; the current directory."""
    (tmp_path / "zoho").mkdir()
    (tmp_path / "zoho" / "apis.json").write_text(json.dumps(SMALL))
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "crm.py").write_text(CRM)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _add(path: Path, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


NEW_SCOPE = 'import requests\n\ndef add_deal(d):\n    return requests.post("https://www.zohoapis.com/crm/v8/Deals")\n'
MORE_CREDITS = 'import requests\n\ndef find():\n    return requests.get("https://www.zohoapis.com/crm/v8/Leads/7")\n'
BROKEN = 'import requests\n\nrequests.get("https://www.zohoapis.com/crm/v8/Leads"\n'  # no parse
UNRESOLVED = 'import requests\n\ndef fetch_from_zoho(url):\n    return requests.get(url)\n'
UNMATCHED = 'import requests\n\ndef odd():\n    return requests.get("https://www.zohoapis.com/crm/v8/nothing/here")\n'
BY_MODULE = ('import requests\n\ndef by_module(module):\n'
             '    return requests.get(f"https://www.zohoapis.com/crm/v8/{module}")\n')

# (files to write after the baseline, extra pyproject lines, check arguments) -> (exit code, text on stdout or stderr)
GATE = [
    pytest.param({}, "", [], 0, "scopeplan check: ok: 2 scopes, all granted by .scopeplan.json", id="unchanged"),
    pytest.param({"app/deals.py": NEW_SCOPE}, "", [], 1, "ZohoCRM.modules.deals.CREATE", id="new scope"),
    pytest.param({"app/crm.py": CRM.split("\n\ndef org")[0] + "\n"}, "", [], 0, "You can drop these scopes",
                 id="unused scope: notice"),
    pytest.param({"app/crm.py": CRM.split("\n\ndef org")[0] + "\n"}, "", ["--fail-on-unused"], 1,
                 "1 granted scope no longer needed", id="unused scope, --fail-on-unused"),
    pytest.param({"app/search.py": MORE_CREDITS}, "", [], 0, "per run, each call site once: 2 -> 3",
                 id="credits rose, no tolerance configured: reported"),
    pytest.param({"app/search.py": MORE_CREDITS}, "", [], 0, "worst-case credits changed",
                 id="credits rose: said in the verdict"),
    pytest.param({"app/search.py": MORE_CREDITS}, "credit-tolerance = 0\n", [], 1, "above the baseline",
                 id="credits rose over a configured tolerance of 0"),
    pytest.param({"app/search.py": MORE_CREDITS}, "", ["--credit-tolerance", "50"], 0, "tolerance 50%",
                 id="credits within --credit-tolerance"),
    pytest.param({"app/search.py": MORE_CREDITS}, "credit-tolerance = 50\n", [], 0, "tolerance 50%",
                 id="credits within credit-tolerance from pyproject"),
    pytest.param({"app/search.py": MORE_CREDITS}, "credit-tolerance = 50\n", ["--credit-tolerance", "0"], 1,
                 "above the baseline", id="the flag overrides pyproject"),
    pytest.param({"app/fetch.py": UNRESOLVED}, "", [], 1, "FAILED: 1 new unresolved call", id="new unresolved"),
    pytest.param({"app/fetch.py": UNRESOLVED}, "", [], 1, "app/fetch.py:4: the url comes from `url`",
                 id="new unresolved: names the call and the reason"),
    pytest.param({"app/fetch.py": UNRESOLVED}, "", [], 1, "or run `scopeplan baseline` to accept it knowingly",
                 id="new unresolved: names the fix"),
    pytest.param({"app/fetch.py": UNRESOLVED}, "", ["--allow-new-unresolved"], 0,
                 "1 new unresolved call allowed by --allow-new-unresolved", id="new unresolved, --allow-new-unresolved"),
    pytest.param({"app/by.py": BY_MODULE}, "", [], 1, ",Deals,Entity_Scores__s,Events,Invoices,Leads,Notes,",
                 id="new unresolved: the exact hint line with the candidate modules"),
    pytest.param({"app/by.py": BY_MODULE}, "", [], 1, "Vendors` to app/by.py:4 (keep only the modules it calls)",
                 id="new unresolved: where the hint goes"),
    pytest.param({"app/by.py": BY_MODULE}, "", [], 1, "ZohoCRM.org.READ, ZohoCRM.users.READ",
                 id="new unresolved: every candidate scope, not 'and 1 more'"),
    pytest.param({"app/odd.py": UNMATCHED}, "", [], 1, "FAILED: 1 new unmatched call", id="new unmatched"),
    pytest.param({"app/odd.py": UNMATCHED}, "", [], 1, "app/odd.py:4: no catalogue endpoint for GET /crm/v8/nothing/here",
                 id="new unmatched: names the call"),
    pytest.param({"app/odd.py": UNMATCHED}, "", ["--allow-new-unresolved"], 0, "New unmatched calls",
                 id="new unmatched, --allow-new-unresolved: still listed"),
    pytest.param({"app/broken.py": BROKEN}, "", [], 0, "Files that could not be scanned",
                 id="parse error: reported"),
    pytest.param({"app/broken.py": BROKEN}, "", ["--strict"], 3, "app/broken.py", id="parse error, --strict"),
    pytest.param({}, "", ["--catalogue", "missing.json"], 3, "missing.json: no such file", id="no catalogue"),
    pytest.param({}, "colour = \"red\"\n", [], 3, "unknown key tool.scopeplan.colour", id="unknown config key"),
    pytest.param({}, "credit-tolerance = \"5%\"\n", [], 3, "tool.scopeplan.credit-tolerance must be a number",
                 id="config key of the wrong type"),
    pytest.param({}, "credit-tolerance = -5\n", [], 3, "tool.scopeplan.credit-tolerance must be a number >= 0",
                 id="negative credit-tolerance"),
    pytest.param({}, 'entry-points = ["app.crm:leeds"]\n', [], 3, "`app.crm:leeds` is not a function",
                 id="misspelt entry point"),
    pytest.param({}, 'modules = {"app.crm:leads_x" = ["Leads"]}\n', [], 3, "did you mean `app.crm:leads`?",
                 id="misspelt function in modules"),
    pytest.param({"app/broken.py": BROKEN}, "", ["--strict"], 3, "app/broken.py: could not be scanned",
                 id="parse error, --strict: says why on stderr"),
    pytest.param({".scopeplan.json": "{"}, "", [], 3, "not valid JSON", id="unreadable baseline"),
    pytest.param({}, "", ["--baseline", "elsewhere.json"], 3, "run `scopeplan baseline`", id="no baseline"),
]


@pytest.mark.parametrize(("files", "config", "args", "code", "text"), GATE)
def test_check_exit_codes(app, files, config, args, code, text):
    assert run("baseline").exit_code == 0
    for name, source in files.items():
        _add(app / name, source)
    (app / "pyproject.toml").write_text(CONFIG + config)
    result = run("check", *args)
    assert (result.exit_code, text in result.stdout + result.stderr) == (code, True), result.output
    if code == 3:
        assert "scopeplan: error:" in result.stderr or "Files that could not be scanned" in result.stdout
        assert "New scope" not in result.stdout  # an error is never reported as drift


def test_a_new_scope_names_the_scope_the_endpoint_and_every_call_site(app):
    run("baseline")
    _add(app / "app" / "deals.py", NEW_SCOPE + "\n\ndef again():\n"
         "    return requests.post(\"https://www.zohoapis.com/crm/v8/Deals\")\n")
    result = run("check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:5] == [
        "scopeplan check: FAILED: 1 new scope (ZohoCRM.modules.deals.CREATE)",
        "New scope ZohoCRM.modules.deals.CREATE, not granted by .scopeplan.json; needed by:",
        "  POST /crm/v8/Deals",
        "    app/deals.py:4  app.deals:add_deal",
        "    app/deals.py:8  app.deals:again",
    ]


def test_baseline_paths_come_from_pyproject_relative_to_it_and_from_flags_relative_to_the_cwd(app, monkeypatch):
    (app / "pyproject.toml").write_text(CONFIG + 'baseline = "ci/scopes.json"\n')
    (app / "ci").mkdir()
    assert run("baseline").stdout.startswith("scopeplan: wrote ci/scopes.json: 2 scopes, 2 endpoints")
    monkeypatch.chdir(app / "app")
    assert run("check", "..").exit_code == 0  # pyproject paths stay relative to the project
    assert run("baseline", "..", "--baseline", "mine.json").exit_code == 0
    assert (app / "app" / "mine.json").read_bytes() == (app / "ci" / "scopes.json").read_bytes()
    assert run("check", "..", "--baseline", "mine.json").exit_code == 0


def test_scan_applies_pyproject_and_flags_override_it(app):
    for op in ("CREATE", "UPDATE", "DELETE"):  # all four leads operations: compact folds them into .ALL
        method = {"CREATE": "post", "UPDATE": "put", "DELETE": "delete"}[op]
        path = "/Leads" if op == "CREATE" else "/Leads/1"
        _add(app / "app" / f"{op.lower()}.py",
             f'import requests\n\ndef f():\n    requests.{method}("https://www.zohoapis.com/crm/v8{path}")\n')
    assert "ZohoCRM.modules.leads.ALL" not in run("scan").stdout
    (app / "pyproject.toml").write_text(CONFIG + "compact = true\n")
    assert "ZohoCRM.modules.leads.ALL" in run("scan").stdout
    assert "ZohoCRM.modules.leads.ALL" not in run("scan", "--no-compact").stdout
    (app / "pyproject.toml").write_text(CONFIG + "strict = true\n")
    _add(app / "app" / "fetch.py", UNRESOLVED)
    assert (run("scan").exit_code, run("scan", "--no-strict").exit_code) == (3, 0)


def test_plain_scan_output_is_unchanged_by_the_config_wiring(app):
    assert run("scan").stdout == run("scan", "--catalogue", "zoho/apis.json").stdout
    assert run("scan").stdout.startswith("scopeplan: 2 files scanned, catalogue v8 (file, 12 paths, ")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_output_writes_the_report_to_a_file_and_keeps_the_exit_code(app, fmt):
    run("baseline")
    _add(app / "app" / "deals.py", NEW_SCOPE)
    result = run("check", "--format", fmt, "--output", "reports/out")
    assert (result.exit_code, result.stderr) == (3, "scopeplan: error: reports/out: No such file or directory\n")
    (app / "reports").mkdir()
    result = run("check", "--format", fmt, "--output", "reports/out")
    assert result.exit_code == 1
    assert result.stdout == (f"scopeplan check: FAILED: 1 new scope (ZohoCRM.modules.deals.CREATE); "
                             f"{fmt} report written to reports/out\n")
    assert (app / "reports" / "out").read_text() == run("check", "--format", fmt).stdout
    assert [p.name for p in (app / "reports").iterdir()] == ["out"]  # no temp file left behind


def test_baseline_under_strict_refuses_an_incomplete_analysis(app):
    _add(app / "app" / "fetch.py", UNRESOLVED)
    result = run("baseline", "--strict")
    assert result.exit_code == 3 and "no baseline written" in result.stderr
    assert "app/fetch.py:4: unresolved: the url comes from `url`" in result.stderr  # says which call
    assert not (app / ".scopeplan.json").exists()
    result = run("baseline")
    assert result.exit_code == 0 and "1 unresolved call accepted as known" in result.stdout
    assert run("check").exit_code == 0  # known ones stay known


# ---------------------------------------------------------------------------------------------------------------
# The "Done when", in a scratch git repository holding a copy of a sample integration.

NOTES = '''\
"""Notes on CRM records."""
import requests

from crm_sync.auth import auth_headers
from crm_sync.settings import ZOHO_API_BASE


def add_note(parent_id, text):
    # reading notes needs notes.READ alone; creating one at /Notes also needs the parent's module scope
    # (https://zoho.com/crm/developer/docs/api/v2.1/create-notes.html), which this body does not name
    resp = requests.get(f"{ZOHO_API_BASE}/Notes", params={"parent_id": parent_id, "text": text},
                        headers=auth_headers())
    resp.raise_for_status()
'''
DEALS = '''\
"""Deal lookups, moved out of api.py."""
import requests

from crm_sync.auth import auth_headers
from crm_sync.settings import ZOHO_API_BASE


def get_deal(deal_id):
    resp = requests.get("%s/Deals/%s" % (ZOHO_API_BASE, deal_id), headers=auth_headers())
    resp.raise_for_status()
    return resp.json()["data"][0]
'''


FETCH = '''\
"""Records of any module."""
import requests

from crm_sync.settings import ZOHO_API_BASE

def by_module(module):
    return requests.get(f"{ZOHO_API_BASE}/{module}")
'''
ODD = '''\
"""A path Zoho has not documented."""
import requests

from crm_sync.settings import ZOHO_API_BASE

def odd():
    return requests.get(f"{ZOHO_API_BASE}/nothing/here")
'''


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=scopeplan tests", "-c", "user.email=tests@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True)


def _cut(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[:i] + text[text.index(end, i):]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for the scratch repository")
def test_done_when_scenario_in_a_scratch_git_repo(tmp_path, monkeypatch):
    repo = tmp_path / "integration"
    shutil.copytree(LEGACY / "crm_sync", repo / "crm_sync", ignore=shutil.ignore_patterns("__pycache__"))
    bundled = resources.files("scopeplan.data").joinpath("catalogue_v8.json").read_bytes()
    (repo / "zoho").mkdir()
    (repo / "zoho" / "apis.json").write_bytes(bundled)
    (repo / "pyproject.toml").write_text(CONFIG)
    monkeypatch.chdir(repo)
    _git(repo, "init", "-q")
    assert "run `scopeplan baseline`" in run("check").stderr

    # `scopeplan baseline` then `scopeplan check` exits 0
    assert run("baseline").exit_code == 0
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "integration and its baseline")
    clean = run("check")
    assert (clean.exit_code, clean.stdout) == (0, "scopeplan check: ok: 10 scopes, all granted by .scopeplan.json\n")

    # adding a call that needs a new scope makes `check` exit 1, naming it
    (repo / "crm_sync" / "notes.py").write_text(NOTES)
    result = run("check")
    assert result.exit_code == 1
    assert "New scope ZohoCRM.modules.notes.READ" in result.stdout
    assert "GET /crm/v8/Notes" in result.stdout and "crm_sync/notes.py:11  crm_sync.notes:add_note" in result.stdout
    (repo / "crm_sync" / "notes.py").unlink()

    # removing a call makes it suggest dropping the scope
    api = repo / "crm_sync" / "api.py"
    tasks = repo / "crm_sync" / "tasks.py"
    api.write_text(_cut(api.read_text(), "def delete_lead(", "def create_sales_order("))
    tasks.write_text(tasks.read_text().replace('    if lead is not None:\n        api.delete_lead(lead["id"])\n', ""))
    result = run("check")
    assert result.exit_code == 0
    assert "You can drop these scopes: considered " in result.stdout
    assert "unresolved calls and none needs them\n  ZohoCRM.modules.leads.DELETE\n" in result.stdout
    assert run("check", "--fail-on-unused").exit_code == 1
    _git(repo, "checkout", "--", ".")

    # a new unresolved call fails the gate, naming the call, the reason and the fix; the baseline accepts it
    (repo / "crm_sync" / "fetch.py").write_text(FETCH)
    result = run("check")
    assert result.exit_code == 1
    assert "FAILED: 1 new unresolved call" in result.stdout
    assert "crm_sync/fetch.py:7: `{module}` (a parameter of `crm_sync.fetch:by_module`) decides" in result.stdout
    assert "fix: add `# scopeplan: modules=Accounts," in result.stdout
    assert run("check", "--allow-new-unresolved").exit_code == 0
    # ... and `explain` of a scope it may need does not say that dropping it breaks nothing
    explained = run("explain", "ZohoCRM.modules.vendors.READ")
    assert "breaks nothing" not in explained.stdout
    assert re.search(r"crm_sync/fetch.py:7  crm_sync.fetch:by_module  \(unresolved, GET /crm/v2/\{module\}\): "
                     r"one of its \d+ candidate scopes", explained.stdout)  # the count follows the catalogue
    (repo / "crm_sync" / "fetch.py").unlink()

    # a new unmatched call (a CRM path the catalogue lacks) fails the gate too
    (repo / "crm_sync" / "odd.py").write_text(ODD)
    result = run("check")
    assert result.exit_code == 1 and "FAILED: 1 new unmatched call" in result.stdout
    assert "crm_sync/odd.py:7: no catalogue endpoint for GET /crm/v2/nothing/here" in result.stdout
    (repo / "crm_sync" / "odd.py").unlink()

    # `check` in a subfolder finds the project root, its config and its baseline
    monkeypatch.chdir(repo / "crm_sync")
    sub = run("check")
    assert (sub.exit_code, sub.stdout) == (0, clean.stdout)
    assert "project root .. (it has pyproject.toml [tool.scopeplan])" in sub.stderr
    monkeypatch.chdir(repo)

    # moving a function to another file changes nothing: same verdict, same baseline bytes
    api.write_text(_cut(api.read_text(), "def get_deal(", "def create_account("))
    (repo / "crm_sync" / "deals.py").write_text(DEALS)
    tasks.write_text(tasks.read_text().replace("from crm_sync import api\n", "from crm_sync import api\n"
                                               "from crm_sync.deals import get_deal\n")
                     .replace("api.get_deal(", "get_deal("))
    assert (run("check").exit_code, run("check").stdout) == (0, clean.stdout)
    assert run("baseline", "--baseline", "moved.json").exit_code == 0
    assert (repo / "moved.json").read_bytes() == (repo / ".scopeplan.json").read_bytes()
    _git(repo, "checkout", "--", ".")
    _git(repo, "clean", "-fdq")

    # deleting the catalogue makes it exit 3, and says so on stderr without a report
    (repo / "zoho" / "apis.json").unlink()
    result = run("check")
    assert (result.exit_code, result.stdout) == (3, "")
    assert "zoho/apis.json: no such file" in result.stderr
