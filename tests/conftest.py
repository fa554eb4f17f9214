"""Shared fixtures: a small synthetic catalogue and a helper that scans sources written to a temp dir."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from scopeplan.catalogue import parse
from scopeplan.plan import plan

ROOT = Path(__file__).resolve().parent.parent
DOC_CATALOGUE = ROOT / "tools" / "doc_apis_v7.json"


def _op(method, scope, low=1, high=1):
    return {"method": method, "oauth_scope": scope, "min_credits": low, "max_credits": high}


# A few templates in Zoho's own shape: system modules literal, custom modules through {{module}}.
SMALL = {"__apis": [
    {"path": "/crm/v8/Leads", "operation_types": [_op("GET", "ZohoCRM.modules.leads.READ"),
                                                 _op("POST", "ZohoCRM.modules.leads.CREATE", 1, 10)]},
    {"path": "/crm/v8/Leads/{{id}}", "operation_types": [_op("GET", "ZohoCRM.modules.leads.READ"),
                                                        _op("PUT", "ZohoCRM.modules.leads.UPDATE"),
                                                        _op("DELETE", "ZohoCRM.modules.leads.DELETE")]},
    {"path": "/crm/v8/Leads/search", "operation_types": [_op("GET", "ZohoCRM.modules.leads.READ")]},
    {"path": "/crm/v8/Deals", "operation_types": [_op("GET", "ZohoCRM.modules.deals.READ"),
                                                 _op("POST", "ZohoCRM.modules.deals.CREATE", 1, 10)]},
    {"path": "/crm/v8/Deals/{{id}}", "operation_types": [_op("GET", "ZohoCRM.modules.deals.READ")]},
    {"path": "/crm/v8/{{module}}", "operation_types": [_op("GET", "ZohoCRM.modules.custom.READ")]},
    {"path": "/crm/v8/{{module}}/{{id}}", "operation_types": [_op("GET", "ZohoCRM.modules.custom.READ")]},
    {"path": "/crm/v8/users", "operation_types": [_op("GET", "ZohoCRM.users.READ")]},
    {"path": "/crm/v8/org", "operation_types": [_op("GET", "ZohoCRM.org.READ")]},
    {"path": "/crm/v8/settings/fields", "operation_types": [_op("GET", "ZohoCRM.settings.fields.READ")]},
    {"path": "/crm/v8/coql", "operation_types": [_op("POST", "ZohoCRM.coql.READ", 1, 3)]},
    {"path": "/crm/bulk/v8/read", "operation_types": [_op("POST", "ZohoCRM.bulk.READ", 50, 50)]},
]}


@pytest.fixture(scope="session")
def small_catalogue():
    return parse(json.dumps(SMALL).encode(), source="file", origin="small.json")


@pytest.fixture
def project(tmp_path, small_catalogue):
    """Write {relative path: source} under tmp_path and return the plan of that tree."""

    def run(files: dict[str, str], catalogue=None):
        for name, source in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(source))
        return plan(tmp_path, catalogue or small_catalogue)

    return run


def rows(result):
    """(method, path, status, scopes) of each call site, in report order."""
    return [(r.site.method if isinstance(r.site.method, str) else None, r.path, r.status, r.scopes)
            for r in result.resolutions]
