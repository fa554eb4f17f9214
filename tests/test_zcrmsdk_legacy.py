"""zcrmsdk 1.x/2.x as a table: every operation row of the wheels, the model's CASES and NOT_CASES."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scopeplan.model import Url
from scopeplan.models import zcrmsdk_legacy as legacy
from scopeplan.program.project import Project
from scopeplan.scanner import scan_source


def _sites(files: dict[str, str]):
    """(line, method, url) of every zcrmsdk 1.x/2.x site the files make, after following callers."""
    facts = [scan_source(text.encode(), Path(name)) for name in files for text in (files[name],)]
    assert all(f.error is None for f in facts), [f.error for f in facts]
    project = Project(facts)
    from scopeplan.sites.follow import call_sites

    found = call_sites(project, lambda site: isinstance(site.url, Url) and not site.url.holes)
    return sorted({(s.location.line, s.method, str(s.url)) for s in found if s.library.startswith("zcrmsdk ")})


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3].split("?")[0]


@pytest.mark.parametrize("source,expected", [c[1:] for c in legacy.CASES], ids=[c[0] for c in legacy.CASES])
def test_cases_are_this_models(source, expected):
    """The CASES (also run through the whole pipeline by test_models.py) come from this model, not another."""
    assert [(line, method, _path(url)) for line, method, url in _sites({"app.py": source})] == sorted(
        (line, method, path) for line, method, path, _status in expected)


HOSTS = [  # what `ZCRMRestClient.initialize({...})` says; Request.py adds https:// only when it is absent
    ("default", "{}", "https://www.zohoapis.com/crm/v2/Leads"),
    ("eu-and-version", '{"apiBaseUrl": "www.zohoapis.eu", "apiVersion": "v2.1"}', "https://www.zohoapis.eu/crm/v2.1/Leads"),
    ("with-scheme", '{"apiBaseUrl": "https://www.zohoapis.in"}', "https://www.zohoapis.in/crm/v2/Leads"),
]


@pytest.mark.parametrize("config,url", [h[1:] for h in HOSTS], ids=[h[0] for h in HOSTS])
def test_host_and_version_come_from_initialize(config, url):
    source = (f"from zcrmsdk import ZCRMRestClient, ZCRMModule\nZCRMRestClient.initialize({config})\n"
              'ZCRMModule.get_instance("Leads").get_records()\n')
    assert _sites({"app.py": source}) == [(3, "GET", url)]


@pytest.mark.parametrize("source", [c[1] for c in legacy.NOT_CASES], ids=[c[0] for c in legacy.NOT_CASES])
def test_not_cases(source):
    assert _sites({"app.py": source}) == []


def test_the_generated_sdk_is_the_other_models():
    """`zcrmsdk.src...` (zohocrmsdk2-0, zcrmsdk 3.x) shares the import root: its calls are zoho_sdk's, not ours."""
    source = 'from zcrmsdk.src.com.zoho.crm.api.record import RecordOperations\nRecordOperations().get_records("Leads")\n'
    assert _sites({"app.py": source}) == []


# -- every row of the table, from the wheels: construct the object, call the method, compare the path -------

def _rows():
    for version, package in legacy.table()["packages"].items():
        for cls, row in package["classes"].items():
            for method, spec in row["methods"].items():
                for request in spec["requests"]:
                    yield pytest.param(version, cls, method, request, id=f"{version}-{cls}.{method}-{request['http_method']}")


def _object_for(fields: list[str], version: str, values: dict, prefix: str) -> str:
    """Source that builds an SDK object whose `fields` hold distinct literals (recorded in `values`)."""
    classes = legacy.table()["packages"][version]["classes"]
    preferred = ["ZCRMRecord", "ZCRMJunctionRecord", "ZCRMModule", "ZCRMTag", "ZCRMUser"]
    for name in preferred + sorted(classes):
        row = classes.get(name)
        if row and all(f in row["fields"] for f in fields) and all(
                row["fields"][f].count(".") == 1 for f in fields):
            args = []
            for param in row["constructor"]:
                literal = f"{prefix}_{param}"
                for f in fields:
                    if row["fields"][f] == f"ctor.{param}":
                        values[f] = literal
                args.append(repr(literal))
            return f"zcrmsdk.{_where(row)}{name}({', '.join(args)})"
    raise AssertionError(f"no SDK class has the fields {fields}")


