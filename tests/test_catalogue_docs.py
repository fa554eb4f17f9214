"""Scopes pinned to Zoho's pages: one literal call per family, through plan() on the bundled catalogue.

Each row is (method, url, documented scopes, doc page). The scopes are what the page says the call needs,
conjunctions ("(and)") included; the plan must give exactly them, no more and no fewer.
"""

from __future__ import annotations

import json

import pytest

from scopeplan import catalogue
from scopeplan.plan import plan

H = "https://www.zohoapis.com"
D = "https://www.zoho.com/crm/developer/docs/api"
FAMILIES = [
    ("GET", f"{H}/crm/v8/Leads/123/Attachments",
     ("ZohoCRM.modules.attachments.READ", "ZohoCRM.modules.leads.READ"), f"{D}/v8/get-attachments.html"),
    ("POST", f"{H}/crm/v8/Deals/123/Attachments",
     ("ZohoCRM.modules.attachments.CREATE", "ZohoCRM.modules.deals.CREATE"), f"{D}/v8/upload-attachment.html"),
    ("DELETE", f"{H}/crm/v8/Contacts/1/Attachments/2",
     ("ZohoCRM.modules.attachments.DELETE", "ZohoCRM.modules.contacts.DELETE"), f"{D}/v8/delete-attachments.html"),
    ("POST", f"{H}/crm/v8/Leads/1/Notes",
     ("ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.notes.CREATE"), f"{D}/v2.1/create-notes.html"),
    ("GET", f"{H}/crm/v8/Leads/1/Emails",
     ("ZohoCRM.modules.emails.READ", "ZohoCRM.modules.leads.READ"), f"{D}/v5/view-email.html"),
    ("GET", f"{H}/crm/v8/Deals/1/Contact_Roles",
     ("ZohoCRM.modules.contacts.READ", "ZohoCRM.modules.deals.READ"), f"{D}/v8/get-contact-roles-of-a-specific-deal.html"),
    ("PUT", f"{H}/crm/v8/settings/territories/1/users",
     ("ZohoCRM.settings.territories.ALL", "ZohoCRM.users.ALL"), f"{D}/v8/associate-users-territory.html"),
    ("POST", f"{H}/crm/v8/Leads/1/actions/download_mail_merge",
     ("ZohoCRM.settings.mailmerge.CREATE", "ZohoWriter.documentEditor.ALL", "ZohoWriter.merge.ALL"),
     f"{D}/v8/download-mail-merge.html"),
    ("POST", "https://content.zohoapis.com/crm/v8/upload", ("ZohoFiles.files.ALL",), f"{D}/v2/bulk-write/upload-file.html"),
    ("POST", "https://upload.zoho.com/crm/v2/upload", ("ZohoFiles.files.ALL",), f"{D}/v2/bulk-write/upload-file.html"),
    ("POST", f"{H}/crm/v8/files", ("ZohoCRM.files.CREATE",), f"{D}/v2.1/upload-files-to-zfs.html"),
    ("POST", f"{H}/crm/v8/Quotes/1/actions/convert", ("ZohoCRM.mass_convert.quotes.CREATE",), f"{D}/v6/inventory-convert.html"),
    ("POST", f"{H}/crm/v8/Leads/1/actions/unblock_email", ("ZohoCRM.send_mail.leads.CREATE",), f"{D}/v8/unblock-emails.html"),
    ("POST", f"{H}/crm/v8/Leads/actions/unenrol_from_cadences", ("ZohoCRM.modules.leads.CREATE",),
     f"{D}/v8/cadences/unenroll.html"),
    ("GET", f"{H}/crm/bulk/v8/backup/history", ("ZohoCRM.bulk.backup.READ",), f"{D}/v8/backup-history.html"),
    ("GET", f"{H}/crm/v8/__zia_people_enrichment", ("ZohoCRM.settings.intelligence.READ",),
     f"{D}/v7/zia-enrichment/get-ppl-config.html"),
    ("GET", f"{H}/crm/v8/Leads/search?email=a@b.c", ("ZohoCRM.modules.leads.READ", "ZohoSearch.securesearch.READ"),
     f"{D}/v8/search-records.html"),
    ("POST", f"{H}/crm/v8/Cases/1/actions/send_mail", ("ZohoCRM.send_mail.cases.CREATE",), f"{D}/v2.1/send-mail.html"),
    ("POST", f"{H}/crm/v8/Leads/1/actions/convert", ("ZohoCRM.modules.leads.CREATE",), f"{D}/v8/convert-lead.html"),
    ("GET", f"{H}/crm/v8/Vendors/1/photo", ("ZohoCRM.modules.vendors.READ",), f"{D}/v2/upload-image.html"),
    # the __apis sample says UPDATE, the add-tags page CREATE: the __apis value wins (provenance `conflicts`)
    ("POST", f"{H}/crm/v8/Leads/actions/add_tags", ("ZohoCRM.modules.leads.UPDATE",), f"{D}/v7/list-available-rest-apis.html"),
    ("POST", f"{H}/crm/v8/Deals/upsert", ("ZohoCRM.modules.deals.CREATE",), f"{D}/v7/list-available-rest-apis.html"),
    ("POST", f"{H}/crm/v8/Leads/1/actions/share", ("ZohoCRM.share.leads.CREATE",), f"{D}/v8/share-record.html"),
    ("POST", f"{H}/crm/v8/Leads/actions/mass_update", ("ZohoCRM.mass_update.leads.UPDATE",), f"{D}/v8/mass-update-records.html"),
    ("POST", f"{H}/crm/v8/Leads/actions/mass_delete", ("ZohoCRM.mass_delete.leads.DELETE",), f"{D}/v8/mass-delete.html"),
    ("POST", f"{H}/crm/v8/Leads/1/actions/change_owner", ("ZohoCRM.change_owner.CREATE",), f"{D}/v8/change-owner.html"),
    ("GET", f"{H}/crm/v8/__apis", ("ZohoCRM.apis.READ",), f"{D}/v7/list-available-rest-apis.html"),
    ("POST", f"{H}/crm/v8/settings/territories", ("ZohoCRM.settings.territories.CREATE",), f"{D}/v8/add-territories.html"),
    ("GET", f"{H}/crm/v8/settings/roles", ("ZohoCRM.settings.roles.READ",), f"{D}/v2/get-roles.html"),
    ("GET", f"{H}/crm/v8/Accounts/deleted", ("ZohoCRM.modules.accounts.READ",), f"{D}/v7/list-available-rest-apis.html"),
]
# Body-dependent families the scanner reads today: COQL FROM, bulk read's module, composite sub-requests.
BODIES = [
    ("coql", f'requests.post("{H}/crm/v8/coql", json={{"select_query": "select Last_Name from Contacts limit 10"}})',
     ("ZohoCRM.coql.READ", "ZohoCRM.modules.contacts.READ"), "https://prewww.zoho.com/crm/developer/docs/api/v8/select-api-scopes.html"),
    ("bulk_read", f'requests.post("{H}/crm/bulk/v8/read", json={{"query": {{"module": {{"api_name": "Deals"}}}}}})',
     ("ZohoCRM.bulk.READ", "ZohoCRM.modules.deals.READ"), "https://prewww.zoho.com/crm/developer/docs/api/v8/select-api-scopes.html"),
    ("composite", f'requests.post("{H}/crm/v8/__composite_requests", json={{"__composite_requests": '
                  '[{"method": "GET", "uri": "/crm/v8/Leads/1/Attachments"}]})',
     ("ZohoCRM.composite_requests.CUSTOM", "ZohoCRM.modules.attachments.READ", "ZohoCRM.modules.leads.READ"),
     "https://www.zoho.com/crm/developer/docs/api/v3/composite-overview.html"),
]


