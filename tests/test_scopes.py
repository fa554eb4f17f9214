"""The scope algebra as tables: parsing, coverage, least privilege and the compact form."""

from __future__ import annotations

import pytest

from scopeplan import scopes

COVERS = [
    ("ZohoCRM.modules.leads.READ", "ZohoCRM.modules.leads.READ", True),
    ("zohocrm.Modules.Leads.read", "ZohoCRM.modules.leads.READ", True),  # case-insensitive
    ("ZohoCRM.modules.leads.ALL", "ZohoCRM.modules.leads.DELETE", True),
    ("ZohoCRM.modules.ALL", "ZohoCRM.modules.leads.READ", True),
    ("ZohoCRM.modules.ALL", "ZohoCRM.modules.custom.CREATE", True),
    ("ZohoCRM.modules.leads.WRITE", "ZohoCRM.modules.leads.UPDATE", True),
    ("ZohoCRM.settings.ALL", "ZohoCRM.settings.fields.READ", True),
    ("ZohoCRM.modules.leads.WRITE", "ZohoCRM.modules.leads.READ", False),
    ("ZohoCRM.modules.leads.READ", "ZohoCRM.modules.leads.ALL", False),
    ("ZohoCRM.modules.leads.ALL", "ZohoCRM.modules.deals.READ", False),
    ("ZohoCRM.modules.ALL", "ZohoCRM.settings.fields.READ", False),  # families are independent
    ("ZohoCRM.modules.ALL", "ZohoCRM.coql.READ", False),
    ("ZohoCRM.settings.fields.ALL", "ZohoCRM.settings.layouts.READ", False),
    ("ZohoCRM.modules.leads.READ", "ZohoCRM.modules.ALL", False),
]


@pytest.mark.parametrize("granted,needed,expected", COVERS)
def test_covers(granted, needed, expected):
    assert scopes.covers(granted, needed) is expected


def test_parse_is_canonical():
    assert str(scopes.parse("zohocrm.Modules.Sales_Orders.read")) == "ZohoCRM.modules.sales_orders.READ"


@pytest.mark.parametrize("bad", ["ZohoCRM", "ZohoCRM.modules", "ZohoCRM..READ", ""])
def test_parse_rejects(bad):
    with pytest.raises(scopes.ScopeError):
        scopes.parse(bad)


MINIMAL = [
    (["ZohoCRM.modules.leads.READ", "ZohoCRM.modules.leads.READ"], ["ZohoCRM.modules.leads.READ"]),
    (["ZohoCRM.modules.leads.READ", "zohocrm.modules.LEADS.read"], ["ZohoCRM.modules.leads.READ"]),
    (["ZohoCRM.settings.ALL", "ZohoCRM.settings.fields.READ"], ["ZohoCRM.settings.ALL"]),
    (["ZohoCRM.modules.leads.READ", "ZohoCRM.modules.deals.READ"],
     ["ZohoCRM.modules.deals.READ", "ZohoCRM.modules.leads.READ"]),
]


@pytest.mark.parametrize("needed,expected", MINIMAL)
def test_minimal(needed, expected):
    assert scopes.minimal(needed) == expected


def test_compact_folds_only_complete_resources():
    crud = [f"ZohoCRM.modules.leads.{op}" for op in ("READ", "CREATE", "UPDATE", "DELETE")]
    result = scopes.compact(crud + ["ZohoCRM.modules.deals.READ", "ZohoCRM.users.READ"])
    assert sorted(result) == ["ZohoCRM.modules.deals.READ", "ZohoCRM.modules.leads.ALL", "ZohoCRM.users.READ"]
    assert result["ZohoCRM.modules.leads.ALL"] == sorted(crud)


def test_compact_never_grants_more():
    crud = [f"ZohoCRM.users.{op}" for op in ("READ", "CREATE", "UPDATE", "DELETE")]
    assert list(scopes.compact(crud)) == ["ZohoCRM.users.ALL"]
    every_module = [f"ZohoCRM.modules.{m}.READ" for m in ("leads", "deals", "contacts", "custom")]
    assert sorted(scopes.compact(every_module)) == sorted(every_module)  # never modules.ALL
    three = ["ZohoCRM.modules.leads.READ", "ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.leads.UPDATE"]
    assert sorted(scopes.compact(three)) == sorted(three)


MODULE_TOKENS = [("Leads", "leads"), ("leads", "leads"), ("Sales_Orders", "salesorders"),
                 ("Price_Books", "pricebooks"), ("Purchase_Orders", "purchaseorders"), ("Events", "events"),
                 ("Shipments", "custom"), ("Invoices__c", "custom"), ("users", None), ("settings", None),
                 ("__apis", None)]


@pytest.mark.parametrize("name,token", MODULE_TOKENS)
def test_module_token(name, token):
    assert scopes.module_token(name) == token
