"""The prefilter loses nothing: plans with and without it are equal; its byte tests, as tables."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest

import scopeplan.plan as plan_module
from scopeplan import catalogue
from scopeplan.report import json_report
from scopeplan.scanner import parallel, prefilter, scan

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_projects").iterdir() if p.is_dir())
H = "https://www.zohoapis.com"

# A tree where most files are not Zoho code, and the ones that are reach each other in every way the
# resolver follows. SITES are files a call site must be reported in although they hold no Zoho
# literal (most of them no HTTP import either): a one-literal prefilter would lose each of them.
TRICKY = {
    "src/shop/__init__.py": "",
    "src/shop/settings.py": f'API = "{H}/crm/v8"\nTIMEOUT = 30\n',
    "src/shop/paths.py": f'ROOT = "{H}/crm/v8"\n',
    # a wrapper module with no Zoho literal, called from another module
    "src/shop/wrapper.py": """
        import httpx
        from shop.settings import API as BASE

        def call(path, method="GET"):
            return httpx.request(method, BASE + path)
    """,
    "src/shop/jobs/__init__.py": "",
    "src/shop/jobs/leads.py": """
        from shop.wrapper import call

        def sync():
            call("/Leads")
            call("/Deals/1", "DELETE")
    """,
    # a wrapper of the wrapper, and its caller two files away
    "src/shop/jobs/relay.py": """
        from ..wrapper import call

        def fetch(module):
            return call("/" + module)
    """,
    "src/shop/jobs/nightly.py": """
        from shop.jobs import relay

        def run():
            relay.fetch("Contacts")
    """,
    # a module-level client object imported elsewhere
    "src/shop/clients.py": """
        import httpx
        from shop.paths import ROOT

        client = httpx.Client(base_url=ROOT)
    """,
    "src/shop/users.py": """
        from shop.clients import client

        def users():
            return client.get("/users")
    """,
    # a file that only imports a constant from the Zoho-mentioning settings module
    "src/shop/org.py": """
        import requests
        from shop.settings import API

        def org():
            return requests.get(API + "/org")
    """,
    "src/shop/orgs_guess.py": """
        from shop.settings import API

        def org(session):
            return session.get(API + "/org")
    """,
    # the module itself imported, its constant used by attribute
    "src/shop/module_object.py": """
        import shop.settings
        from shop import settings as s
        from shop import wrapper

        def two():
            wrapper.call(shop.settings.API.replace(API_TAIL, "") + "/Leads")
            return wrapper.call(s.API)

        API_TAIL = "/crm/v8"
    """,
    # a base class with the HTTP call; the subclass elsewhere sets the URL
    "src/shop/base.py": """
        import requests

        class Api:
            BASE = ""

            def get(self, path):
                return requests.get(self.BASE + path)
    """,
    "src/shop/sub.py": """
        from shop.base import Api
        from shop.settings import API

        class Zoho(Api):
            BASE = API

        def leads():
            return Zoho().get("/Leads")
    """,
    # a file whose only Zoho trace is a `crm` path segment, split from its host
    "src/shop/relative.py": """
        import httpx

        def notes(client: httpx.Client):
            return client.get("crm/v8/Notes")
    """,
    # a relevant file that does not parse: its error must be reported with or without the prefilter
    "src/shop/broken.py": 'URL = "https://www.zohoapis.com/crm/v8/Leads"\ndef oops(:\n',
    # a bad hint comment in a file with no Zoho code: reported either way
    "src/shop/hinted.py": "x = 1  # scopeplan: bogus\n",
    # noise: names that collide, prose that mentions imports, CSS, doctests, urllib.parse
    "src/noise/__init__.py": "",
    "src/noise/settings.py": 'DEBUG = True\nAPI = "https://example.com/api"\n',
    "src/noise/css.py": 'STYLE = """@import url("theme.css");"""\n',
    "src/noise/doc.py": '''
        def helper():
            """Use it like this:

            >>> import requests
            >>> requests.get(url)
            """
            return 1
    ''',
    "src/noise/urls.py": """
        from urllib.parse import urljoin, quote

        def link(base, page):
            # requests for this page are rare
            return urljoin(base, quote(page))
    """,
    **{f"src/noise/gen/m{i}.py": f"from noise.gen import m{max(i - 1, 0)}\nVALUE = {i}\n" for i in range(12)},
    "src/noise/gen/__init__.py": "",
}


SITES = {"src/shop/jobs/leads.py", "src/shop/jobs/nightly.py", "src/shop/users.py", "src/shop/org.py",
         "src/shop/orgs_guess.py", "src/shop/module_object.py", "src/shop/sub.py"}


def build(root: Path, files: dict[str, str] = TRICKY) -> Path:
    """Write a tree of {relative path: source} under root."""
    for name, source in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source))
    return root


@pytest.fixture(scope="module")
def bundled():
    return catalogue.load()


def render(root: Path, cat, monkeypatch, **options) -> str:
    """The JSON report of a plan whose scan runs with the given options."""
    monkeypatch.setattr(plan_module, "scan", functools.partial(scan, **options))
    return json_report.render(plan_module.plan(root, cat))


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_plan_equal_with_and_without_prefilter(sample, bundled, monkeypatch):
    full = render(sample, bundled, monkeypatch, prefilter=False, use_cache=False)
    assert render(sample, bundled, monkeypatch, prefilter=True, use_cache=False) == full


def test_tricky_tree_plan_equal_with_and_without_prefilter(tmp_path, bundled, monkeypatch):
    root = build(tmp_path)
    full = render(root, bundled, monkeypatch, prefilter=False, use_cache=False)
    assert render(root, bundled, monkeypatch, prefilter=True, use_cache=False) == full
    report = __import__("json").loads(full)
    sited = {site["file"] for site in report["call_sites"]}
    assert SITES <= sited, "the tree no longer exercises the cross-file cases"
    assert "src/shop/broken.py" in {e["file"] for e in report["errors"]}
    assert "src/shop/hinted.py" in {p["file"] for p in report["problems"]}  # an unknown hint: the file was analysed


def parsed_files(monkeypatch) -> list[str]:
    """The paths every later scan hands to the parse workers, in order."""
    parsed: list[str] = []
    real = parallel.parse_all

    def spy(jobs, workers=0, done=None):
        parsed.extend(str(relative.as_posix()) for _, relative in jobs)
        return real(jobs, workers, done)

    monkeypatch.setattr(parallel, "parse_all", spy)
    return parsed


def test_prefilter_skips_files_that_cannot_matter(tmp_path, monkeypatch):
    root = build(tmp_path)
    parsed = parsed_files(monkeypatch)
    facts = scan(root, use_cache=False)
    assert len(facts) == len(TRICKY)
    noise = {name for name in TRICKY if name.startswith("src/noise/")}
    assert not noise & set(parsed)
    assert "src/shop/jobs/nightly.py" in parsed


def equal_sites(root: Path, cat, monkeypatch) -> set[tuple[str, str]]:
    """(file, path) of each call site, once the plans with and without the prefilter are found equal."""
    full = render(root, cat, monkeypatch, prefilter=False, use_cache=False)
    assert render(root, cat, monkeypatch, prefilter=True, use_cache=False) == full
    return {(s["file"], s["path"]) for s in __import__("json").loads(full)["call_sites"]}


def test_reexports_plan_equal_with_and_without_prefilter(tmp_path, bundled, monkeypatch):
    """Names a package's `__init__.py` imports, used under another name, from files that name no Zoho."""
    from test_scanner import CLIENT

    root = build(tmp_path, {
        "vendor/crm/client.py": CLIENT,
        "vendor/crm/__init__.py": "from .client import (\n    Client,  # the one to use\n    fetch,\n)\n"
                                  "from vendor.crm.client import BASE as API\n",
        "vendor/__init__.py": "from .crm import fetch as get, Client as Api\n",
        "app/jobs.py": 'from vendor import get\n\ndef deals():\n    return get("Deals")\n',
        "app/one.py": 'import requests\nimport vendor.crm as remote\n\ndef f():\n    return requests.get(remote.API + "/Tasks")\n',
        "app/two.py": 'from vendor import Api\n\ndef f():\n    return Api().get("Leads")\n',
    })
    sites = equal_sites(root, bundled, monkeypatch)
    assert {("app/jobs.py", "/crm/v2/Deals"), ("app/one.py", "/crm/v2/Tasks"), ("app/two.py", "/crm/v2/Leads")} <= sites


