"""The scanner as tables: (source, expected call sites), and sources that must yield no call site."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import rows

H = "https://www.zohoapis.com"
LEADS = "ZohoCRM.modules.leads.READ"

CASES = [
    ("requests-literal", f'import requests\nrequests.get("{H}/crm/v2/Leads")\n',
     [("GET", "/crm/v2/Leads", "matched", (LEADS,))]),
    ("requests-from-import-fstring-hole",
     f'from requests import put\ndef f(lead_id):\n    put(f"{H}/crm/v2/Leads/{{lead_id}}", json={{}})\n',
     [("PUT", "/crm/v2/Leads/{lead_id}", "matched", ("ZohoCRM.modules.leads.UPDATE",))]),
    ("requests-request-method-first", f'import requests\nrequests.request("DELETE", "{H}/crm/v3/Leads/7")\n',
     [("DELETE", "/crm/v3/Leads/7", "matched", ("ZohoCRM.modules.leads.DELETE",))]),
    ("requests-session-local",
     f'import requests\ns = requests.Session()\ns.get("{H}/crm/v2/users", params={{"type": "AllUsers"}})\n',
     [("GET", "/crm/v2/users", "matched", ("ZohoCRM.users.READ",))]),
    ("session-on-self-and-class-attribute", f'''
import requests
class Zoho:
    BASE = "{H}/crm/v2"
    def __init__(self):
        self.session = requests.Session()
    def org(self):
        return self.session.get(self.BASE + "/org").json()
''', [("GET", "/crm/v2/org", "matched", ("ZohoCRM.org.READ",))]),
    ("httpx-client-base-url", f'''
import httpx
client = httpx.Client(base_url="{H}/crm/v8", timeout=10)
def leads():
    return client.get("/Leads", params={{"page": 1}})
''', [("GET", "/crm/v8/Leads", "matched", (LEADS,))]),
    ("httpx-async-with", f'''
import httpx
async def deals():
    async with httpx.AsyncClient(base_url="{H}/crm/v7/") as c:
        return await c.get("Deals")
''', [("GET", "/crm/v7/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("aiohttp-session", '''
import aiohttp
API = "https://www.zohoapis.eu/crm/v2.1"
async def add(lead):
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{API}/Leads", json={"data": [lead]}) as resp:
            return await resp.json()
''', [("POST", "/crm/v2.1/Leads", "matched", ("ZohoCRM.modules.leads.CREATE",))]),
    ("urllib-urlopen", f'import urllib.request\nurllib.request.urlopen("{H}/crm/v2/org")\n',
     [("GET", "/crm/v2/org", "matched", ("ZohoCRM.org.READ",))]),
    ("urllib-request-object", f'''
from urllib.request import Request, urlopen
def delete(i):
    req = Request(f"{H}/crm/v2/Leads/{{i}}", method="DELETE")
    return urlopen(req)
''', [("DELETE", "/crm/v2/Leads/{i}", "matched", ("ZohoCRM.modules.leads.DELETE",))]),
    ("urllib3-poolmanager", f'import urllib3\nhttp = urllib3.PoolManager()\nhttp.request("GET", "{H}/crm/v2/Deals")\n',
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("percent-format", f'import requests\nBASE = "{H}/crm/v2"\ndef f(i):\n    requests.get("%s/Deals/%s" % (BASE, i))\n',
     [("GET", "/crm/v2/Deals/{i}", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("str-format-constant-template",
     f'import requests\nURL = "{H}/crm/v2/{{module}}/{{id}}"\ndef f(i):\n    requests.get(URL.format(module="Leads", id=i))\n',
     [("GET", "/crm/v2/Leads/{i}", "matched", (LEADS,))]),
    ("urljoin", f'from urllib.parse import urljoin\nimport requests\nB = "{H}/crm/v2/"\nrequests.get(urljoin(B, "Leads"))\n',
     [("GET", "/crm/v2/Leads", "matched", (LEADS,))]),
    ("slash-join", f'import requests\nB = "{H}/crm/v2"\ndef f(i):\n    requests.delete("/".join([B, "Leads", i]))\n',
     [("DELETE", "/crm/v2/Leads/{i}", "matched", ("ZohoCRM.modules.leads.DELETE",))]),
    ("default-parameter", f'import requests\ndef org(url="{H}/crm/v2" + "/org"):\n    return requests.get(url)\n',
     [("GET", "/crm/v2/org", "matched", ("ZohoCRM.org.READ",))]),
    ("query-string-stripped", f'import requests\nrequests.get("{H}/crm/v2/Leads/search?criteria=(Email:equals:a)")\n',
     [("GET", "/crm/v2/Leads/search", "matched", (LEADS, "ZohoSearch.securesearch.READ"))]),
    ("sandbox-host", 'import requests\nrequests.get("https://sandbox.zohoapis.com.au/crm/v6/org")\n',
     [("GET", "/crm/v6/org", "matched", ("ZohoCRM.org.READ",))]),
    ("unknown-host-variable", 'import requests\ndef f(api_domain):\n    requests.get(f"{api_domain}/crm/v2/users")\n',
     [("GET", "/crm/v2/users", "matched", ("ZohoCRM.users.READ",))]),
    ("legacy-v1", 'import requests\nrequests.get("https://crm.zoho.com/crm/private/json/Leads/getRecords?scope=crmapi")\n',
     [("GET", "/crm/private/json/Leads/getRecords", "deprecated", ())]),
    ("custom-module", f'import requests\nrequests.get("{H}/crm/v2/Shipments/5")\n',
     [("GET", "/crm/v2/Shipments/5", "matched", ("ZohoCRM.modules.custom.READ",))]),
    ("system-module-through-module-template", f'import requests\nrequests.get("{H}/crm/v2/Contacts/5")\n',
     [("GET", "/crm/v2/Contacts/5", "matched", ("ZohoCRM.modules.contacts.READ",))]),
    ("literal-beats-module-template", f'import requests\nrequests.get("{H}/crm/v2/users")\n',
     [("GET", "/crm/v2/users", "matched", ("ZohoCRM.users.READ",))]),
    ("loop-over-literal-modules", f'import requests\nfor m in ("Leads", "Deals"):\n    requests.get(f"{H}/crm/v2/{{m}}")\n',
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",)),
      ("GET", "/crm/v2/Leads", "matched", (LEADS,))]),
    ("method-not-in-catalogue", f'import requests\nrequests.patch("{H}/crm/v2/Deals/1")\n',
     [("PATCH", "/crm/v2/Deals/1", "unmatched", ())]),
    ("unknown-endpoint", f'import requests\nrequests.get("{H}/crm/v2/settings/nothing_here")\n',
     [("GET", "/crm/v2/settings/nothing_here", "unmatched", ())]),
    ("or-takes-the-default-when-the-left-is-left-at-none", f'''
import requests
class Client:
    def __init__(self, base_url=None):
        self.base_url = base_url
    def org(self):
        return requests.get((self.base_url or "{H}/crm/v2") + "/org")
Client().org()
''', [("GET", "/crm/v2/org", "matched", ("ZohoCRM.org.READ",))]),
]


@pytest.mark.parametrize("source,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_call_sites(project, source, expected):
    assert sorted(rows(project({"app/mod.py": source}))) == sorted(expected)


UNRESOLVED = [
    ("url-parameter", 'import requests\ndef _get(url):\n    return requests.get(url)\n',
     "`url` (a parameter of `app.zoho_api:_get`)"),
    ("method-parameter", f'import requests\ndef call(method):\n    return requests.request(method, "{H}/crm/v2/Leads")\n',
     "HTTP method comes from `method`"),
    ("dynamic-module", f'import requests\ndef get(module):\n    return requests.get(f"{H}/crm/v2/{{module}}")\n',
     "`{module}` (a parameter of `app.zoho_api:get`) decides the endpoint"),
    ("unknown-base", 'import requests\nimport config\ndef f():\n    return requests.get(config.base() + "/Leads")\n',
     "the start of the url comes from"),
    ("list-appended-to-under-many-ifs", 'import requests\ndef f(flags):\n    parts = ["' + H + '/crm/v2"]\n'
     + "".join(f'    if flags[{i}]:\n        parts.append("p{i}")\n' for i in range(12))
     + '    return requests.get("/".join(parts))\n', "a join of values only known at run time"),
]


@pytest.mark.parametrize("source,reason", [c[1:] for c in UNRESOLVED], ids=[c[0] for c in UNRESOLVED])
def test_unresolved_sites_say_why(project, source, reason):
    result = project({"app/zoho_api.py": source})
    assert [r.status for r in result.resolutions] == ["unresolved"]
    assert reason in result.resolutions[0].reason


NOT_CALLS = [
    ("cache-get", f'URL = "{H}/crm/v2/Leads"\ncache = {{}}\ndef f():\n    return cache.get(URL)\n'),
    ("environ-get", 'import os\nos.environ.get("ZOHO_API_DOMAIN", "https://www.zohoapis.com/crm/v2")\n'),
    ("dict-get", f'd = {{"a": 1}}\nd.get("{H}/crm/v2/Leads")\n'),
    ("oauth-token", 'import requests\nrequests.post("https://accounts.zoho.com/oauth/v2/token", data={})\n'),
    ("zoho-books", 'import requests\nrequests.get("https://www.zohoapis.com/books/v3/invoices")\n'),
    ("zoho-desk", 'import requests\nrequests.get("https://desk.zoho.com/api/v1/tickets")\n'),
    ("hubspot-crm-path", 'import requests\nrequests.get("https://api.hubapi.com/crm/v3/objects/contacts")\n'),
    ("url-never-called", f'LEADS = "{H}/crm/v2/Leads"\nprint(LEADS)\n'),
    ("own-get-method", 'class Repo:\n    def get(self, key):\n        return key\n    def f(self):\n        return self.get("Leads")\n'),
    ("logger", f'import logging\nlog = logging.getLogger(__name__)\nlog.info("{H}/crm/v2/Leads")\n'),
]


@pytest.mark.parametrize("source", [c[1] for c in NOT_CALLS], ids=[c[0] for c in NOT_CALLS])
def test_not_zoho_crm_call_sites(project, source):
    assert rows(project({"app/mod.py": source})) == []


def test_appends_under_ifs_do_not_multiply_the_facts():
    """Each `if x: parts.append(...)` doubles the lists `parts` may be; past 32 it is one unknown list."""
    import pickle

    from scopeplan.scanner import scan_source

    body = "".join(f"    if flags[{i}]:\n        parts.append('p{i}')\n" for i in range(14))
    facts = scan_source(f"def f(flags):\n    parts = []\n{body}    return parts\n".encode(), Path("app/m.py"))
    assert len(pickle.dumps(facts)) < 20_000  # 2**14 lists otherwise
    assert "may be built in more than 32 ways" in repr(facts.functions[0].returns)


@pytest.mark.parametrize("expression, values", [
    ('BASE or "https://mail.zoho.com"', ["https://mail.zoho.com"]),  # `None` is falsy: the right
    ('OTHER or "https://mail.zoho.com"', ["https://www.zohoapis.com"]),  # a non-empty string: the left
    ('FLAG or "b"', ["b"]),
    ('os.environ.get("URL") or "https://mail.zoho.com"', [None, "https://mail.zoho.com"]),  # run time decides
])
def test_or_is_its_left_unless_the_left_is_falsy(expression, values):
    from scopeplan.program.project import EMPTY, Project
    from scopeplan.program.spelled import literal
    from scopeplan.scanner import scan_source
    from scopeplan.scanner.ir import Glob

    source = f'import os\nBASE = None\nFLAG = False\nOTHER = "https://www.zohoapis.com"\nA = {expression}\n'
    project = Project([scan_source(source.encode(), Path("app/m.py"))])
    assert [literal(t) for t in project.strings(Glob("app.m.A"), EMPTY, 0)] == values


def test_or_takes_its_right_when_the_left_is_left_at_none(project):
    """`mail_base_url or MAIL[dc]` with `mail_base_url=None` is Zoho Mail, not a CRM call with an unknown host."""
    source = '''
import requests
MAIL = {"US": "https://mail.zoho.com", "EU": "https://mail.zoho.eu"}
class Zoho:
    def __init__(self, dc="US", mail_base_url=None):
        self.dc, self.mail_base_url = dc, mail_base_url
    def accounts(self):
        return requests.get((self.mail_base_url or MAIL[self.dc]) + "/api/accounts")
Zoho().accounts()
'''
    assert rows(project({"zoho/mail.py": source})) == []


def test_constants_from_another_module(project):
    result = project({
        "app/__init__.py": "",
        "app/settings.py": f'ZOHO_API_BASE = "{H}/crm/v2"\nLEADS_URL = ZOHO_API_BASE + "/Leads"\n',
        "app/sync.py": "import requests\nfrom app import settings\nfrom .settings import ZOHO_API_BASE as B\n"
                       "def f():\n    requests.get(settings.LEADS_URL)\n    requests.post(B + '/Deals', json={})\n",
    })
    assert rows(result) == [("GET", "/crm/v2/Leads", "matched", (LEADS,)),
                            ("POST", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.CREATE",))]


CLIENT = f"""import requests

