"""Generated and pathological input: no crash, no traceback, the same answer every time, one file costs one row.

The pathological files are built here (not committed as megabytes). Each one mentions a Zoho URL, so the
prefilter sends it to the parser like a real integration file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scopeplan import catalogue
from scopeplan.config import Config
from scopeplan.plan import plan
from scopeplan.report import json_report
from scopeplan.scanner import parallel, scan

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_projects" / "modern_httpx_v8"
U = '"https://www.zohoapis.com/crm/v2/Leads"'
HEAD = f"import requests\nURL = {U}\n"


def _gen(n: int = 5000) -> dict[str, tuple[str, str]]:
    """name -> (source, what must come of it: "error" (an honest error row) or "calls" (its calls kept))."""
    return {
        "brackets_1500": (HEAD + "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n", "error"),
        "calls_1500": (HEAD + "x = " + "f(" * 1500 + ")" * 1500 + "\n", "error"),
        "lambdas_1500": (HEAD + "x = " + "lambda: " * 1500 + "0\n", "error"),
        "chain_5000": (HEAD + "x = requests" + "".join(f".m{i}()" for i in range(n)) + "\n", "error"),
        "subscripts_5000": (HEAD + "x = URL" + "[0]" * n + "\n", "error"),
        "url_plus_1.9MB": (HEAD + "requests.get(URL" + ' + "/a"' * (1_900_000 // 7) + ")\n", "error"),
        "ternaries_5000": (HEAD + "x = " + "URL if b else " * n + "c\n", "error"),
        "nots_5000": (HEAD + "x = " + "not " * n + "URL\n", "error"),
        "attributes_5000": (HEAD + "x = URL" + ".b" * n + "\n", "error"),
        "binary_5000": (HEAD + "x = URL" + " - a" * n + "\n", "error"),
        "call_sites_50000": (HEAD + "requests.get(URL)\n" * 50_000, "error"),
        "fstring_100000_holes": (HEAD + 'requests.get(f"{URL}/' + "{a}" * 100_000 + '")\n', "error"),
        "concat_lines_1.9MB": (HEAD + "U = (" + U + "\n" + '    "/abcdefghij"\n' * (1_900_000 // 18) + ")\n", "error"),
        "indent_150": (HEAD + "".join(" " * i + "if x:\n" for i in range(150)) + " " * 150 + "pass\n", "error"),
        "range_10**100": (HEAD + "for i in range(1" + "0" * 100 + "):\n    requests.get(URL)\n", "calls"),
        "loop_hint_5000_digits": (HEAD + "for i in x:  # scopeplan: loop<=" + "9" * 5000 + "\n    requests.get(URL)\n",
                                  "calls"),
    }


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))


@pytest.fixture(scope="module")
def bundled():
    return catalogue.load()


def _sites(report: str) -> list:
    return json.loads(report)["sites"] if "sites" in json.loads(report) else json.loads(report)


def test_the_pathological_table(tmp_path, bundled):
    """Every hostile file ends in an error row (or keeps its calls), and the sample beside them is
    reported exactly as without them."""
    table = _gen()
    alone = tmp_path / "alone"
    shutil.copytree(SAMPLE, alone)
    hostile = tmp_path / "hostile"
    shutil.copytree(SAMPLE, hostile)
    for name, (source, _) in table.items():
        (hostile / "attack").mkdir(exist_ok=True)
        (hostile / "attack" / f"{name.replace('.', '_').replace('*', '_')}.py").write_text(source)
    config = Config(cache=False)
    facts = {f.path: f for f in scan(hostile, use_cache=False, workers=2)}
    for name, (_, outcome) in table.items():
        got = facts[f"attack/{name.replace('.', '_').replace('*', '_')}.py"]
        if outcome == "error":
            assert got.error and "too complex to analyse" in got.error, (name, got.error)
        else:
            assert got.error is None and got.invokes, (name, got.error)
    expected = json.loads(json_report.render(plan(alone, bundled, config=config)))
    result = json.loads(json_report.render(plan(hostile, bundled, config=config)))
    sample_sites = [s for s in result["call_sites"] if not s["file"].startswith("attack/")]
    assert sample_sites == expected["call_sites"]
    assert {s["file"] for s in result["call_sites"] if s["file"].startswith("attack/")} == {
        "attack/range_10__100.py", "attack/loop_hint_5000_digits.py"}


def test_a_native_crash_in_the_worker_is_one_row(tmp_path, monkeypatch):
    """Past the budget (as if it missed a case), libcst's own crash on 1,500 brackets costs one file."""
    from scopeplan.scanner import budget

    monkeypatch.setattr(budget, "too_complex", lambda text: None)  # scan_source looks it up at each call
    (tmp_path / "good.py").write_text(HEAD + "requests.get(URL)\n")
    (tmp_path / "deep.py").write_text(HEAD + "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    facts = {f.path: f for f in scan(tmp_path, use_cache=False, workers=1)}
    assert facts["good.py"].error is None and facts["good.py"].invokes
    assert facts["deep.py"].error.startswith("too complex to analyse: the parser")


# -- generated modules --------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

CALLS = [
    f"requests.get({U})",
    'requests.post("https://www.zohoapis.com/crm/v8/Deals", json={"data": []})',
    'httpx.Client(base_url="https://www.zohoapis.eu/crm/v8").get("/Leads/" + rid)',
    'requests.request(m, f"https://www.zohoapis.com/crm/v8/{module}/search")',
]


def _splice(module: str, calls: list[str], where: int) -> str:
    lines = module.splitlines()
    cut = min(where, len(lines))
    while cut and lines[cut - 1].startswith((" ", "\t")) or (cut and lines[cut - 1].rstrip().endswith(("\\", ":"))):
        cut -= 1  # only between top-level statements
    added = ["import requests, httpx", *calls]
    return "\n".join(added + lines[:cut] + added[1:] + lines[cut:]) + "\n"


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(module=hypothesmith.from_grammar(), calls=st.lists(st.sampled_from(CALLS), min_size=1, max_size=3),
       where=st.integers(0, 40))
def test_generated_modules_with_zoho_calls(module, calls, where, tmp_path_factory):
    source = _splice(module, calls, where)
    jobs = [(source.encode(), Path("gen.py"))]
    first = parallel.parse_all(jobs, workers=1)
    assert first == parallel.parse_all(jobs, workers=1), "not deterministic"
    error = first[0].error or ""
    assert "failed on this file" not in error, error  # a bug in scopeplan, not in the input
    assert "Traceback" not in error
