"""The official Zoho CRM SDKs as tables: (source, expected call sites), and calls that must not match."""

from __future__ import annotations

import pytest

from scopeplan import catalogue
from scopeplan.models import zoho_sdk

V8 = "zohocrmsdk8_0"
REC = "from zohocrmsdk.src.com.zoho.crm.api.record import RecordOperations\n"  # line 1 of most sources
INIT = ("from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer\n"
        "from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken\n"
        "from zohocrmsdk.src.com.zoho.crm.api.dc import USDataCenter\n")  # lines 1-3


def meta(line, package=V8, version="v8", related=False):
    """The metadata a record-ish method prefetches, reported at its call."""
    paths = ["settings/fields", "settings/modules"] + (["settings/related_lists"] if related else [])
    return [(line, package, "GET", f"/crm/{version}/{p}", "matched", True) for p in paths]


def me(line, package=V8, version="v8"):
    """The current user and org the SDK looks up when it generates a token (6.0 to 8.0)."""
    return [(line, package, "GET", f"/crm/{version}/{p}", "matched", True) for p in ("org", "users")]


def call(line, method, path, status="matched", package=V8):
    return [(line, package, method, path, status, False)]


CASES = [
    ("module-in-constructor", REC + 'RecordOperations("Leads").get_records(None, None)\n',
     call(2, "GET", "/crm/v8/Leads") + meta(2)),
    ("instance-in-a-variable", REC + 'def f(params):\n    ops = RecordOperations("Deals")\n'
                                     '    return ops.create_records(params)\n',
     call(4, "POST", "/crm/v8/Deals") + meta(4)),
    ("keywords-and-id-argument", REC + 'def f(lead_id, body):\n    ops = RecordOperations(module_api_name="Leads")\n'
                                       '    return ops.update_record(request=body, id=lead_id)\n',
     call(4, "PUT", "/crm/v8/Leads/{lead_id}") + meta(4)),
    ("literal-id", REC + 'RecordOperations("Contacts").get_record(42)\n',
     call(2, "GET", "/crm/v8/Contacts/42") + meta(2)),
    ("lower-case-module-gets-sdk-casing", REC + 'RecordOperations("sales_orders").upsert_records(None)\n',
     call(2, "POST", "/crm/v8/Sales_Orders/upsert") + meta(2)),
    ("loop-over-modules", REC + 'for m in ("Leads", "Contacts"):\n    RecordOperations(m).delete_records(None)\n',
     call(3, "DELETE", "/crm/v8/Contacts") + call(3, "DELETE", "/crm/v8/Leads") + meta(3)),
    ("module-level-instance",
     REC + 'LEADS = RecordOperations("Leads")\ndef f(p):\n    return LEADS.search_records(p)\n',
     call(4, "GET", "/crm/v8/Leads/search") + meta(4)),
    ("instance-on-self", REC + 'class Sync:\n    def __init__(self):\n        self.ops = RecordOperations("Deals")\n'
                               '    def run(self, i):\n        return self.ops.get_record(i)\n',
     call(6, "GET", "/crm/v8/Deals/{i}") + meta(6)),
    ("package-re-export-and-private-module",
     'from zohocrmsdk.src.com.zoho.crm.api.record.record_operations import RecordOperations as Ops\n'
     'Ops("Leads").get_records()\n',
     call(2, "GET", "/crm/v8/Leads") + meta(2)),
    ("related-records", 'from zohocrmsdk.src.com.zoho.crm.api.related_records import RelatedRecordsOperations\n'
                        'def notes(lead_id):\n'
                        '    return RelatedRecordsOperations("Notes", "Leads").get_related_records(lead_id)\n',
     call(3, "GET", "/crm/v8/Leads/{lead_id}/Notes") + meta(3, related=True)),
    ("delink-reads-no-related-lists",
     'from zohocrmsdk.src.com.zoho.crm.api.related_records import RelatedRecordsOperations\n'
     'RelatedRecordsOperations("Notes", "Leads").delink_record(5, 7)\n',
     call(2, "DELETE", "/crm/v8/Leads/7/Notes/5") + meta(2)),
    ("no-metadata-for-users", 'from zohocrmsdk.src.com.zoho.crm.api.users import UsersOperations\n'
                              'UsersOperations().get_user(5)\n',
     call(2, "GET", "/crm/v8/users/5")),
    ("wrapper-completed-at-callers", REC + 'def fetch(module):\n    return RecordOperations(module).get_records()\n'
                                           'fetch("Contacts")\nfetch("Deals")\n',
     call(4, "GET", "/crm/v8/Contacts") + meta(4) + call(5, "GET", "/crm/v8/Deals") + meta(5)),
    ("modules-hint-on-an-sdk-call",
     REC + 'def fetch(module):\n    return RecordOperations(module).get_records()  # scopeplan: modules=Leads,Deals\n',
     call(3, "GET", "/crm/v8/Deals") + call(3, "GET", "/crm/v8/Leads") + meta(3)),
    ("receiver-is-a-parameter",
     REC + 'def fetch(ops):\n    return ops.get_records()\nfetch(RecordOperations("Leads"))\n',
     call(4, "GET", "/crm/v8/Leads") + meta(4)),
    ("initialize-finds-the-user", INIT + 'token = OAuthToken(client_id="a", client_secret="b", grant_token="c")\n'
                                         'Initializer.initialize(USDataCenter.PRODUCTION(), token)\n',
     me(5)),
    ("initialize-keywords-from-api-package",
     'from zohocrmsdk.src.com.zoho.crm.api import Initializer\n'
     'def init(env, token):\n    Initializer.initialize(environment=env, token=token)\n',
     me(3)),
    ("find-user-off", INIT + 'token = OAuthToken(refresh_token="r", find_user=False)\n'
                             'Initializer.initialize(USDataCenter.PRODUCTION(), token)\n', []),
    ("user-signature-given", INIT + 'from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature\n'
                                    'token = OAuthToken(refresh_token="r", user_signature=UserSignature("a@b.c"))\n'
                                    'Initializer.switch_user(token=token)\n', []),
    # zohocrmsdk2_0 / 2_1 (import root zcrmsdk): the module is a method argument; 2.1 is the newer
    ("v2-module-as-method-argument", 'from zcrmsdk.src.com.zoho.crm.api.record import RecordOperations\n'
                                     'RecordOperations().get_records("Leads")\n',
     call(2, "GET", "/crm/v2.1/Leads", package="zohocrmsdk2_1") + meta(2, "zohocrmsdk2_1", "v2.1")),
    ("v2-id-then-module", 'from zcrmsdk.src.com.zoho.crm.api.record import RecordOperations\n'
                          'def f(i):\n    return RecordOperations().get_record(i, module_api_name="deals")\n',
     call(3, "GET", "/crm/v2.1/Deals/{i}", package="zohocrmsdk2_1") + meta(3, "zohocrmsdk2_1", "v2.1")),
    ("v2-initialize-has-no-find-user", 'from zcrmsdk.src.com.zoho.crm.api.initializer import Initializer\n'
                                       'Initializer.initialize(None, None, None)\n', []),
    # The package: the newest of the import root that has every (class, method) the project calls.
    ("a-v5-only-method-makes-the-project-v5",
     INIT + REC + 'from zohocrmsdk.src.com.zoho.crm.api.currencies import CurrenciesOperations\n'
                  'Initializer.initialize(USDataCenter.PRODUCTION(), OAuthToken(refresh_token="r"))\n'
                  'CurrenciesOperations().enable_currency(None)\nRecordOperations().get_records("Leads")\n',
     call(7, "POST", "/crm/v5/org/currencies/actions/enable", package="zohocrmsdk5_0")
     + call(8, "GET", "/crm/v5/Leads", package="zohocrmsdk5_0") + meta(8, "zohocrmsdk5_0", "v5")),
    ("module-in-the-method-under-zohocrmsdk-is-v5", REC + 'RecordOperations().get_record(3, "Leads")\n',
     call(2, "GET", "/crm/v5/Leads/3", package="zohocrmsdk5_0") + meta(2, "zohocrmsdk5_0", "v5")),
    ("a-v7-only-method-makes-the-project-v7",
     INIT + 'from zohocrmsdk.src.com.zoho.crm.api.webforms import WebformsOperations\n'
            'Initializer.initialize(USDataCenter.PRODUCTION(), OAuthToken(refresh_token="r"))\n'
            'WebformsOperations().update_web_forms(None)\n',
     # matched: the catalogue keeps every pair an earlier official SDK sends (v8 dropped PUT settings/webforms)
     me(5, "zohocrmsdk7_0", "v7") + call(6, "PUT", "/crm/v7/settings/webforms", "matched", "zohocrmsdk7_0")),
]


