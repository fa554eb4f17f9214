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
