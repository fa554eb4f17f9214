"""Golden files: every sample project's text and JSON report, and its expected scope set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scopeplan import catalogue, config
from scopeplan.plan import plan
from scopeplan.report import FORMATS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_projects").iterdir() if (p / "expected_scopes.txt").exists())
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SCOPEPLAN_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def bundled():
    return catalogue.load()


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_expected_scopes(sample, bundled):
    """The scopes a person wrote down in expected_scopes.txt, before any golden file existed."""
    expected = (sample / "expected_scopes.txt").read_text().split()
    assert list(plan(sample, bundled).scope_names) == expected


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_golden_report(sample, fmt, bundled):
    rendered = FORMATS[fmt](plan(sample, bundled, config=config.load(sample)))
    golden = GOLDEN / f"{sample.name}.{'txt' if fmt == 'text' else 'json'}"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text(), f"{golden} differs; rerun with SCOPEPLAN_UPDATE_GOLDEN=1 and review"


def test_report_is_independent_of_the_working_directory(bundled, monkeypatch, tmp_path):
    sample = SAMPLES[0]
    first = FORMATS["json"](plan(sample, bundled))
    monkeypatch.chdir(tmp_path)
    assert FORMATS["json"](plan(sample, bundled)) == first


def test_json_is_the_same_under_any_hash_seed(tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; the report must not."""
    import subprocess
    import sys

    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-m", "scopeplan", "scan", str(ROOT / "sample_projects"), "--format",
                              "json", "--no-cache"], capture_output=True, text=True, env=env, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