@pytest.fixture(scope="module")
def bundled():
    return catalogue.load("bundled")


def _plan(tmp_path, source, cat):
    (tmp_path / "zoho_calls.py").write_text("import requests\n\n" + source + "\n")
    return plan(tmp_path, cat)


@pytest.mark.parametrize("method,url,documented,page", FAMILIES, ids=[f"{m} {u.split('/crm/')[1]}" for m, u, _, _ in FAMILIES])
def test_family_gets_the_documented_scopes(tmp_path, bundled, method, url, documented, page):
    result = _plan(tmp_path, f'requests.request("{method}", "{url}")', bundled)
    [r] = result.resolutions
    assert (r.status, r.scopes) == ("matched", documented), (page, r.reason)
    assert result.scope_names == documented


@pytest.mark.parametrize("name,source,documented,page", BODIES, ids=[b[0] for b in BODIES])
def test_body_family_gets_the_documented_scopes(tmp_path, bundled, name, source, documented, page):
    result = _plan(tmp_path, source, bundled)
    assert result.scope_names == documented, page
    assert all(r.status == "matched" for r in result.resolutions)


def test_conjunctions_name_their_page(tmp_path, bundled):
    [r] = _plan(tmp_path, f'requests.get("{H}/crm/v8/Deals/7/Attachments")', bundled).resolutions
    assert r.conjunctions == (("ZohoCRM.modules.attachments.READ", f"{D}/v8/get-attachments.html"),)
    [r] = _plan(tmp_path, f'requests.delete("{H}/crm/v8/Deals/7/Attachments/8")', bundled).resolutions
    assert r.conjunctions == (("ZohoCRM.modules.attachments.DELETE", f"{D}/v8/delete-attachments.html"),)
    [r] = _plan(tmp_path, f'requests.get("{H}/crm/v8/Deals/7")', bundled).resolutions
    assert r.conjunctions == ()