def test_star_reexports_plan_equal_with_and_without_prefilter(tmp_path, bundled, monkeypatch):
    """`from .client import *` in a package's `__init__.py`, then the names used from files that name no Zoho."""
    from test_scanner import CLIENT

    root = build(tmp_path, {
        "vendor/crm/client.py": CLIENT,
        "vendor/crm/__init__.py": "from .client import *\n",
        "vendor/__init__.py": "from vendor.crm import *\n",
        "app/jobs.py": 'from vendor import fetch\n\ndef deals():\n    return fetch("Deals")\n',
        "app/two.py": 'import vendor.crm\n\ndef f():\n    return vendor.crm.Client().get("Leads")\n',
        "app/noise.py": 'from vendor import VERSION\n\ndef f():\n    return VERSION\n',
    })
    sites = equal_sites(root, bundled, monkeypatch)
    assert {("app/jobs.py", "/crm/v2/Deals"), ("app/two.py", "/crm/v2/Leads")} <= sites
    parsed = parsed_files(monkeypatch)
    scan(root, use_cache=False)
    assert "app/jobs.py" in parsed and "app/noise.py" not in parsed  # noise uses no name the stars bring


def test_a_package_starring_an_http_library_is_followed_by_the_prefilter(tmp_path, bundled, monkeypatch):
    """`from requests import *` in `vendor/__init__.py`: a wrapper calling `vendor.get` is found (through the
    closure: the seed calling the wrapper reads it), a file taking only a private name of `vendor` is not."""
    root = build(tmp_path, {
        "vendor/__init__.py": "from requests import *\n",
        "app/wrap.py": "from vendor import get\n\ndef fetch(url):\n    return get(url)\n",
        "app/sync.py": f'from app.wrap import fetch\n\ndef leads():\n    return fetch("{H}/crm/v2/Leads")\n',
        "app/noise.py": "from vendor import _private\n\ndef f():\n    return _private\n",
    })
    assert ("app/sync.py", "/crm/v2/Leads") in equal_sites(root, bundled, monkeypatch)
    parsed = parsed_files(monkeypatch)
    scan(root, use_cache=False)
    assert "app/wrap.py" in parsed and "app/noise.py" not in parsed


