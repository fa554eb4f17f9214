"""Matching folded URLs against catalogues: literal-first, version-agnostic, hosts and holes."""

from __future__ import annotations

import pytest

from conftest import DOC_CATALOGUE
from scopeplan import catalogue
from scopeplan.matcher import Matcher
from scopeplan.model import CallSite, Hole, Location, Url


def site(method, *parts):
    return CallSite(Location("a.py", 1, 1), "a:f", "requests", method,
                    Url(tuple(Hole(p[1:-1], "test") if p.startswith("{") else p for p in parts)))


@pytest.fixture(scope="module")
def doc():
    return Matcher(catalogue.load(str(DOC_CATALOGUE)))


@pytest.fixture(scope="module")
def small(small_catalogue):
    return Matcher(small_catalogue)


H = "https://www.zohoapis.com"
DOC_CASES = [
    # (method, url parts, status, endpoint, scopes, max credits)
    ("PUT", (f"{H}/crm/v2/Quotes/", "{qid}", "/actions/send_mail"), "matched",
     "/crm/v7/Quotes/{{id}}/actions/send_mail", ("ZohoCRM.send_mail.quotes.CREATE",), 20),
    ("POST", (f"{H}/crm/v8/Leads/1/actions/merge",), "matched",
     "/crm/v7/Leads/{{id}}/actions/merge", ("ZohoCRM.modules.leads.CREATE",), 50),
    ("GET", (f"{H}/crm/v8/Leads/1/actions/merge",), "matched",
     "/crm/v7/Leads/{{id}}/actions/merge", ("ZohoCRM.modules.leads.READ",), 1),
    ("GET", (f"{H}/crm/v3/Widgets__c/deleted",), "matched",
     "/crm/v7/{{module}}/deleted", ("ZohoCRM.modules.custom.READ",), 2),
    # a system module reached through {{module}} takes its own token, never `custom`
    ("GET", (f"{H}/crm/v3/Contacts/deleted",), "matched",
     "/crm/v7/{{module}}/deleted", ("ZohoCRM.modules.contacts.READ",), 2),
    ("POST", (f"{H}/crm/v2/Deals/upsert",), "matched", "/crm/v7/Deals/upsert", ("ZohoCRM.modules.deals.CREATE",), 10),
    ("POST", (f"{H}/crm/v2/", "{module}", "/upsert"), "unresolved", None, (), None),
    ("GET", (f"{H}/crm/v3/users/deleted",), "unmatched", None, (), None),  # `users` is not a module
    ("POST", (f"{H}/crm/v2/Leads/actions/add_tags?over_write=true",), "matched",
     "/crm/v7/Leads/actions/add_tags", ("ZohoCRM.modules.leads.UPDATE",), 50),
]


@pytest.mark.parametrize("method,parts,status,endpoint,scopes,credits", DOC_CASES)
def test_doc_catalogue(doc, method, parts, status, endpoint, scopes, credits):
    r = doc.resolve(site(method, *parts))
    assert (r.status, r.endpoint, r.scopes, r.max_credits) == (status, endpoint, scopes, credits)


VERSIONS = ["v2", "v2.1", "v3", "v5", "v8"]


@pytest.mark.parametrize("version", VERSIONS)
def test_any_version_matches_and_is_reported(small, version):
    r = small.resolve(site("GET", f"{H}/crm/{version}/Leads"))
    assert (r.status, r.endpoint, r.api_version) == ("matched", "/crm/v8/Leads", version)


HOSTS = ["https://www.zohoapis.eu", "https://sandbox.zohoapis.in", "https://developer.zohoapis.com.au",
         "https://www.zohoapis.jp", "https://www.zohoapis.com.cn", "https://www.zohoapis.ca",
         "https://www.zohoapis.sa", "http://www.zohoapis.com", "{api_domain}", ""]


@pytest.mark.parametrize("host", HOSTS)
def test_every_data_centre_and_unknown_hosts(small, host):
    parts = ((host,) if host and not host.startswith("{") else ()) + (("{api_domain}",) if host.startswith("{") else ())
    r = small.resolve(site("GET", *parts, "/crm/v2/org"))
    assert (r.status, r.scopes) == ("matched", ("ZohoCRM.org.READ",))


NOT_CRM = ["https://accounts.zoho.com/oauth/v2/token", "https://www.zohoapis.com/books/v3/invoices",
           "https://desk.zoho.eu/api/v1/tickets", "https://api.hubapi.com/crm/v3/objects/contacts",
           "https://example.com/crm/v2/Leads", "https://www.zohoapis.com/crm-ish", "Leads", ""]


@pytest.mark.parametrize("url", NOT_CRM)
def test_not_crm(small, url):
    assert small.resolve(site("GET", url)) is None


def test_special_prefixes(small):
    assert small.resolve(site("POST", f"{H}/crm/bulk/v2/read")).scopes == ("ZohoCRM.bulk.READ",)
    r = small.resolve(site("POST", f"{H}/crm/", "{version}", "/coql"))
    assert (r.status, r.api_version, r.scopes) == ("matched", None, ("ZohoCRM.coql.READ",))