@pytest.mark.parametrize("source,settles", [
    (f'requests.post("{H}/crm/v8/Notes", json={{"data": []}})', "Parent_Id"),
    (f'requests.post("{H}/crm/bulk/v8/write", json={{"operation": "insert"}})', "resource[].module"),
])
def test_a_body_conjunction_without_the_body_is_unresolved_with_the_hint(tmp_path, bundled, source, settles):
    [r] = _plan(tmp_path, source, bundled).resolutions
    assert r.status == "unresolved" and settles in r.reason and "{module}" in r.reason


@pytest.mark.parametrize("url,method,reason", [
    (f"{H}/crm/v8/Deals/1/photo", "GET", "Zoho documents photo only for Accounts, Contacts, Leads, Products, Vendors and custom"),
    (f"{H}/crm/v8/Vendors/1/actions/send_mail", "POST", "Zoho documents send_mail only for"),
    (f"{H}/crm/v8/Leads/1/photo", "PATCH", "the path exists, but not with this method (it has DELETE, GET, POST)"),
    (f"{H}/crm/v8/Leads/1/no_such_thing/at_all", "GET", "no such path in the catalogue"),
])
def test_unmatched_says_why(tmp_path, bundled, url, method, reason):
    [r] = _plan(tmp_path, f'requests.request("{method}", "{url}")', bundled).resolutions
    assert r.status == "unmatched" and reason in r.reason, r.reason


def test_every_family_row_cites_a_zoho_page():
    for *_, page in FAMILIES + BODIES:
        assert page.startswith(("https://www.zoho.com/crm/", "https://zoho.com/crm/", "https://prewww.zoho.com/crm/"))


def test_one_scope_per_operation_catalogue_file_gets_the_conjunctions(tmp_path):
    """Zoho's own __apis (a --catalogue FILE or live) names one scope per operation: the layer adds the rest."""
    apis = {"__apis": [
        {"path": "/crm/v8/Deals/{{id}}/Attachments", "operation_types": [
            {"method": "GET", "oauth_scope": "ZohoCRM.modules.deals.READ", "min_credits": 1, "max_credits": 1}]},
        {"path": "/crm/v8/settings/territories/{{id}}/users", "operation_types": [
            {"method": "PUT", "oauth_scope": "ZohoCRM.settings.territories.ALL", "min_credits": 1, "max_credits": 1}]},
    ]}
    path = tmp_path / "apis.json"
    path.write_text(json.dumps(apis))
    cat = catalogue.load(str(path))
    src = tmp_path / "src"
    src.mkdir()
    result = _plan(src, f'requests.get("{H}/crm/v8/Deals/1/Attachments")\n'
                        f'requests.put("{H}/crm/v8/settings/territories/2/users")', cat)
    assert result.scope_names == ("ZohoCRM.modules.attachments.READ", "ZohoCRM.modules.deals.READ",
                                  "ZohoCRM.settings.territories.ALL", "ZohoCRM.users.ALL")


def test_angle_placeholders_give_the_same_plan(tmp_path):
    """A catalogue written with <<id>>/<<module>> plans exactly as the same catalogue with {{id}}/{{module}}."""
    text = json.dumps({"__apis": [
        {"path": "/crm/v8/{{module}}/{{id}}/Attachments", "operation_types": [
            {"method": "GET", "oauth_scope": "ZohoCRM.modules.custom.READ", "min_credits": 1, "max_credits": 1}]},
        {"path": "/crm/v8/Leads/{{id}}", "operation_types": [
            {"method": "GET", "oauth_scope": "ZohoCRM.modules.leads.READ", "min_credits": 1, "max_credits": 1}]},
    ]})
    curly = catalogue.parse(text.encode(), source="file", origin="c.json")
    angle = catalogue.parse(text.replace("{{", "<<").replace("}}", ">>").encode(), source="file", origin="c.json")
    source = (f'requests.get("{H}/crm/v8/Invoices__c/1/Attachments")\nrequests.get("{H}/crm/v8/Leads/2")\n'
              f'requests.get("{H}/crm/v8/Leads/2/Attachments")')
    a, b = _plan(tmp_path, source, curly), _plan(tmp_path, source, angle)
    assert a.scope_names == b.scope_names == ("ZohoCRM.modules.attachments.READ", "ZohoCRM.modules.custom.READ",
                                              "ZohoCRM.modules.leads.READ")
    assert [(r.status, r.endpoint, r.scopes) for r in a.resolutions] == [(r.status, r.endpoint, r.scopes)
                                                                        for r in b.resolutions]
    assert angle.digest == curly.digest