def test_keyword_and_attribute_names_are_not_followed_as_modules(tmp_path, monkeypatch):
    """`timeout=` on its own line and `self.session` name no module: a module whose name ends so is not parsed
    (the resolver looks names up by their tail, so either would have reached `vendor/http/timeout.py`)."""
    files = {
        "app/crm.py": f"""\
            import requests

            class Client:
                def __init__(self):
                    self.session = requests.Session()

                def leads(self):
                    return self.session.get(
                        "{H}/crm/v2/Leads",
                        timeout=10,
                    )
            """,
        "vendor/http/timeout.py": "DEFAULT = 3\n",
        "vendor/http/session.py": "class Session:\n    pass\n",
    }
    root = build(tmp_path, files)
    parsed = parsed_files(monkeypatch)
    scan(root, use_cache=False)
    assert parsed == ["app/crm.py"]


def test_a_tree_without_zoho_parses_nothing(tmp_path, monkeypatch):
    noise = {k: v for k, v in TRICKY.items() if k.startswith("src/noise/")}
    root = build(tmp_path, noise)
    monkeypatch.setattr(parallel, "parse_all", lambda *a, **k: pytest.fail("nothing should be parsed"))
    facts = scan(root, use_cache=False)
    assert {f.path for f in facts} == set(noise) and all(f.error is None for f in facts)


# -- the byte tests ------------------------------------------------------------------------------------

# HTTP alone makes no seed: an unknown URL with no sign of Zoho is not reported (plan._about_zoho), and a
# wrapper module that only speaks HTTP is reached from the Zoho files that use it.
SEEDS = [
    ("zoho-host", f'URL = "{H}/crm/v2"', True),
    ("crm-segment-only", 'PATH = "/crm/v8/Leads"', True),
    ("crm-at-string-end", 'BASE = host + "/crm"', True),
    ("zcrmsdk", "from zcrmsdk.src.com.zoho.crm.api.record import RecordOperations", True),
    ("requests", "import requests\nrequests.get(u)", False),
    ("httpx-from", "from httpx import AsyncClient", False),
    ("urlopen", "from urllib.request import urlopen", False),
    ("urllib-request-module", "import urllib.request\nurllib.request.urlopen(u)", False),
    ("hint-comment", "x = f()  # scopeplan: ignore", True),
    ("plain", "import os\nprint(os.getcwd())", False),
    ("crm-inside-a-word", 'TABLE = "test_crmo"', False),
    ("crm-as-a-word-part", "def sync_crm_leads(url): pass", True),
    ("urllib-parse", "import urllib.parse\nurllib.parse.quote(x)", False),
    ("urllib-parse-with-words", "import urllib.parse\nHttpRequest = request = 1", False),
    ("requests-as-a-word", "# handles incoming requests\nx = 1", False),
    ("doctest", '"""\n>>> import requests\n"""', False),
]


