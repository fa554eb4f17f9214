"""Golden files for every report format, over the sample projects: plain scans and `check` against a baseline.

Regenerate with `SCOPEPLAN_UPDATE_GOLDEN=1 python -m pytest tests/test_reports.py`, then review the diff:
a changed golden file is a changed behaviour. (Plain-scan text and JSON are in tests/golden/, test_golden.py.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gate_cases import drifted, sample_drift

from scopeplan import catalogue
from scopeplan.plan import plan
from scopeplan.report import FORMATS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_projects").iterdir() if p.is_dir())
GOLDEN = Path(__file__).parent / "golden" / "reports"
UPDATE = os.environ.get("SCOPEPLAN_UPDATE_GOLDEN") == "1"
SUFFIX = {"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "html": "html"}


def golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.encode())
    assert path.exists(), f"{path} is missing; run with SCOPEPLAN_UPDATE_GOLDEN=1 and review it"
    assert rendered == path.read_bytes().decode(), f"{path} differs; rerun with SCOPEPLAN_UPDATE_GOLDEN=1 and review"


@pytest.fixture(scope="module")
def plans():
    bundled = catalogue.load()
    return {sample.name: plan(sample, bundled) for sample in SAMPLES}


def test_every_format_is_covered():
    assert sorted(FORMATS) == sorted(SUFFIX)


@pytest.mark.parametrize("fmt", ["sarif", "markdown", "html"])
@pytest.mark.parametrize("sample", [p.name for p in SAMPLES])
def test_scan_report(plans, sample, fmt):
    golden(f"{sample}.{SUFFIX[fmt]}", FORMATS[fmt](plans[sample]))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
@pytest.mark.parametrize("sample", [p.name for p in SAMPLES])
def test_check_report(plans, sample, fmt):
    result = plans[sample]
    golden(f"{sample}.check.{SUFFIX[fmt]}", FORMATS[fmt](result, sample_drift(result)))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_check_report_with_every_kind_of_finding(project, tmp_path, fmt):
    golden(f"drifted.check.{SUFFIX[fmt]}", FORMATS[fmt](*drifted(project, tmp_path)))
