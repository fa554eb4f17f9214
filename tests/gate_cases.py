"""Scenarios shared by the report tests: code that drifted from its baseline in every way `check` reports."""

from __future__ import annotations

from pathlib import Path

from scopeplan import baseline
from scopeplan.drift import Drift, diff
from scopeplan.model import Plan

CRM = '''\
import requests

BASE = "https://www.zohoapis.com/crm/v8"


def leads():
    return requests.get(BASE + "/Leads")


def org():
    return requests.get(BASE + "/org")
'''
# Each file adds one kind of finding to the small integration above.
DRIFTED = {
    "app/crm.py": CRM.split("\n\ndef org")[0] + "\n",  # org() removed: ZohoCRM.org.READ is unused
    "app/deals.py": 'import requests\n\n\ndef add_deal(d):\n'
                    '    return requests.post("https://www.zohoapis.com/crm/v8/Deals", json=d)\n',  # a new scope
    "app/fetch.py": "import requests\n\n\ndef fetch_from_zoho(url):\n    return requests.get(url)\n",  # unresolved
    "app/odd.py": 'import requests\n\n\ndef odd():\n'
                  '    return requests.get("https://www.zohoapis.com/crm/v8/nothing/here")\n',  # unmatched
    "app/old.py": 'import requests\n\n\ndef old():\n'
                  '    return requests.get("https://crm.zoho.com/crm/private/json/Leads/getRecords")\n',  # v1
    "app/broken.py": 'import requests\n\nrequests.get("https://www.zohoapis.com/crm/v8/Leads"\n',  # no parse
}


def drifted(project, tmp_path: Path, strict: bool = True, **options) -> tuple[Plan, Drift]:
    """The small integration, its baseline (pinned to an older catalogue), then every kind of drift."""
    doc = baseline.build(project({"app/__init__.py": "", "app/crm.py": CRM}))
    doc["catalogue"]["digest"] = "sha256:" + "0" * 64
    doc["endpoints"]["GET /crm/v8/Leads"]["max_credits"] = 5  # the catalogue has since lowered it to 1
    result = project(DRIFTED)
    return result, diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), result, strict=strict, **options)


def sample_drift(result: Plan) -> Drift:
    """A sample project judged against an edited baseline of itself: a scope added, one unused, credits up."""
    doc = baseline.build(result)
    first, *_ = doc["scopes"]
    del doc["scopes"][first]
    doc["scopes"]["ZohoCRM.modules.notes.CREATE"] = ["POST /crm/v8/Notes"]
    doc["credits"]["per_run_worst_case"] = max(0, doc["credits"]["per_run_worst_case"] - 5)
    doc["catalogue"]["digest"] = "sha256:" + "0" * 64
    doc["endpoints"]["GET /crm/v8/Gone"] = {"oauth_scope": "ZohoCRM.modules.leads.READ", "max_credits": 1}
    return diff(baseline.Baseline(Path(result.root) / ".scopeplan.json", doc), result, tolerance=10)