def _where(row: dict) -> str:
    return "Handler." if row["file"] == "Handler.py" else ""


def _call_source(version: str, cls: str, method: str, request: dict) -> tuple[str, str]:
    """(source, expected path) for one table row; each placeholder gets its own literal."""
    row = legacy.table()["packages"][version]["classes"][cls]
    spec = row["methods"][method]
    wanted = {h["name"] for h in request["placeholders"]}
    expected = {}

    def value(source: str, param: str) -> str:
        fields = sorted({n.split(".", 2)[2] for n in wanted if n.startswith(f"{source}.{param}.")})
        if fields:
            found: dict = {}
            text = _object_for(fields, version, found, f"{source}_{param}")
            for f in fields:
                expected[f"{source}.{param}.{f}"] = found[f]
            return text
        expected[f"{source}.{param}"] = f"{source}_{param}"
        return repr(f"{source}_{param}")

    ctor = ", ".join(value("ctor", p) for p in row["constructor"])
    args = ", ".join(value("arg", p) for p in spec["params"])
    source = f"import zcrmsdk\nobj = zcrmsdk.{_where(row)}{cls}({ctor})\nobj.{method}({args})\n"
    path = re.sub(r"\{([\w.]+)\}", lambda m: expected.get(m.group(1), "{%s}" % m.group(1).rsplit(".", 1)[-1]),
                  request["path"])
    return source, path + ("?" + request["query"] if request["query"] else "")


@pytest.mark.parametrize("version,cls,method,request_row", list(_rows()))
def test_every_table_row(version, cls, method, request_row):
    source, path = _call_source(version, cls, method, request_row)
    found = [s for s in _sites({"row.py": source}) if s[1] == request_row["http_method"]]
    urls = {url.split("/crm/v2/", 1)[1] for _line, _method, url in found}
    assert path in urls, source


def test_the_table_names_where_each_row_came_from():
    for version, package in legacy.table()["packages"].items():
        for cls, row in package["classes"].items():
            assert row["file"].endswith(".py") and row["line"] > 0
            for spec in row["methods"].values():
                assert spec["line"] > 0 and all(r["handler_line"] > 0 for r in spec["requests"])


def test_the_hidden_calls_are_zoho_accounts_not_crm():
    """Token refresh and the grant-token user lookup go to Zoho Accounts; only the latter needs a scope."""
    for package in legacy.table()["packages"].values():
        calls = {c["function"].rsplit(".", 1)[1]: c for c in package["implicit_calls"]}
        assert calls["refresh_access_token"]["path"] == "/oauth/v2/token" and calls["refresh_access_token"]["scope"] is None
        assert calls["get_user_email_from_iam"]["scope"].lower() == "aaaserver.profile.read"


def test_both_lines_call_v2_by_default():
    assert {p["api_version_default"] for p in legacy.table()["packages"].values()} == {"v2"}


VENDORED_OPERATIONS = '''class ZCRMModule(object):
    def __init__(self, module_apiname):
        self.api_name = module_apiname

    @staticmethod
    def get_instance(module_apiname):
        return ZCRMModule(module_apiname)

    def get_records(self, page=1):
        return MassEntityAPIHandler.get_instance(self).get_records(page)
'''


def test_a_vendored_copy_of_the_sdk_is_read_at_the_project_s_calls_only():
    """2018 code often shipped the SDK in its tree: its classes are project classes, read by their __init__."""
    files = {"zcrmsdk/__init__.py": "", "zcrmsdk/Operations.py": VENDORED_OPERATIONS,
             "app.py": 'from zcrmsdk.Operations import ZCRMModule\nZCRMModule.get_instance("Leads").get_records()\n'}
    assert _sites(files) == [(2, "GET", "https://www.zohoapis.com/crm/v2/Leads")]


def test_a_package_that_stars_the_sdk_offers_its_names():
    """`from zcrmsdk import *` in a package's `__init__.py`: `from crm import ZCRMModule` is the SDK's class."""
    files = {"crm/__init__.py": "from zcrmsdk import *\n",
             "app.py": 'from crm import ZCRMModule\nZCRMModule.get_instance("Leads").get_records()\n'}
    assert _sites(files) == [(2, "GET", "https://www.zohoapis.com/crm/v2/Leads")]