BASE = "{H}/crm/v2"


def fetch(module):
    return requests.get(f"{{BASE}}/{{module}}")


class Client:
    def get(self, module):
        return fetch(module)
"""

# A package's `__init__.py` that imports names from its modules offers them as its own (`from crm import fetch`).
REEXPORTS = [
    ("function", {"crm/__init__.py": "from .client import fetch\n",
                  "app.py": 'from crm import fetch\n\ndef sync():\n    return fetch("Deals")\n'},
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("constant", {"crm/__init__.py": "from crm.client import BASE as API\n",
                  "app.py": 'import requests\nimport crm\n\ndef sync():\n    return requests.get(crm.API + "/Deals")\n'},
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("class-from-a-parenthesised-list", {
        "crm/__init__.py": "from .client import (\n    Client,  # the one to use\n    fetch,\n)\n",
        "app.py": "from crm import Client\n\ndef sync():\n    return Client().get('Leads')\n"},
     [("GET", "/crm/v2/Leads", "matched", (LEADS,))]),
    ("through-two-packages", {
        "crm/__init__.py": "from .client import fetch\n", "app/__init__.py": "from crm import fetch as get\n",
        "app/jobs.py": 'from app import get\n\ndef sync():\n    return get("Deals")\n'},
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("star", {"crm/__init__.py": "from .client import *\n",
              "app.py": "from crm import Client, fetch\n\ndef sync():\n    Client().get('Leads')\n    fetch('Deals')\n"},
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",)), ("GET", "/crm/v2/Leads", "matched", (LEADS,))]),
    ("star-through-two-packages", {
        "crm/__init__.py": "from crm.client import *\n", "app/__init__.py": "from crm import *\n",
        "app/jobs.py": 'import app\n\ndef sync():\n    return app.fetch("Deals")\n'},
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("star-takes-only-what-all-lists", {  # `fetch` is not in `__all__`: `crm.fetch` is the other module's
        "crm/client.py": CLIENT + '__all__ = ["Client"]\n', "crm/other.py": "def fetch(module):\n    return None\n",
        "crm/__init__.py": "from .other import *\nfrom .client import *\n",
        "app.py": "from crm import fetch\n\ndef sync():\n    return fetch('Deals')\n"}, []),
    ("a-later-star-binds-over-an-earlier-one", {
        "crm/other.py": "def fetch(module):\n    return None\n",
        "crm/__init__.py": "from .other import *\nfrom .client import *\n",
        "app.py": "from crm import fetch\n\ndef sync():\n    return fetch('Deals')\n"},
     [("GET", "/crm/v2/Deals", "matched", ("ZohoCRM.modules.deals.READ",))]),
    ("star-leaves-private-names", {  # `_fetch` is private: `from .client import *` does not bind it
        "crm/client.py": CLIENT.replace("def fetch", "def _fetch").replace("return fetch", "return _fetch"),
        "crm/__init__.py": "from .client import *\n",
        "app.py": "import crm\n\ndef sync():\n    return crm._fetch('Deals')\n"}, []),
]


@pytest.mark.parametrize("files, expected", [c[1:] for c in REEXPORTS], ids=[c[0] for c in REEXPORTS])
def test_names_a_package_imports_are_its_own(project, files, expected):
    assert sorted(r for r in rows(project({"crm/client.py": CLIENT, **files})) if r[2] == "matched") == expected


def test_a_later_assignment_hides_an_imported_name(project):
    found = rows(project({"crm/client.py": CLIENT,
                          "crm/__init__.py": 'from .client import BASE\nBASE = "https://example.com/api"\n',
                          "app.py": 'import requests\nimport crm\n\ndef f():\n    requests.get(crm.BASE + "/Deals")\n'}))
    assert [r for r in found if r[1].endswith("/Deals")] == []


def test_site_location_is_the_call_start(project):
    result = project({"app/mod.py": f'import requests\n\ndef f():\n    x = 1\n    return requests.get(\n        "{H}/crm/v2/Leads")\n'})
    loc = result.resolutions[0].site.location
    assert (loc.file, loc.line, loc.column) == ("app/mod.py", 5, 12)


def test_other_hosts_behind_a_variable_are_not_crm(project):
    source = ('import requests\nclass SF:\n    def __init__(self, instance_url):\n        self.url = instance_url\n'
              '    def q(self):\n        return requests.get(f"{self.url}/services/data/v61.0/query")\n')
    assert rows(project({"app/mod.py": source})) == []


def test_star_kwargs_do_not_hide_a_call(project):
    source = f'import requests\ndef f(**kw):\n    return requests.request(method="GET", url="{H}/crm/v2/org", **kw)\n'
    assert rows(project({"app/mod.py": source})) == [("GET", "/crm/v2/org", "matched", ("ZohoCRM.org.READ",))]


def test_an_unknown_url_with_no_sign_of_zoho_is_not_a_crm_call(project):
    """`requests.get(url)` in a module that says nothing of Zoho is as likely any other service."""
    assert rows(project({"app/webhooks.py": "import requests\ndef ping(url):\n    return requests.get(url)\n"})) == []
    assert [r.status for r in project({"app/zoho_sync.py": "import requests\ndef ping(url):\n"
                                                           "    return requests.get(url)\n"}).resolutions] == ["unresolved"]


SYNC = "import requests\nfrom {module} import base_url\n\ndef push(record):\n    return requests.post(base_url() + '/Leads', json=record)\n"
HELPER = "import os\n\ndef base_url():\n    return os.environ['API_BASE']\n"
IMPORTED_SIGNS = [  # an unknown URL start taken from a module named for the CRM is worth reporting; else it is not
    ("helper-in-a-crm-package", {"app/crm/config.py": HELPER, "app/sync.py": SYNC.format(module="app.crm.config")},
     ["unresolved"]),
    ("helper-elsewhere", {"app/util/config.py": HELPER, "app/sync.py": SYNC.format(module="app.util.config")}, []),
]


@pytest.mark.parametrize("files, statuses", [c[1:] for c in IMPORTED_SIGNS], ids=[c[0] for c in IMPORTED_SIGNS])
def test_what_a_file_imports_is_a_sign_of_zoho(project, files, statuses):
    assert [r.status for r in project(files).resolutions] == statuses


def test_the_scanned_packages_own_name_is_no_sign(tmp_path, small_catalogue):
    """Scanning `zohocrm/` itself: `from zohocrm.exceptions import E` names the package, not what a call reaches."""
    from scopeplan.plan import plan

    root = tmp_path / "zohocrm"
    for name, source in {"__init__.py": "", "exceptions.py": "class E(Exception):\n    pass\n",
                         "client.py": "import requests\nfrom zohocrm.exceptions import E\n\n"
                                      "def _put(endpoint):\n    return requests.put(endpoint)\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source)
    assert plan(root, small_catalogue).resolutions == ()


ITEM_HOLES = [  # `x[key]` of something that is no literal table: the hole says where the value comes from
    ("environment", 'os.environ["API_BASE"]', "`API_BASE` (the environment variable `API_BASE`, only known at run time)"),
    ("parameter", 'cfg["base"]', "`cfg['base']` (a parameter of `app.zoho_sync:push`)"),
    ("library-result", 'json.loads(text)["base"]', "`base` (an item of what `json.loads()` returns, only known at run time)"),
    ("library-name", 'json.decoder["base"]', "`base` (`json.decoder[...]` comes from outside the project)"),
]


@pytest.mark.parametrize("item, origin", [c[1:] for c in ITEM_HOLES], ids=[c[0] for c in ITEM_HOLES])
def test_an_item_of_an_unknown_value_says_where_it_comes_from(project, item, origin):
    source = f"import json\nimport os\nimport requests\n\ndef push(cfg, text):\n    return requests.post({item} + '/Leads')\n"
    (r,) = project({"app/zoho_sync.py": source}).resolutions
    assert r.status == "unresolved" and r.reason == f"the start of the url comes from {origin}"


HOLE_REASONS = [  # what is left of a reason once each hole and its origin are taken out: findings are one call by it
    ("plain", "`{x}` (the constant `None`) decides", "{} decides"),
    ("a-call-in-the-origin", "`{x}` (an item of what `r.json()` returns, only known at run time) decides", "{} decides"),
    ("nested", "`{a}` (`self.a` depends on which subclass of `C` the object is (21 set it)), `{b}` (x) decides",
     "{}, {} decides"),
]


@pytest.mark.parametrize("reason, left", [c[1:] for c in HOLE_REASONS], ids=[c[0] for c in HOLE_REASONS])
def test_variants_differing_only_in_where_a_hole_comes_from_are_one_finding(reason, left):
    from scopeplan.plan import _HOLES

    assert _HOLES.sub("{}", reason) == left