@pytest.mark.parametrize("source,expected", [(s, e) for _, s, e in SEEDS], ids=[i for i, _, _ in SEEDS])
def test_seed(source, expected):
    assert prefilter.summarise(source.encode(), "pkg.mod", False).seed is expected


IMPORTS = [
    ("plain", "import os, sys as system", {"os", "sys"}),
    ("dotted-binds-head", "import a.b.c as d", {"a", "a.b.c"}),
    ("from", "from x.y import z", {"x.y.z"}),
    ("relative", "from . import sibling", {"top.pkg.sibling"}),
    ("relative-up", "from ..other import thing", {"top.other.thing"}),
    ("relative-no-space", "from.rel import thing", {"top.pkg.rel.thing"}),
    ("star", "from x import *", {"x"}),
    ("parens-with-comment", "from x import (a,  # see f(y)\n    b)", {"x.a", "x.b"}),
    ("backslash", "from q \\\n    import r, \\\n    s", {"q.r", "q.s"}),
    ("after-colon", "if TYPE_CHECKING: import requests", {"requests"}),
    ("after-semicolon", "x = 1; from a import b", {"a.b"}),
    ("in-function", "def f():\n    import json\n    return json", {"json"}),
    ("after-a-commented-out-one", "# from old import (a,\n#     b)\nfrom new import (c,\n    d)\n", {"new.c", "new.d"}),
    ("css-import-ignored", 'CSS = "@import url(x.css)"', set()),
    ("doctest-ignored", '""">>> import urllib3"""', set()),
]


@pytest.mark.parametrize("source,expected", [(s, e) for _, s, e in IMPORTS], ids=[i for i, _, _ in IMPORTS])
def test_imports(source, expected):
    found = set(prefilter.imports(source.encode(), "top.pkg.mod", False))
    assert expected <= found
    if not expected:
        assert not found


def test_kept_names_are_parsed_whatever_they_hold(tmp_path, monkeypatch):
    root = build(tmp_path, {"app/__init__.py": "", "app/jobs.py": "def nightly():\n    return 1\n"})
    facts = {f.path: f for f in scan(root, use_cache=False, keep=["app.jobs:nightly"])}
    assert [fn.qualname for fn in facts["app/jobs.py"].functions] == ["app.jobs:nightly"]
    assert not {f.path: f for f in scan(root, use_cache=False)}["app/jobs.py"].functions


# The scanned folder is itself a package (`shop/__init__.py`), imported by its own name; the wrapper file
# speaks only tornado (no Zoho literal) and gets its sender as a plain function kept on an object.
PACKAGE = {
    "__init__.py": "",
    "settings.py": 'BASE = "https://crm.zoho.com/crm/private/json"\n',
    "transport.py": """
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        class Transport:
            def __init__(self, *, send):
                self._send = send

            async def call(self, method, url):
                return await self._send(method, url)

        async def send(method, url):
            return await AsyncHTTPClient().fetch(HTTPRequest(url, method=method))
    """,
    "records.py": """
        from shop.settings import BASE
        from shop.transport import Transport, send

        class Records:
            def __init__(self):
                self._t = Transport(send=send)

            async def leads(self):
                return await self._t.call("GET", BASE + "/Leads/getRecords")
    """,
}


def test_a_package_root_with_tornado_plan_equal_with_and_without_prefilter(tmp_path, bundled, monkeypatch):
    root = tmp_path / "shop"
    for name, source in PACKAGE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(source))
    full = render(root, bundled, monkeypatch, prefilter=False, use_cache=False)
    assert render(root, bundled, monkeypatch, prefilter=True, use_cache=False) == full
    sites = __import__("json").loads(full)["call_sites"]
    assert [(s["file"], s["line"], s["method"], s["status"]) for s in sites] == [
        ("records.py", 10, "GET", "deprecated")]
    assert "tornado" in prefilter._http_names()  # the prefilter reads the models' tornado rows