@pytest.fixture(scope="module")
def bundled():
    return catalogue.load()


def sites(result):
    """(line, library, method, path, status, implicit) of each call site, sorted."""
    return sorted((r.site.location.line, r.site.library, r.site.method, r.path, r.status, r.site.implicit)
                  for r in result.resolutions)


@pytest.mark.parametrize("source,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sdk_call_sites(project, bundled, source, expected):
    assert sites(project({"app/mod.py": source}, bundled)) == sorted(expected)


UNRESOLVED = [
    ("module-parameter-without-callers",
     REC + 'def fetch(module):\n    return RecordOperations(module).get_records()\n',
     "`{module}` (a parameter of `app.mod:fetch`) decides the endpoint"),
    ("module-from-the-environment", REC + 'import os\nRecordOperations(os.environ["MODULE"]).get_records()\n',
     "decides the endpoint"),
    ("module-not-given", REC + 'RecordOperations().get_records()\n',
     "`{module_api_name}` (`module_api_name` is not given to `RecordOperations.get_records()`)"),
    ("opaque-download-url", 'from zohocrmsdk.src.com.zoho.crm.api.bulk_write import BulkWriteOperations\n'
                            'def f(job):\n    BulkWriteOperations().download_bulk_write_result(job.url)\n',
     "the url comes from"),
]


@pytest.mark.parametrize("source,reason", [c[1:] for c in UNRESOLVED], ids=[c[0] for c in UNRESOLVED])
def test_unknown_values_are_unresolved_never_custom(project, bundled, source, reason):
    result = project({"app/mod.py": source}, bundled)
    written = [r for r in result.resolutions if not r.site.implicit]
    assert [r.status for r in written] == ["unresolved"]
    assert reason in written[0].reason
    assert not any("custom" in s for r in result.resolutions for s in r.scopes)


NOT_SDK = [
    ("project-class-named-like-the-sdk",
     'class RecordOperations:\n    def __init__(self, module):\n        self.module = module\n'
     '    def get_records(self):\n        return []\nRecordOperations("Leads").get_records()\n'),
    ("get-records-on-something-else", 'def f(repo, cache):\n    repo.get_records("Leads")\n    cache.get_records()\n'),
    ("same-class-name-from-another-library",
     'from mylib.ops import RecordOperations\nRecordOperations("Leads").get_records()\n'),
    ("sdk-class-not-constructed", REC + 'RecordOperations.get_records(None)\n'),
    ("sdk-helpers-send-nothing",
     'from zohocrmsdk.src.com.zoho.crm.api import ParameterMap\n'
     'from zohocrmsdk.src.com.zoho.crm.api.record import BodyWrapper, GetRecordsParam, Record\n'
     'p = ParameterMap()\np.add(GetRecordsParam.page, 1)\nb = BodyWrapper()\nb.set_data([Record()])\n'),
    ("initializer-getter", INIT + 'Initializer.get_initializer()\n'),
    ("project-initialize-method", 'class Setup:\n    @staticmethod\n    def initialize():\n        return 1\n'
                                  'Setup.initialize()\n'),
    ("response-readers", REC + 'def f(r):\n    r.get_object().get_data()\n    r.get_status()\n    r.get_details()\n'),
]


@pytest.mark.parametrize("source", [c[1] for c in NOT_SDK], ids=[c[0] for c in NOT_SDK])
def test_not_sdk_calls(project, bundled, source):
    assert sites(project({"app/mod.py": source}, bundled)) == []


def test_sdk_sites_carry_the_trace_to_the_sdk_call(project, bundled):
    result = project({"app/mod.py": REC + 'def fetch(module):\n    return RecordOperations(module).get_records()\n'
                                          '\n\nfetch("Deals")\n'}, bundled)
    traces = {tuple((t.file, t.line) for t in r.site.trace) for r in result.resolutions}
    assert traces == {(("app/mod.py", 6), ("app/mod.py", 3))}
    assert {r.site.function for r in result.resolutions} == {"app.mod:<module>"}


def test_implicit_scopes_reach_the_scope_set(project, bundled):
    result = project({"app/mod.py": INIT + REC + 'Initializer.initialize(USDataCenter.PRODUCTION(), None)\n'
                                                 'RecordOperations("Leads").get_records()\n'}, bundled)
    assert result.scope_names == ("ZohoCRM.modules.leads.READ", "ZohoCRM.org.READ", "ZohoCRM.settings.fields.READ",
                                  "ZohoCRM.settings.modules.READ", "ZohoCRM.users.READ")


def test_star_import_as_in_the_sdk_readme(project):
    """`from zohocrmsdk.src.com.zoho.crm.api.record import *` is how the SDK's own README imports."""
    result = project({"app/m.py": (
        "from zohocrmsdk.src.com.zoho.crm.api.record import *\n"
        "def leads():\n    return RecordOperations('Leads').get_records()\n")})
    explicit = [(r.site.method, r.path) for r in result.resolutions if not r.site.implicit]
    assert explicit == [("GET", "/crm/v8/Leads")]
    assert "ZohoCRM.modules.leads.READ" in result.scope_names


# Notes need the parent record's module scope too (facts §2.5): the rows beside the model
NOTE_PARENTS = [*zoho_sdk.NOTE_CASES, *zoho_sdk.NOTE_NOT_CASES]


@pytest.mark.parametrize("source,expected", [c[1:] for c in NOTE_PARENTS], ids=[c[0] for c in NOTE_PARENTS])
def test_note_parent_module(project, bundled, source, expected):
    result = project({"app/notes.py": source}, bundled)
    written = [r for r in result.resolutions if not r.site.implicit]
    assert [(r.status, r.scopes) for r in written] == [expected]
    assert written[0].path.endswith("/Notes")
    if expected[0] == "unresolved":
        assert "ZohoCRM.modules.{module}." in written[0].reason
    for scope in expected[1]:  # what is certain is in the scope set, matched or not
        assert scope in result.scope_names


VENDORED = {  # the SDK's sources inside the scanned tree, as `pip install --target` or a vendored copy leaves them
    "libs/zohocrmsdk/__init__.py": "",
    "libs/zohocrmsdk/src/com/zoho/crm/api/record/__init__.py":
        "from .record_operations import RecordOperations, GetRecordsParam\n",
    "libs/zohocrmsdk/src/com/zoho/crm/api/record/record_operations.py": (
        "class RecordOperations(object):\n    def __init__(self, module_api_name):\n"
        "        self.__module_api_name = module_api_name\n\n"
        "    def get_records(self, param_instance=None, header_instance=None):\n        return None\n\n"
        "    def delete_record(self, id, param_instance=None, header_instance=None):\n        return None\n\n\n"
        "class GetRecordsParam(object):\n    pass\n"),
}


def test_an_sdk_scanned_with_the_project_is_still_the_sdk(project, bundled, tmp_path):
    """Its classes resolve to the project's copy; they are read as the SDK's, as if installed."""
    app = {"libs/app.py": REC + 'def leads():\n    return RecordOperations("Leads").get_records()\n'
                                'def drop(i):\n    return RecordOperations(module_api_name="Deals").delete_record(i)\n'}
    expected = call(3, "GET", "/crm/v8/Leads") + meta(3) + call(5, "DELETE", "/crm/v8/Deals/{i}") + meta(5)
    assert sites(project({**VENDORED, **app}, bundled)) == sorted(expected)


def test_a_class_of_that_name_elsewhere_in_the_project_is_not_the_sdk(project, bundled):
    own = {"libs/mylib/record.py": VENDORED["libs/zohocrmsdk/src/com/zoho/crm/api/record/record_operations.py"],
           "libs/app.py": 'from mylib.record import RecordOperations\nRecordOperations("Leads").get_records()\n'}
    assert sites(project(own, bundled)) == []
