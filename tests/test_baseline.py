"""The baseline file (build, write, load) and the drift judgement, as tables over a small project."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace

import pytest
from conftest import SMALL

from scopeplan import baseline
from scopeplan.catalogue import parse
from gate_cases import CRM
from scopeplan.drift import diff
from scopeplan.model import EntryPoint

REORDERED = '''\
import requests

BASE = "https://www.zohoapis.com/crm/v8"


def org():
    return requests.get(BASE + "/org")


def leads():
    return requests.get(BASE + "/Leads")
'''
APP = {"app/__init__.py": "", "app/crm.py": CRM}
DEALS = ('import requests\n\ndef add_deal(d):\n'
         '    return requests.post("https://www.zohoapis.com/crm/v8/Deals", json=d)\n')
SEARCH = 'import requests\n\ndef find():\n    return requests.get("https://www.zohoapis.com/crm/v8/Leads/7")\n'
FETCH = 'import requests\n\ndef fetch_from_zoho(url):\n    return requests.get(url)\n'


def test_build_is_the_approved_scopes_endpoints_and_credits(project):
    result = project(APP)
    points = (EntryPoint("app.crm:org", 1), EntryPoint("app.x:y", None))
    assert baseline.build(replace(result, entry_points=points)) == {
        "schema": "scopeplan.baseline/1",
        "catalogue": {"api_version": "v8", "digest": result.catalogue.digest, "source": "file"},
        "scopes": {"ZohoCRM.modules.leads.READ": ["GET /crm/v8/Leads"], "ZohoCRM.org.READ": ["GET /crm/v8/org"]},
        "endpoints": {"GET /crm/v8/Leads": {"oauth_scope": "ZohoCRM.modules.leads.READ", "max_credits": 1},
                      "GET /crm/v8/org": {"oauth_scope": "ZohoCRM.org.READ", "max_credits": 1}},
        "credits": {"per_run_worst_case": 2, "entry_points": {"app.crm:org": 1, "app.x:y": None}},
        "unresolved": [],
        "unmatched": [],
    }


def test_dump_is_sorted_json_with_a_trailing_newline_and_no_lines_or_paths(project):
    text = baseline.dump(project({**APP, "app/fetch.py": FETCH}))
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"
    assert '"line"' not in text and "app/crm.py" not in text and "app/fetch.py" not in text
    # the unresolved call is keyed without its module, so moving `fetch` to another file keeps the key
    assert doc["unresolved"] == [{"function": "fetch_from_zoho", "reason": "the url comes from `url` (a parameter of `fetch_from_zoho`)",
                                  "count": 1}]


MOVES = [
    pytest.param({"app/crm.py": REORDERED}, id="functions reordered"),
    pytest.param({"app/crm.py": CRM.split("\n\ndef org")[0] + "\n",
                  "app/other.py": "import requests\nfrom app.crm import BASE\n\n\ndef org" + CRM.split("def org")[1]},
                 id="function moved to another file"),
    pytest.param({"app/crm.py": "\n\n\n# comment\n" + CRM}, id="lines shifted"),
]


def _without_modules(doc: dict) -> dict:
    """The baseline with entry points keyed by function name only: they are named after their module."""
    points = doc["credits"]["entry_points"]
    return {**doc, "credits": {**doc["credits"], "entry_points": {k.split(":")[1]: v for k, v in points.items()}}}


@pytest.mark.parametrize("changes", MOVES)
def test_moving_code_changes_neither_the_baseline_nor_the_verdict(project, tmp_path, changes):
    before = project({**APP, "app/fetch.py": FETCH})
    after = project(changes)
    assert _without_modules(baseline.build(after)) == _without_modules(baseline.build(before))
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", baseline.build(before)), after)
    assert (drift.added, drift.unused, drift.credits, drift.unresolved, drift.failed) == ((), (), (), (), False)


def test_regenerating_gives_the_same_bytes(project):
    assert baseline.dump(project(APP)) == baseline.dump(project(APP))
    assert baseline.dump(project(APP)) == baseline.dump(project({"app/crm.py": REORDERED}))


def test_a_moved_entry_point_keeps_its_approved_credits(project, tmp_path):
    result = project(APP)
    doc = baseline.build(replace(result, entry_points=(EntryPoint("app.jobs:run", 5), EntryPoint("app.a:main", 1),
                                                       EntryPoint("app.b:main", 1))))
    moved = replace(result, entry_points=(EntryPoint("app.tasks:run", 9), EntryPoint("app.c:main", 7)))
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), moved)
    # `run` moved (one old, one new name): compared; `main` is ambiguous (two old names): not compared
    assert [(c.entry_point, c.before, c.after) for c in drift.credits] == [("app.tasks:run", 5, 9)]


def test_write_is_atomic_and_readable_by_others(project, tmp_path, monkeypatch):
    target = tmp_path / ".scopeplan.json"
    doc = baseline.write(project(APP), target)
    assert json.loads(target.read_text()) == doc
    assert stat.S_IMODE(target.stat().st_mode) == 0o644

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    grown = project({"app/more.py": DEALS})
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        baseline.write(grown, target)
    assert json.loads(target.read_text()) == doc  # the old baseline, whole
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".scopeplan.json")) == [".scopeplan.json"]


def _valid():
    return {"schema": "scopeplan.baseline/1",
            "catalogue": {"api_version": "v8", "digest": "sha256:0", "source": "file"},
            "scopes": {"ZohoCRM.org.READ": ["GET /crm/v8/org"]},
            "endpoints": {"GET /crm/v8/org": {"oauth_scope": "ZohoCRM.org.READ", "max_credits": 1}},
            "credits": {"per_run_worst_case": 1, "entry_points": {"app.jobs:run": None}}, "unresolved": []}


BROKEN = [
    pytest.param(None, "run `scopeplan baseline` to create it", id="missing"),
    pytest.param("{", "not valid JSON", id="not json"),
    pytest.param([], "not a scopeplan.baseline/1 file", id="not an object"),
    pytest.param({**_valid(), "schema": "scopeplan.baseline/9"}, "schema is 'scopeplan.baseline/9'", id="other schema"),
    pytest.param({**_valid(), "scopes": []}, "`scopes` must be a JSON object", id="scopes a list"),
    pytest.param({**_valid(), "scopes": {"org": []}}, "not a scope: 'org'", id="bad scope name"),
    pytest.param({**_valid(), "scopes": {"ZohoCRM.org.READ": "GET /crm/v8/org"}}, "`scopes.ZohoCRM.org.READ`",
                 id="endpoints not a list"),
    pytest.param({**_valid(), "endpoints": {"GET /x": {"oauth_scope": "ZohoCRM.org.READ"}}}, "`endpoints.GET /x`",
                 id="endpoint without credits"),
    pytest.param({**_valid(), "credits": {"entry_points": {}}}, "`per_run_worst_case`", id="no per-run credits"),
    pytest.param({**_valid(), "credits": {"per_run_worst_case": 1, "entry_points": {"f": -1}}},
                 "`credits.entry_points`", id="negative credits"),
    pytest.param({**_valid(), "unresolved": [{"function": "f", "reason": "r"}]}, "`unresolved`", id="no count"),
    pytest.param({**_valid(), "catalogue": {}}, "`catalogue.digest`", id="no digest"),
]


@pytest.mark.parametrize(("content", "message"), BROKEN)
def test_a_broken_baseline_is_an_error_that_says_what_to_do(tmp_path, content, message):
    path = tmp_path / ".scopeplan.json"
    if content is not None:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(baseline.BaselineError) as info:
        baseline.load(path)
    assert message in str(info.value)


def test_load_accepts_what_dump_writes(project, tmp_path):
    path = tmp_path / ".scopeplan.json"
    path.write_text(json.dumps(_valid()))
    assert baseline.load(path).data == _valid()
    baseline.write(project(APP), path)
    assert baseline.load(path).data == baseline.build(project(APP))


def _grant(*scopes):
    def edit(doc):
        doc["scopes"] = {s: [] for s in scopes}
    return edit


ODD = 'import requests\n\ndef odd():\n    return requests.get("https://www.zohoapis.com/crm/v8/nothing/here")\n'
MODULE = ('import requests\n\ndef by_module(module, i):\n'
          '    return requests.get(f"https://www.zohoapis.com/crm/v8/{module}/{i}")\n')  # a record: not /org
COQL = 'import requests\n\ndef query(q):\n    return requests.post("https://www.zohoapis.com/crm/v8/coql", json={"select_query": q})\n'

# (changes to the code, edit of the baseline, diff options) -> (added, unused, credit changes, new unresolved
# and unmatched, failed). Credit rises fail only with a tolerance; a new unresolved or unmatched call fails.
DRIFT = [
    pytest.param({}, None, {}, ((), (), (), 0, False), id="unchanged"),
    pytest.param({"app/deals.py": DEALS}, None, {},
                 (("ZohoCRM.modules.deals.CREATE",), (), ((None, 2, 12, False),), 0, True), id="new scope"),
    pytest.param({"app/crm.py": CRM.split("\n\ndef org")[0] + "\n"}, None, {},
                 ((), ("ZohoCRM.org.READ",), ((None, 2, 1, False),), 0, False), id="call removed: notice only"),
    pytest.param({"app/crm.py": CRM.split("\n\ndef org")[0] + "\n"}, None, {"fail_on_unused": True},
                 ((), ("ZohoCRM.org.READ",), ((None, 2, 1, False),), 0, True), id="call removed, --fail-on-unused"),
    pytest.param({"app/search.py": SEARCH}, None, {}, ((), (), ((None, 2, 3, False),), 0, False),
                 id="same scope, more credits, no tolerance configured: reported"),
    pytest.param({"app/search.py": SEARCH}, None, {"tolerance": 0}, ((), (), ((None, 2, 3, True),), 0, True),
                 id="same scope, more credits, tolerance 0"),
    pytest.param({"app/search.py": SEARCH}, None, {"tolerance": 50}, ((), (), ((None, 2, 3, False),), 0, False),
                 id="more credits within tolerance"),
    pytest.param({"app/search.py": SEARCH}, None, {"tolerance": 49.9}, ((), (), ((None, 2, 3, True),), 0, True),
                 id="more credits just over tolerance"),
    pytest.param({"app/fetch.py": FETCH}, None, {}, ((), (), (), 1, True), id="new unresolved call fails"),
    pytest.param({"app/fetch.py": FETCH}, None, {"allow_new_unresolved": True}, ((), (), (), 1, False),
                 id="new unresolved call, --allow-new-unresolved"),
    pytest.param({"app/q.py": COQL}, None, {"allow_new_unresolved": True}, (("ZohoCRM.coql.READ",), (), (), 1, True),
                 id="a new unresolved call's certain scope is a new scope, --allow-new-unresolved or not"),
    pytest.param({"app/odd.py": ODD}, None, {}, ((), (), (), 1, True), id="new unmatched call fails"),
    pytest.param({"app/odd.py": ODD}, None, {"allow_new_unresolved": True}, ((), (), (), 1, False),
                 id="new unmatched call, --allow-new-unresolved"),
    pytest.param({}, _grant("ZohoCRM.modules.leads.ALL", "ZohoCRM.org.READ"), {}, ((), (), (), 0, False),
                 id="a broader grant covers the need"),
    pytest.param({"app/deals.py": DEALS}, _grant("ZohoCRM.modules.ALL", "zohocrm.ORG.read"), {},
                 ((), (), ((None, 2, 12, False),), 0, False), id="modules.ALL covers a new module scope, any case"),
    pytest.param({}, _grant("ZohoCRM.modules.leads.READ", "ZohoCRM.org.READ", "ZohoCRM.bulk.READ"), {},
                 ((), ("ZohoCRM.bulk.READ",), (), 0, False), id="granted but never needed"),
    pytest.param({}, _grant("ZohoCRM.modules.leads.READ"), {},
                 (("ZohoCRM.org.READ",), (), (), 0, True), id="baseline lacks a scope"),
]


@pytest.mark.parametrize(("changes", "edit", "options", "expected"), DRIFT)
def test_drift(project, tmp_path, changes, edit, options, expected):
    doc = baseline.build(project(APP))
    if edit:
        edit(doc)
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project(changes), **options)
    credits = tuple((c.entry_point, c.before, c.after, c.over) for c in drift.credits)
    assert (tuple(a.scope for a in drift.added), drift.unused, credits, len(drift.new_open), drift.failed) == expected
    assert drift.baseline_file == ".scopeplan.json"


def test_known_unresolved_and_unmatched_calls_stay_known(project, tmp_path):
    doc = baseline.build(project({**APP, "app/fetch.py": FETCH, "app/odd.py": ODD}))
    assert [u["function"] for u in doc["unmatched"]] == ["odd"]
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({}))
    assert (drift.new_open, drift.failed) == ((), False)


def test_an_old_baseline_without_unmatched_calls_loads_and_they_are_new(project, tmp_path):
    doc = baseline.build(project({**APP, "app/odd.py": ODD}))
    del doc["unmatched"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    drift = diff(baseline.load(path), project({}))
    assert [r.site.function for r in drift.unmatched] == ["app.odd:odd"] and drift.failed


# a scope no matched call needs any more -> (advised as a drop, kept because an open call may need it)
DROPS = [
    pytest.param({}, (("ZohoCRM.org.READ",), ()), id="nothing else could need it: drop"),
    pytest.param({"app/fetch.py": FETCH}, ((), ("ZohoCRM.org.READ",)), id="an unresolved call of unknown scope"),
    pytest.param({"app/odd.py": ODD}, ((), ("ZohoCRM.org.READ",)), id="an unmatched call of unknown scope"),
    pytest.param({"app/by_module.py": MODULE}, (("ZohoCRM.org.READ",), ()),
                 id="an unresolved call whose candidates do not include it: drop"),
]


@pytest.mark.parametrize(("changes", "expected"), DROPS)
def test_a_drop_is_advised_only_when_no_call_could_need_the_scope(project, tmp_path, changes, expected):
    doc = baseline.build(project(APP))
    (tmp_path / "app" / "crm.py").write_text(CRM.split("\n\ndef org")[0] + "\n")
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project(changes), allow_new_unresolved=True)
    assert (drift.unused, tuple(s for s, _ in drift.kept)) == expected


def test_a_drop_is_withheld_when_an_unresolved_call_may_need_it(project, tmp_path):
    doc = baseline.build(project(APP))
    (tmp_path / "app" / "crm.py").write_text(CRM.replace('BASE + "/Leads"', 'f"{BASE}/{MODULE}"')
                                             .replace("def leads():", "def leads(MODULE):"))
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({}), allow_new_unresolved=True)
    [(scope, calls)] = drift.kept
    assert scope == "ZohoCRM.modules.leads.READ" and calls[0].site.function == "app.crm:leads"
    assert "ZohoCRM.modules.leads.READ" in calls[0].candidates and "Leads" in calls[0].candidate_modules


def test_a_scope_an_unresolved_call_surely_needs_is_needed_not_just_kept(project, tmp_path):
    """A COQL query that becomes dynamic still needs ZohoCRM.coql.READ: never a drop, nor a maybe."""
    fixed = COQL.replace('"select_query": q', '"select_query": "select id from Contacts limit 10"')
    doc = baseline.build(project({**APP, "app/q.py": fixed}))
    assert "ZohoCRM.coql.READ" in doc["scopes"] and "ZohoCRM.modules.contacts.READ" in doc["scopes"]
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({"app/q.py": COQL}),
                 allow_new_unresolved=True)
    kept = dict(drift.kept)
    assert "ZohoCRM.coql.READ" not in drift.unused and "ZohoCRM.coql.READ" not in kept
    # the module the query reads is only known at run time: that scope may be needed, so it is kept, not dropped
    assert [r.site.function for r in kept["ZohoCRM.modules.contacts.READ"]] == ["app.q:query"]
    assert (drift.added, drift.unused) == ((), ())


def test_a_certain_scope_of_an_unresolved_call_names_the_path_it_calls(project):
    from scopeplan import catalogue

    files = {"m.py": 'import requests\ndef files(module, i):\n'
                     '    return requests.get(f"https://www.zohoapis.com/crm/v8/{module}/{i}/Attachments")\n'}
    doc = baseline.build(project(files, catalogue.load()))
    assert doc["scopes"]["ZohoCRM.modules.attachments.READ"] == ["GET /crm/v8/{module}/{i}/Attachments"]


def test_a_new_scope_names_its_endpoint_and_every_call_site(project, tmp_path):
    doc = baseline.build(project(APP))
    twice = DEALS + '\n\ndef again(d):\n    return requests.post("https://www.zohoapis.com/crm/v8/Deals", json=d)\n'
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({"app/deals.py": twice}))
    [new] = drift.added
    assert new.endpoints == ("POST /crm/v8/Deals",)
    assert [(r.site.location.file, r.site.location.line, r.site.function) for r in new.sites] == [
        ("app/deals.py", 4, "app.deals:add_deal"), ("app/deals.py", 8, "app.deals:again")]


# entry point worst case in the baseline, now, tolerance -> (compared, over)
ENTRY_POINTS = [
    pytest.param(10, 11, 0, (True, True), id="rose"),
    pytest.param(10, 11, 10, (True, False), id="rose within tolerance"),
    pytest.param(10, 12, 10, (True, True), id="rose above tolerance"),
    pytest.param(10, 5, 0, (True, False), id="fell"),
    pytest.param(10, None, 50, (True, True), id="became unbounded"),
    pytest.param(None, 5, 0, (True, False), id="was unbounded"),
    pytest.param(None, None, 0, (False, False), id="still unbounded"),
    pytest.param(0, 1, 100, (True, True), id="from zero"),
]


@pytest.mark.parametrize(("before", "after", "tolerance", "expected"), ENTRY_POINTS)
def test_entry_point_credits(project, tmp_path, before, after, tolerance, expected):
    result = project(APP)
    doc = baseline.build(replace(result, entry_points=(EntryPoint("app.jobs:run", before),
                                                       EntryPoint("app.jobs:old", 1))))
    now = replace(result, entry_points=(EntryPoint("app.jobs:run", after), EntryPoint("app.jobs:renamed", 99)))
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), now, tolerance=tolerance)
    changes = [c for c in drift.credits if c.entry_point == "app.jobs:run"]
    assert (bool(changes), any(c.over for c in changes)) == expected
    assert drift.failed == expected[1]
    assert all(c.entry_point in (None, "app.jobs:run") for c in drift.credits)  # renamed entry points are not compared


def test_catalogue_changes_are_listed_for_approved_endpoints_when_the_digest_differs(project, tmp_path):
    doc = baseline.build(project(APP))
    changed = json.loads(json.dumps(SMALL))
    for entry in changed["__apis"]:
        if entry["path"] == "/crm/v8/Leads":
            entry["operation_types"][0]["max_credits"] = 2
    changed["__apis"] = [e for e in changed["__apis"] if e["path"] != "/crm/v8/org"]
    newer = parse(json.dumps(changed).encode(), source="file", origin="newer.json")
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({}, catalogue=newer))
    assert [(c.endpoint, c.change) for c in drift.catalogue] == [
        ("GET /crm/v8/Leads", "max_credits 1 -> 2"), ("GET /crm/v8/org", "no longer in the catalogue")]
    assert drift.catalogue_digests == (doc["catalogue"]["digest"], newer.digest)
    same = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({}))
    assert same.catalogue == ()


def test_scope_changes_in_the_catalogue_are_named(project, tmp_path):
    doc = baseline.build(project(APP))
    changed = json.loads(json.dumps(SMALL))
    for entry in changed["__apis"]:
        if entry["path"] == "/crm/v8/org":
            entry["operation_types"][0]["oauth_scope"] = "ZohoCRM.settings.org.READ"
    newer = parse(json.dumps(changed).encode(), source="file", origin="newer.json")
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({}, catalogue=newer))
    assert [(c.endpoint, c.change) for c in drift.catalogue] == [
        ("GET /crm/v8/org", "scope ZohoCRM.org.READ -> ZohoCRM.settings.org.READ")]
    assert [a.scope for a in drift.added] == ["ZohoCRM.settings.org.READ"] and drift.unused == ("ZohoCRM.org.READ",)


def test_a_new_api_version_of_the_catalogue_is_compared_endpoint_by_endpoint(project, tmp_path):
    doc = baseline.build(project(APP))
    changed = json.loads(json.dumps(SMALL).replace("/crm/v8/", "/crm/v9/").replace("/crm/bulk/v8/", "/crm/bulk/v9/"))
    changed["__apis"][0]["operation_types"][0]["max_credits"] = 3  # GET /crm/v9/Leads
    newer = parse(json.dumps(changed).encode(), source="file", origin="v9.json")
    drift = diff(baseline.Baseline(tmp_path / ".scopeplan.json", doc), project({}, catalogue=newer))
    assert [(c.endpoint, c.change) for c in drift.catalogue] == [("GET /crm/v8/Leads", "max_credits 1 -> 3")]
