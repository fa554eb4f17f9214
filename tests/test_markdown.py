"""Markdown for a PR comment or job summary: the verdict first, then the sections a reviewer reads."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gate_cases import CRM, drifted

from scopeplan import baseline
from scopeplan.drift import diff
from scopeplan.model import FileError
from scopeplan.report import markdown

APP = {"app/__init__.py": "", "app/crm.py": CRM}
ORG_REMOVED = {"app/crm.py": CRM.split("\n\ndef org")[0] + "\n"}

# (code after the baseline, diff options) -> (first lines of the comment)
VERDICTS = [
    pytest.param({}, {}, ["## ✅ scopeplan: no scope drift", "", "ok: 2 scopes, all granted by .scopeplan.json"],
                 id="clean"),
    pytest.param(ORG_REMOVED, {}, ["## ✅ scopeplan: no scope drift", "",
                                   "ok: 1 scope, all granted by .scopeplan.json; 1 granted scope no longer needed; "
                                   "worst-case credits changed"],
                 id="unused scope"),
    pytest.param(ORG_REMOVED, {"fail_on_unused": True},
                 ["## ❌ scopeplan: scope drift", "", "FAILED: 1 granted scope no longer needed"],
                 id="unused scope, --fail-on-unused"),
]


@pytest.mark.parametrize(("changes", "options", "head"), VERDICTS)
def test_the_verdict_comes_first(project, tmp_path, changes, options, head):
    doc = baseline.build(project(APP))
    result = project(changes)
    text = markdown.render(result, diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), result, **options))
    assert text.splitlines()[:3] == head


def test_sections_in_the_order_a_reviewer_reads_them(project, tmp_path):
    text = markdown.render(*drifted(project, tmp_path))
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "## ❌ scopeplan: scope drift",
        "### New scopes, not granted by `.scopeplan.json`",
        "### Scopes to keep for now",
        "### Worst-case credits (reported only: set credit-tolerance or a budget to gate them)",
        "### New unresolved calls, not known to `.scopeplan.json`",
        "### New unmatched calls, not known to `.scopeplan.json`",
        "### Catalogue changes since the baseline (`sha256:000000000000` → `sha256:"
        + text.split("→ `sha256:")[1].split("`")[0] + "`)",
        "### Files that could not be scanned (1)",
    ]
    row = "| `ZohoCRM.modules.deals.CREATE` | `POST /crm/v8/Deals` | `app/deals.py:5` in `app.deals:add_deal` |"
    assert row in text
    assert "| per run, each call site once | 2 | 11 |  |" in text  # no tolerance configured: reported only
    assert text.endswith("</sub>\n")


def test_a_plain_scan_leads_with_the_scope_count(project):
    text = markdown.render(project({**APP, "app/fetch.py": "import requests\n\ndef zoho_get(u):\n    requests.get(u)\n"}))
    assert text.splitlines()[:3] == [
        "## scopeplan: 2 least-privilege scopes for 2 Zoho CRM call sites", "",
        "**1 call could not be resolved**: the scope set may be incomplete."]
    assert "ZohoCRM.modules.leads.READ,ZohoCRM.org.READ" in text


def test_no_calls(project):
    assert "No Zoho CRM calls found." in markdown.render(project({"app/__init__.py": "", "app/x.py": "x = 1\n"}))


def test_table_cells_escape_pipes_and_newlines(project):
    result = replace(project(APP), errors=(FileError("app/a|b.py", "bad\nthing | here"),))
    assert "| `app/a\\|b.py` | bad thing \\| here |" in markdown.render(result)
