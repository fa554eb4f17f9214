"""Issue 12: no silent pass, no crash. Typos, the project root, exit codes, --strict on stderr, --dc, schemas."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import SMALL

from scopeplan import baseline, cli
from scopeplan.cli import main
from scopeplan.config import Config, find_root
from scopeplan.plan import plan

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
H = "https://www.zohoapis.com"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def app(tmp_path, monkeypatch):
    _write(tmp_path, {"zoho/apis.json": json.dumps(SMALL), "pyproject.toml": '[tool.scopeplan]\ncatalogue = "zoho/apis.json"\n',
                      "app/__init__.py": "", "app/crm.py": f'import requests\n\n\ndef leads():\n'
                      f'    return requests.get("{H}/crm/v8/Leads")\n'})
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------------------------------------------
# Typos: a module name in a hint that is no module is a warning naming the file and line.

HINTED = 'import requests\n\n\ndef get(module):\n    return requests.get(f"{H}/crm/v8/{module}")  # scopeplan: modules=%s\n'

# modules= value, custom-modules -> warnings (file, first words), or none
MODULE_HINTS = [
    pytest.param("Leeds", (), [("app/m.py", "line 5: `# scopeplan: modules=`: `Leeds` is not a module of the catalogue: "
                                            "did you mean Leads?")], id="a typo"),
    pytest.param("Leads,Deals", (), [], id="system modules"),
    pytest.param("leads", (), [], id="any case"),
    pytest.param("Projects__c", (), [], id="shaped like a custom module"),
    pytest.param("Projects", ("Projects",), [], id="listed in custom-modules"),
    pytest.param("Projects", (), [("app/m.py", "line 5: `# scopeplan: modules=`: `Projects` is not a module of the "
                                               "catalogue: ")], id="a custom module not listed"),
]


@pytest.mark.parametrize(("value", "custom", "expected"), MODULE_HINTS)
def test_a_module_name_that_is_no_module_is_a_warning(tmp_path, small_catalogue, value, custom, expected):
    _write(tmp_path, {"app/m.py": HINTED.replace("{H}", H) % value})
    result = plan(tmp_path, small_catalogue, config=Config(custom_modules=custom))
    assert [(p.file, p.message[:len(want)] == want) for p, (_, want) in zip(result.problems, expected)] == \
        [(f, True) for f, _ in expected]
    assert len(result.problems) == len(expected) and result.errors == ()


def test_a_module_name_in_config_that_is_no_module_is_a_warning(tmp_path, small_catalogue):
    _write(tmp_path, {"app/m.py": 'import requests\n\n\ndef get(module):\n'
                                  f'    return requests.get(f"{H}/crm/v8/{{module}}")\n'})
    result = plan(tmp_path, small_catalogue, config=Config(modules=(("app.m:get", ("Leeds",)),)))
    [problem] = result.problems
    assert (problem.file, problem.message.startswith("[tool.scopeplan] modules of `app.m:get`: `Leeds` is not a module")) \
        == ("pyproject.toml", True)


def test_an_unknown_hint_key_is_a_warning_not_a_file_that_could_not_be_scanned(app):
    _write(app, {"app/m.py": f'import requests\nrequests.get("{H}/crm/v8/Leads")  # scopeplan: modulez=Leads\n'})
    out = run("scan").stdout
    assert "Files that could not be scanned" not in out
    assert "Warnings: hints and names to fix (the files were still analysed): 1\n  app/m.py: line 2: unknown hint" in out
    doc = json.loads(run("scan", "--format", "json").stdout)
    assert doc["errors"] == [] and doc["problems"][0]["file"] == "app/m.py"


# ---------------------------------------------------------------------------------------------------------------
# The project root: found walking up, named on stderr, paths relative to it.

def test_find_root(tmp_path):
    _write(tmp_path, {"repo/.git/HEAD": "", "repo/pkg/sub/m.py": "", "repo/pyproject.toml": "[project]\nname = 'x'\n",
                      "repo/pkg/pyproject.toml": "[tool.scopeplan]\n", "loose/m.py": "",
                      "base/.scopeplan.json": "{}", "base/a/m.py": ""})
    assert find_root(tmp_path / "repo" / "pkg" / "sub") == (tmp_path / "repo" / "pkg", "pyproject.toml [tool.scopeplan]")
    assert find_root(tmp_path / "repo" / "pkg" / "sub" / "m.py")[0] == tmp_path / "repo" / "pkg"
    (tmp_path / "repo" / "pkg" / "pyproject.toml").unlink()
    assert find_root(tmp_path / "repo" / "pkg" / "sub") == (tmp_path / "repo", ".git")  # a pyproject without the table
    assert find_root(tmp_path / "base" / "a") == (tmp_path / "base", ".scopeplan.json")
    assert find_root(tmp_path / "loose") == (tmp_path / "loose", None)


WRAPPED = {
    "crmsync/__init__.py": "",
    "crmsync/settings.py": f'BASE = "{H}/crm/v8"\n',
    "crmsync/client.py": "import requests\n\nfrom crmsync.settings import BASE\n\n\ndef get(path):\n"
                         "    return requests.get(BASE + path)\n",
    "crmsync/jobs/__init__.py": "",
    "crmsync/jobs/leads.py": 'from crmsync.client import get\n\n\ndef sync():\n    return get("/Leads")\n',
}


def test_scan_of_a_subfolder_analyses_the_whole_project_and_says_so(app):
    _write(app, WRAPPED)
    whole = json.loads(run("scan", "--format", "json").stdout)
    result = CliRunner().invoke(main, ["scan", "crmsync/jobs", "--format", "json"])
    sub = json.loads(result.stdout)
    assert "scopeplan: project root . (it has pyproject.toml [tool.scopeplan])" in result.stderr
    assert sub["scopes"] == ["ZohoCRM.modules.leads.READ"]  # the wrapper and the constant live outside jobs/
    assert [(s["file"], s["status"]) for s in sub["call_sites"]] == [("crmsync/jobs/leads.py", "matched")]
    assert {s["file"] for s in whole["call_sites"]} == {"app/crm.py", "crmsync/jobs/leads.py"}


def test_a_subfolder_that_is_a_link_out_of_the_project_is_its_own_root(app, tmp_path_factory):
    """PATH lexically under the project but, through a symlink, elsewhere: scanned as a project of its own."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    _write(elsewhere, {"vendor/crm.py": f'import requests\nrequests.get("{H}/crm/v8/Deals")\n'})
    (app / "third_party").symlink_to(elsewhere, target_is_directory=True)
    result = CliRunner().invoke(main, ["scan", "third_party", "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert [(s["file"], s["path"]) for s in json.loads(result.stdout)["call_sites"]] == [
        ("vendor/crm.py", "/crm/v8/Deals")]


def test_check_and_baseline_in_a_subfolder_use_the_root_config_and_baseline(app, monkeypatch):
    assert run("baseline").exit_code == 0
    monkeypatch.chdir(app / "app")
    result = CliRunner().invoke(main, ["check"])
    assert (result.exit_code, result.stdout) == (0, "scopeplan check: ok: 1 scope, all granted by .scopeplan.json\n")
    assert "project root .." in result.stderr
    assert CliRunner().invoke(main, ["baseline"]).exit_code == 0
    assert not (app / "app" / ".scopeplan.json").exists()


# ---------------------------------------------------------------------------------------------------------------
# Silence: --strict says why on stderr; the paste line says when it is incomplete.

def test_strict_exit_3_names_the_calls_and_files_on_stderr(app):
    _write(app, {"app/fetch.py": "import requests\n\n\ndef fetch_from_zoho(url):\n    return requests.get(url)\n",
                 "app/odd.py": f'import requests\n\n\ndef odd():\n    return requests.get("{H}/crm/v8/nothing/here")\n',
                 "app/broken.py": f'import requests\nrequests.get("{H}/crm/v8/Leads"\n'})
    result = CliRunner().invoke(main, ["scan", "--strict"])
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == "scopeplan: --strict: the analysis is incomplete (3 reasons):"
    assert lines[1].startswith("  app/broken.py: could not be scanned: ")
    assert lines[2] == "  app/fetch.py:5: unresolved: the url comes from `url` (a parameter of `app.fetch:fetch_from_zoho`)"
    assert lines[3].startswith("  app/odd.py:5: unmatched: no catalogue endpoint for GET /crm/v8/nothing/here")


def test_the_paste_line_warns_when_calls_could_need_more(app):
    assert "incomplete" not in run("scan").stdout
    _write(app, {"app/odd.py": f'import requests\n\n\ndef odd():\n    return requests.get("{H}/crm/v8/nothing/here")\n'})
    out = run("scan").stdout
    assert "Paste into the Zoho API console:\n  ZohoCRM.modules.leads.READ\n  incomplete: 1 call could need more" in out


# ---------------------------------------------------------------------------------------------------------------
# Crashes: any internal error exits 4, the traceback only under --debug.

@pytest.fixture
def crash(app, monkeypatch):
    assert run("baseline", "--no-cache").exit_code == 0  # so that check gets as far as the analysis
    # (--no-cache: a plan kept by this run would be loaded, and the broken plan() never called)

    def boom(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr("scopeplan.plan.plan", boom)


@pytest.mark.parametrize("command", [["scan"], ["check"], ["baseline"], ["explain", "ZohoCRM.org.READ"]])
def test_an_internal_error_exits_4_without_a_traceback(crash, command):
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 4
    assert result.stderr.startswith("scopeplan failed: KeyError: 'a bug' — please report it at ")
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("where", [["--debug", "scan"], ["scan", "--debug"]])
def test_debug_shows_the_traceback(crash, where):
    result = CliRunner().invoke(main, where)
    assert result.exit_code == 4 and "Traceback (most recent call last)" in result.stderr


def test_help_and_readme_agree_on_the_exit_codes():
    help_text = CliRunner().invoke(main, ["--help"]).stdout
    codes = dict(re.findall(r"^\s+([0-4])\s+(\S.*)$", help_text, re.M))
    assert list(codes) == ["0", "1", "2", "3", "4"]
    table = (ROOT / "README.md").read_text().split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| ([0-4]) \| (.*) \|$", table, re.M))
    assert list(rows) == ["0", "1", "2", "3", "4"]
    for code, words in {"0": "ok", "1": "drift", "2": "usage", "3": "--strict", "4": "internal error"}.items():
        assert words in codes[code] and words in rows[code], code
    assert (cli.EXIT_OK, cli.EXIT_DRIFT, cli.EXIT_USAGE, cli.EXIT_INCOMPLETE, cli.EXIT_INTERNAL) == (0, 1, 2, 3, 4)


# ---------------------------------------------------------------------------------------------------------------
# --dc: any case, or the domain's top-level part.

DCS = [("eu", "eu"), ("EU", "eu"), ("com.au", "au"), (".com.au", "au"), ("AU", "au"), ("com", "us"), ("US", "us"),
       ("com.cn", "cn"), ("zohoapis.in", "in"), ("ca", "ca")]


@pytest.mark.parametrize(("given", "key"), DCS)
def test_dc_takes_any_case_and_a_tld(given, key, monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def target(dc, *args):
        seen["dc"] = dc
        raise Stop  # nothing goes over the network

    monkeypatch.setattr("scopeplan.catalogue.target.Target", target)
    result = CliRunner().invoke(main, ["catalogue", "fetch", "--dc", given])
    assert isinstance(result.exception, SystemExit) and seen == {"dc": key}, result.output


def test_an_unknown_dc_is_a_usage_error_that_lists_them():
    result = CliRunner().invoke(main, ["catalogue", "fetch", "--dc", "mars"])
    assert result.exit_code == 2 and "au (com.au)" in result.stderr


# ---------------------------------------------------------------------------------------------------------------
# Published schemas: every golden JSON report and every baseline validates.

def _schema(name: str) -> dict:
    return json.loads(resources.files("scopeplan.data").joinpath(f"schema/{name}").read_text("utf-8"))


def test_the_schemas_are_valid_json_schema():
    for name in ("plan-1.json", "baseline-1.json"):
        jsonschema.Draft202012Validator.check_schema(_schema(name))


@pytest.mark.parametrize("golden", sorted([*GOLDEN.glob("*.json"), *GOLDEN.glob("reports/*.json")]),
                         ids=lambda p: p.relative_to(GOLDEN).as_posix())
def test_every_golden_json_report_validates(golden):
    jsonschema.validate(json.loads(golden.read_text()), _schema("plan-1.json"))


SAMPLES = sorted(p for p in (ROOT / "sample_projects").iterdir() if p.is_dir())


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_baseline_validates(sample):
    from scopeplan import catalogue

    jsonschema.validate(baseline.build(plan(sample, catalogue.load())), _schema("baseline-1.json"))


def test_a_check_report_with_every_finding_validates(app):
    run("baseline")
    _write(app, {"app/fetch.py": "import requests\n\n\ndef fetch_from_zoho(url):\n    return requests.get(url)\n"})
    doc = json.loads(run("check", "--format", "json").stdout)
    jsonschema.validate(doc, _schema("plan-1.json"))
    assert doc["drift"]["new_unresolved"][0]["fix"].startswith("make the URL a literal")


def test_explain_of_a_subfolder_still_considers_every_call_of_the_project(app):
    _write(app, {"other/__init__.py": "", "other/org.py": f'import requests\n\n\ndef org():\n'
                                                        f'    return requests.get("{H}/crm/v8/org")\n'})
    result = CliRunner().invoke(main, ["explain", "ZohoCRM.org.READ", "app"])
    assert "breaks nothing" not in result.stdout and "other/org.py:5" in result.stdout


def test_over_budget_fails_the_gate_without_a_tolerance(app):
    from dataclasses import replace

    from scopeplan.drift import diff
    from scopeplan.model import Budget

    result = plan(app, __import__("scopeplan.catalogue", fromlist=["load"]).load("zoho/apis.json"))
    doc = baseline.build(result)
    approved = baseline.Baseline(app / ".scopeplan.json", doc)
    within = replace(result, budget=Budget("free", 3, 1000, 900, 0.9, "test"))
    over = replace(result, budget=Budget("free", 3, 1000, 1500, 1.5, "test"))
    assert (diff(approved, within).failed, diff(approved, over).failed) == (False, True)


def test_known_open_calls_are_named_in_the_verdict(app):
    _write(app, {"app/odd.py": f'import requests\n\n\ndef odd():\n    return requests.get("{H}/crm/v8/nothing/here")\n'})
    assert run("baseline").exit_code == 0
    result = run("check")
    assert (result.exit_code, result.stdout) == (0, "scopeplan check: ok: 1 scope, all granted by .scopeplan.json; "
                                                    "1 known unresolved or unmatched call (accepted in the baseline)\n")


def test_root_given_explicitly_or_by_environment(app, monkeypatch):
    _write(app, {"vendor/thing/.git/HEAD": "", **{f"vendor/thing/{k}": v for k, v in WRAPPED.items()}})
    # found by walking up: vendor/thing has its own .git
    found = CliRunner().invoke(main, ["scan", "vendor/thing/crmsync/jobs", "--format", "json"])
    assert json.loads(found.stdout)["call_sites"][0]["file"] == "crmsync/jobs/leads.py"
    for how in (["--root", "vendor"], []):
        env = {} if how else {"SCOPEPLAN_ROOT": "vendor"}
        result = CliRunner(env=env).invoke(main, ["scan", "vendor/thing/crmsync/jobs", "--format", "json", *how])
        assert "project root vendor (given by --root)" in result.stderr
        assert json.loads(result.stdout)["call_sites"][0]["file"] == "thing/crmsync/jobs/leads.py"
    outside = CliRunner().invoke(main, ["scan", "app", "--root", "vendor"])
    assert outside.exit_code == 2 and "is not inside vendor" in outside.stderr