def test_most_literal_template_wins(small):
    assert small.resolve(site("GET", f"{H}/crm/v8/Leads/search")).endpoint == "/crm/v8/Leads/search"
    assert small.resolve(site("GET", f"{H}/crm/v8/Leads/7")).endpoint == "/crm/v8/Leads/{{id}}"
    assert small.resolve(site("GET", f"{H}/crm/v8/users")).endpoint == "/crm/v8/users"


def test_an_id_hole_matches_when_every_candidate_agrees(small):
    r = small.resolve(site("GET", f"{H}/crm/v8/Leads/", "{lead_id}"))
    assert (r.status, r.endpoint, r.scopes) == ("matched", "/crm/v8/Leads/{{id}}", ("ZohoCRM.modules.leads.READ",))


def test_a_module_hole_is_unresolved_with_the_candidates(small):
    r = small.resolve(site("GET", f"{H}/crm/v8/", "{module}"))
    assert r.status == "unresolved"
    assert "ZohoCRM.modules.custom.READ" in r.reason and "ZohoCRM.modules.leads.READ" in r.reason


def test_documented_conjunction_is_added(small):
    """Search Records needs ZohoSearch.securesearch.READ as well as the module's READ (data/conjunctions.json)."""
    r = small.resolve(site("GET", f"{H}/crm/v2/Leads/search?criteria=(Email:equals:a)"))
    assert r.scopes == ("ZohoCRM.modules.leads.READ", "ZohoSearch.securesearch.READ")
    assert small.resolve(site("GET", f"{H}/crm/v2/Leads/7")).scopes == ("ZohoCRM.modules.leads.READ",)


# -- unresolved calls keep what is certain (issue 9; DESIGN.md "An unresolved call keeps what is certain") ----------

@pytest.fixture(scope="module")
def bundled():
    return Matcher(catalogue.load())


def body_site(method, url, body_modules=None, body_reason=None):
    return CallSite(Location("a.py", 1, 1), "a:f", "requests", method, Url((url,)),
                    body_modules=body_modules, body_reason=body_reason)


NOTES_CASES = [
    # (method, path, body_modules, status, scopes)
    ("POST", "/crm/v2/Notes", ("Leads",), "matched", ("ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.notes.CREATE")),
    ("PUT", "/crm/v3/Notes", ("Deals", "Contacts"), "matched",
     ("ZohoCRM.modules.contacts.UPDATE", "ZohoCRM.modules.deals.UPDATE", "ZohoCRM.modules.notes.UPDATE")),
    ("POST", "/crm/v2/Notes", ("Invoices__c",), "matched",  # a custom module's token is `custom`
     ("ZohoCRM.modules.custom.CREATE", "ZohoCRM.modules.notes.CREATE")),
    # the parent unknown: the endpoint and notes.<op> are certain, the parent's scope is a template
    ("POST", "/crm/v2/Notes", None, "unresolved", ("ZohoCRM.modules.notes.CREATE",)),
    ("PUT", "/crm/v2/Notes", None, "unresolved", ("ZohoCRM.modules.notes.UPDATE",)),
    ("POST", "/crm/v2/Notes", ("users",), "unresolved", ("ZohoCRM.modules.notes.CREATE",)),  # not a module
    # reading or deleting notes needs no parent scope: the conjunction is for create and update
    ("GET", "/crm/v2/Notes", None, "matched", ("ZohoCRM.modules.notes.READ",)),
    ("DELETE", "/crm/v2/Notes", None, "matched", ("ZohoCRM.modules.notes.DELETE",)),
]


@pytest.mark.parametrize("method,path,body_modules,status,scopes", NOTES_CASES,
                         ids=[f"{m} {p} {b}" for m, p, b, *_ in NOTES_CASES])
def test_notes_parent_module(bundled, method, path, body_modules, status, scopes):
    r = bundled.resolve(body_site(method, f"{H}{path}", body_modules))
    assert (r.status, r.scopes) == (status, scopes)
    if status == "unresolved":
        assert r.endpoint == "/crm/v8/Notes"
        assert "ZohoCRM.modules.{module}." in r.reason and "se_module" in r.reason


def test_a_module_hole_keeps_the_scope_every_candidate_needs(bundled):
    """`GET /crm/v2/{module}/{id}/Attachments` needs attachments.READ whatever the module (attachments pages)."""
    r = bundled.resolve(site("GET", f"{H}/crm/v2/", "{module}", "/", "{id}", "/Attachments"))
    assert r.status == "unresolved"
    assert r.scopes == ("ZohoCRM.modules.attachments.READ",)
    assert r.reason.startswith("needs ZohoCRM.modules.attachments.READ whatever it is")
    # a module hole with nothing in common keeps nothing
    assert bundled.resolve(site("GET", f"{H}/crm/v2/", "{module}", "/", "{id}")).scopes == ()


def test_a_body_decided_scope_keeps_the_catalogue_scope(bundled):
    """A COQL query built at run time still needs ZohoCRM.coql.READ; a bulk read of an unknown module bulk.READ."""
    r = bundled.resolve(body_site("POST", f"{H}/crm/v2/coql", body_reason="the FROM module is only known at run time"))
    assert (r.status, r.scopes) == ("unresolved", ("ZohoCRM.coql.READ",))
    r = bundled.resolve(body_site("POST", f"{H}/crm/bulk/v2/read", body_reason="not static"))
    assert (r.status, r.scopes) == ("unresolved", ("ZohoCRM.bulk.READ",))
