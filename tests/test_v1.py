"""v1 calls stay deprecated and say what to call on the current API, with the scopes that will need."""

from __future__ import annotations

import pytest

from scopeplan.models import zoho_v1
from scopeplan.report import FORMATS

V1 = "https://crm.zoho.com/crm/private"

# (id, v1 URL, expected v1 method, replacement "METHOD path", scopes after migrating)
CASES = [
    ("getRecords", f"{V1}/xml/Leads/getRecords", "getRecords", "GET /crm/v8/Leads", ("ZohoCRM.modules.leads.READ",)),
    ("getRecordById", f"{V1}/json/Contacts/getRecordById", "getRecordById", "GET /crm/v8/Contacts/{id}",
     ("ZohoCRM.modules.contacts.READ",)),
    ("insert-potentials-are-deals", f"{V1}/xml/Potentials/insertRecords", "insertRecords", "POST /crm/v8/Deals",
     ("ZohoCRM.modules.deals.CREATE",)),
    ("updateRecords", f"{V1}/xml/Accounts/updateRecords", "updateRecords", "PUT /crm/v8/Accounts/{id}",
     ("ZohoCRM.modules.accounts.UPDATE",)),
    ("deleteRecords", f"{V1}/xml/Leads/deleteRecords", "deleteRecords", "DELETE /crm/v8/Leads/{id}",
     ("ZohoCRM.modules.leads.DELETE",)),
    ("search-needs-securesearch", f"{V1}/json/Leads/searchRecords", "searchRecords", "GET /crm/v8/Leads/search",
     ("ZohoCRM.modules.leads.READ", "ZohoSearch.securesearch.READ")),
    ("getUsers", f"{V1}/xml/Users/getUsers", "getUsers", "GET /crm/v8/users", ("ZohoCRM.users.READ",)),
    ("convertLead", f"{V1}/xml/Leads/convertLead", "convertLead", "POST /crm/v8/Leads/{id}/actions/convert", None),
    ("uploadFile-is-attachments", f"{V1}/xml/Leads/uploadFile", "uploadFile", "POST /crm/v8/Leads/{id}/Attachments",
     None),
    ("related-records-parent-from-the-query", f"{V1}/xml/Contacts/getRelatedRecords?parentModule=Potentials&id=1",
     "getRelatedRecords", "GET /crm/v8/Deals/{id}/{related_list}", None),
    ("unknown-method", f"{V1}/xml/Leads/getCVRecords", "getCVRecords", None, ()),
]


@pytest.mark.parametrize("url,method,replacement,scopes", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_v1_call_gets_its_replacement(project, bundled, url, method, replacement, scopes):
    joiner = "&" if "?" in url else "?"
    result = project({"old.py": f'import requests\nrequests.post("{url}{joiner}authtoken=t&scope=crmapi")\n'},
                     catalogue=bundled)
    assert [r.status for r in result.resolutions] == ["deprecated"]
    (move,) = zoho_v1.migrations(result)
    assert move.v1_method == method
    assert (f"{move.http_method} {move.path}" if move.path else None) == replacement
    if scopes is not None:
        assert move.scopes == scopes
    elif replacement and "{related_list}" not in replacement:
        assert move.scopes, "a replacement the catalogue knows has a scope"


@pytest.fixture(scope="module")
def bundled():
    from scopeplan import catalogue

    return catalogue.load()


def test_every_row_names_its_source_page():
    for row in zoho_v1.table()["methods"]:
        assert row["url"].startswith("https://") and row["source_kind"] in ("doc", "infer"), row
        assert row["http_method"] in ("GET", "POST", "PUT", "DELETE"), row


def test_reports_have_a_legacy_v1_section(project, bundled):
    result = project({"old.py": f'import requests\nrequests.get("{V1}/xml/Leads/getRecords")\n'}, catalogue=bundled)
    text = FORMATS["text"](result)
    assert "Legacy v1 calls: 1" in text and "old.py:2: getRecords (Leads) -> GET /crm/v8/Leads" in text
    markdown = FORMATS["markdown"](result)
    assert "### Legacy v1 calls (1)" in markdown and "`GET /crm/v8/Leads`" in markdown


def test_a_module_only_known_at_run_time_keeps_a_hole(project, bundled):
    result = project({"old.py": f'import requests\ndef f(m):\n    requests.get("{V1}/xml/" + m + "/getRecords")\n'},
                     catalogue=bundled)
    moves = zoho_v1.migrations(result)
    assert [(m.module, m.path) for m in moves] == [(None, "/crm/v8/{module}")]


def test_a_str_replace_url_template(project, bundled):
    source = ('import requests\nTEMPLATE = "https://crm.zoho.com/crm/private/xml/MODULE/getRecords"\n'
              'requests.get(TEMPLATE.replace("MODULE", "Leads"))\n')
    result = project({"old.py": source}, catalogue=bundled)
    assert [(r.status, r.path) for r in result.resolutions] == [("deprecated", "/crm/private/xml/Leads/getRecords")]
