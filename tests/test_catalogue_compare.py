"""Comparing catalogues: `diff` as data (a table of cases), its rendering, `show`, and the two commands."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from conftest import DOC_CATALOGUE, SMALL
from scopeplan.catalogue import compare, parse
from scopeplan.cli import main


def op(method, scope, low=1, high=1):
    return {"method": method, "oauth_scope": scope, "min_credits": low, "max_credits": high}


def cat(*entries, version="v8"):
    doc = {"__apis": [{"path": path.replace("{v}", version), "operation_types": list(ops)} for path, ops in entries]}
    return parse(json.dumps(doc).encode(), source="file", origin=f"{version}.json")


LEADS = ("/crm/{v}/Leads", [op("GET", "ZohoCRM.modules.leads.READ"), op("POST", "ZohoCRM.modules.leads.CREATE", 1, 10)])
DEALS = ("/crm/{v}/Deals", [op("GET", "ZohoCRM.modules.deals.READ")])
BULK = ("/crm/bulk/{v}/read", [op("POST", "ZohoCRM.bulk.READ", 50, 50)])

# (id, old entries, new entries, added templates, removed templates, [(kind, method, template)])
CASES = [
    ("same", [LEADS, DEALS], [DEALS, LEADS], [], [], []),
    ("endpoint-added", [LEADS], [LEADS, DEALS], ["/crm/v8/Deals"], [], [("added", "GET", "/crm/v8/Deals")]),
    ("endpoint-removed", [LEADS, BULK], [LEADS], [], ["/crm/bulk/v8/read"],
     [("removed", "POST", "/crm/bulk/v8/read")]),
    ("scope-changed", [DEALS], [("/crm/{v}/Deals", [op("GET", "ZohoCRM.modules.deals.ALL")])], [], [],
     [("scope", "GET", "/crm/v8/Deals")]),
    ("scope-case-only-is-no-change", [DEALS], [("/crm/{v}/Deals", [op("GET", "zohocrm.MODULES.deals.read")])],
     [], [], []),
    ("credits-changed", [LEADS], [("/crm/{v}/Leads", [op("GET", "ZohoCRM.modules.leads.READ"),
                                                      op("POST", "ZohoCRM.modules.leads.CREATE", 1, 20)])],
     [], [], [("credits", "POST", "/crm/v8/Leads")]),
    ("both-changed", [DEALS], [("/crm/{v}/Deals", [op("GET", "ZohoCRM.modules.custom.READ", 2, 2)])], [], [],
     [("scope+credits", "GET", "/crm/v8/Deals")]),
    ("method-added-and-removed", [LEADS], [("/crm/{v}/Leads", [op("GET", "ZohoCRM.modules.leads.READ"),
                                                               op("PUT", "ZohoCRM.modules.leads.UPDATE")])],
     [], [], [("removed", "POST", "/crm/v8/Leads"), ("added", "PUT", "/crm/v8/Leads")]),
]


@pytest.mark.parametrize("old, new, added, removed, changes", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diff(old, new, added, removed, changes):
    result = compare.diff(cat(*old), cat(*new))
    assert list(result.added) == added and list(result.removed) == removed
    assert [(c.kind, c.method, c.template) for c in result.changes] == changes
    assert result.same == (not changes)


def test_versions_are_compared_on_the_path_after_the_version():
    result = compare.diff(cat(LEADS, BULK, version="v7"), cat(LEADS, BULK, version="v8"))
    assert result.same and (result.old_version, result.new_version) == ("v7", "v8")
    doc = json.loads(DOC_CATALOGUE.read_bytes())
    as_v8 = json.dumps(doc).replace("/crm/v7/", "/crm/v8/").encode()
    assert compare.diff(parse(DOC_CATALOGUE.read_bytes(), source="file", origin="a"),
                        parse(as_v8, source="file", origin="b")).same


def test_affecting_picks_the_changes_to_endpoints_the_code_uses():
    old = cat(LEADS, DEALS, BULK, version="v7")
    new = cat(("/crm/{v}/Leads", [op("GET", "ZohoCRM.modules.leads.READ"),
                                  op("POST", "ZohoCRM.modules.leads.CREATE", 1, 20)]),
              ("/crm/{v}/Deals", [op("GET", "ZohoCRM.modules.deals.ALL")]))
    result = compare.diff(old, new)
    used = [("post", "/crm/v7/Leads"), ("GET", "/crm/v8/Leads"), ("POST", "/crm/bulk/v7/read")]
    assert [(c.kind, c.method, c.template) for c in result.affecting(used)] == [
        ("removed", "POST", "/crm/bulk/v7/read"), ("credits", "POST", "/crm/v8/Leads")]


def test_results_are_frozen():
    result = compare.diff(cat(LEADS), cat(DEALS))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.added = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.changes[0].method = "PUT"


def test_render_diff_is_sorted_and_stable():
    old = cat(LEADS, DEALS, BULK)
    new = cat(("/crm/{v}/Leads", [op("GET", "ZohoCRM.modules.leads.READ"),
                                  op("POST", "ZohoCRM.modules.leads.CREATE", 1, 20),
                                  op("DELETE", "ZohoCRM.modules.leads.DELETE")]),
              ("/crm/{v}/Deals", [op("GET", "ZohoCRM.modules.deals.ALL")]),
              ("/crm/{v}/users", [op("GET", "ZohoCRM.users.READ")]),
              ("/crm/{v}/coql", [op("POST", "ZohoCRM.coql.READ", 1, 3)]))
    text = compare.render_diff(compare.diff(old, new), "a.json", "b.json")
    assert text == (
        f"catalogue diff: a.json (v8, {old.digest[:19]}) -> b.json (v8, {new.digest[:19]})\n"
        "\n"
        "Endpoints added: 2\n"
        "  + /crm/v8/coql  POST ZohoCRM.coql.READ (1..3)\n"
        "  + /crm/v8/users  GET ZohoCRM.users.READ (1)\n"
        "\n"
        "Endpoints removed: 1\n"
        "  - /crm/bulk/v8/read  POST ZohoCRM.bulk.READ (50)\n"
        "\n"
        "Operations changed: 3\n"
        "  ~ GET /crm/v8/Deals  scope ZohoCRM.modules.deals.READ -> ZohoCRM.modules.deals.ALL\n"
        "  + DELETE /crm/v8/Leads  ZohoCRM.modules.leads.DELETE (1)\n"
        "  ~ POST /crm/v8/Leads  credits 1..10 -> 1..20\n"
    )
    assert compare.render_diff(compare.diff(old, new), "a.json", "b.json") == text


def test_render_diff_of_the_same_catalogue():
    small = cat(LEADS)
    assert compare.render_diff(compare.diff(small, small)).endswith("no differences (same digest)\n")


def test_summary_counts_families_methods_and_credit_ranges():
    summary = compare.summarise(parse(json.dumps(SMALL).encode(), source="file", origin="small.json"))
    assert (summary.endpoints, summary.operations, summary.derived) == (12, 16, False)
    assert dict(summary.families) == {"bulk": 1, "coql": 1, "modules": 11, "org": 1, "settings": 1, "users": 1}
    assert dict(summary.methods) == {"DELETE": 1, "GET": 10, "POST": 4, "PUT": 1}
    assert dict(summary.credits) == {(1, 1): 12, (1, 3): 1, (1, 10): 2, (50, 50): 1}
    text = compare.render_summary(summary)
    assert text.splitlines()[0] == "catalogue v8 (file: Zoho __apis response)"
    assert "  entries  12 paths, 16 operations (DELETE 1, GET 10, POST 4, PUT 1)" in text
    assert "  1..10                        2" in text


def test_show_command_on_the_bundled_catalogue():
    result = CliRunner().invoke(main, ["catalogue", "show"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "catalogue v8 (bundled: derived from the Zoho SDK, not an __apis response)"
    assert "Scope families (operations)" in lines and "Credits per call, min..max (operations)" in lines
    assert any(line.split()[:1] == ["modules"] for line in lines)


def test_diff_command(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"__apis": [{"path": LEADS[0].replace("{v}", "v8"), "operation_types": LEADS[1]}]}))
    new.write_text(json.dumps({"__apis": [{"path": DEALS[0].replace("{v}", "v8"), "operation_types": DEALS[1]}]}))
    result = CliRunner().invoke(main, ["catalogue", "diff", str(old), str(new)])
    assert result.exit_code == 1, result.output  # they differ, like diff(1)
    assert "Endpoints added: 1\n  + /crm/v8/Deals  GET ZohoCRM.modules.deals.READ (1)\n" in result.stdout
    assert "Endpoints removed: 1\n  - /crm/v8/Leads  GET ZohoCRM.modules.leads.READ (1); POST" in result.stdout


def test_diff_command_with_a_bad_catalogue_exits_3(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"__apis": [3]}')
    result = CliRunner().invoke(main, ["catalogue", "diff", "bundled", str(bad)])
    assert result.exit_code == 3
    assert result.stderr.startswith("scopeplan: error: catalogue ") and "entry 0" in result.stderr


def test_diff_command_exits_0_when_the_same_and_writes_json_atomically(tmp_path):
    out = tmp_path / "d" / "diff.json"
    result = CliRunner().invoke(main, ["catalogue", "diff", "bundled", "bundled", "--format", "json", "--output", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    data = json.loads(out.read_text())
    assert data["same"] is True and data["changes"] == [] and data["old"]["digest"] == data["new"]["digest"]
    assert [p.name for p in out.parent.iterdir()] == ["diff.json"]  # no temp file left


def test_diff_json_lists_the_changes(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"__apis": [{"path": LEADS[0].replace("{v}", "v8"), "operation_types": LEADS[1]}]}))
    new.write_text(json.dumps({"__apis": [{"path": LEADS[0].replace("{v}", "v8").replace("{{", "<<").replace("}}", ">>"),
                                           "operation_types": LEADS[1]}]}))
    same = CliRunner().invoke(main, ["catalogue", "diff", str(old), str(new), "--format", "json"])
    assert same.exit_code == 0 and json.loads(same.stdout)["same"]  # <<x>> is {{x}}


def test_show_endpoint_lists_scope_conjunctions_and_pages():
    result = CliRunner().invoke(main, ["catalogue", "show", "bundled", "--endpoint", "GET /crm/v8/Deals/<<id>>/Attachments"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split()[:2] == ["GET", "ZohoCRM.modules.deals.READ"]
    assert ("and    ZohoCRM.modules.attachments.READ  (conjunction: "
            "https://www.zoho.com/crm/developer/docs/api/v8/get-attachments.html)") in result.stdout


def test_show_endpoint_json_by_a_call_path(tmp_path):
    out = tmp_path / "show.json"
    result = CliRunner().invoke(main, ["catalogue", "show", "bundled", "--endpoint", "POST /crm/v8/Leads/42/Notes",
                                       "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["endpoint"] == "/crm/v8/Leads/{{id}}/Notes"
    [post] = data["operations"]
    assert post["oauth_scope"] == "ZohoCRM.modules.leads.CREATE" and post["infer"] is False
    assert [c["scope"] for c in post["conjunctions"]] == ["ZohoCRM.modules.notes.CREATE"]


def test_show_summary_json():
    result = CliRunner().invoke(main, ["catalogue", "show", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["derived"] is True and data["operations"] == sum(data["methods"].values())


def test_show_unknown_endpoint_is_a_usage_error():
    result = CliRunner().invoke(main, ["catalogue", "show", "--endpoint", "GET /crm/v8/nothing/here/at/all"])
    assert result.exit_code == 2
