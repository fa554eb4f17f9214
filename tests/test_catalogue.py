"""Loading catalogues: Zoho's own format loads; every malformed entry is named; the CLI exits 3."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import DOC_CATALOGUE, ROOT
from scopeplan import catalogue
from scopeplan.catalogue import CatalogueError, parse
from scopeplan.cli import main


def test_doc_fixture_loads_as_a_file_catalogue():
    cat = catalogue.load(str(DOC_CATALOGUE))
    assert (cat.source, cat.api_version, cat.derived) == ("file", "v7", False)
    assert len(cat.endpoints) == 17
    assert cat.digest.startswith("sha256:") and len(cat.digest) == 7 + 64


def test_bundled_is_v8_and_derived():
    cat = catalogue.load()
    assert (cat.source, cat.api_version, cat.derived) == ("bundled", "v8", True)


def test_digest_ignores_order_and_formatting():
    doc = json.loads(DOC_CATALOGUE.read_bytes())
    shuffled = {"__apis": list(reversed(doc["__apis"]))}
    a = parse(DOC_CATALOGUE.read_bytes(), source="file", origin="a")
    b = parse(json.dumps(shuffled, indent=4).encode(), source="file", origin="b")
    assert a.digest == b.digest
    doc["__apis"][0]["operation_types"][0]["max_credits"] += 1
    assert parse(json.dumps(doc).encode(), source="file", origin="c").digest != a.digest


def _entry(**op):
    base = {"method": "GET", "oauth_scope": "ZohoCRM.modules.leads.READ", "min_credits": 1, "max_credits": 1}
    base.update(op)
    return {"__apis": [{"path": "/crm/v8/Leads", "operation_types": [{k: v for k, v in base.items() if v is not None}]}]}


BAD = [
    ("not-json", b"{nope", "not valid JSON"),
    ("no-apis-key", b'{"apis": []}', "`__apis` list"),
    ("empty", b'{"__apis": []}', "`__apis` is empty"),
    ("entry-not-object", b'{"__apis": [3]}', "entry 0: expected an object"),
    ("no-path", b'{"__apis": [{"operation_types": []}]}', "entry 0: `path`"),
    ("no-operations", b'{"__apis": [{"path": "/crm/v8/Leads"}]}', "entry 0 (/crm/v8/Leads): `operation_types`"),
    ("bad-method", json.dumps(_entry(method="FETCH")).encode(), "bad method 'FETCH'"),
    ("missing-scope", json.dumps(_entry(oauth_scope=None)).encode(), "missing key `oauth_scope`"),
    ("bad-scope", json.dumps(_entry(oauth_scope="leads")).encode(), "bad oauth_scope 'leads'"),
    ("negative-credits", json.dumps(_entry(min_credits=-1)).encode(), "`min_credits` must be a non-negative"),
    ("min-above-max", json.dumps(_entry(min_credits=5)).encode(), "min_credits 5 is above max_credits 1"),
]


@pytest.mark.parametrize("data,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_catalogue_names_the_problem(data, message):
    with pytest.raises(CatalogueError, match=None) as info:
        parse(data, source="file", origin="x.json")
    assert message in str(info.value)
    assert str(info.value).startswith("catalogue x.json")


@pytest.mark.parametrize("data,message", [BAD[6][1:], BAD[0][1:]], ids=["bad-method", "not-json"])
def test_cli_exits_3_with_one_line_and_no_traceback(tmp_path, data, message):
    bad = tmp_path / "apis.json"
    bad.write_bytes(data)
    result = CliRunner().invoke(main, ["scan", str(ROOT / "sample_projects" / "eu_aiohttp"), "--catalogue", str(bad)])
    assert result.exit_code == 3
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_catalogue_file(tmp_path):
    with pytest.raises(CatalogueError, match="no such file"):
        catalogue.load(str(tmp_path / "missing.json"))
