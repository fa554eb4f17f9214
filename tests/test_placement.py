"""Where a finding is reported: at the HTTP call, unless a caller fixes a part that decides the endpoint.

Each case is a project and the findings it must give, as (file:line, method, path, status): the line is
the one DESIGN.md's contract names, so a case fails when a finding moves to the wrong place or is doubled.
"""

from __future__ import annotations

import pytest

H = "https://www.zohoapis.com"


def where(result):
    return sorted((f"{r.site.location.file}:{r.site.location.line}",
                   r.site.method if isinstance(r.site.method, str) else None, r.path, r.status)
                  for r in result.resolutions)


# A base stream class whose HTTP call reads `self.path`, and one subclass: the start of app/streams.py below.
_STREAM = f'''
import requests

class Stream:
    path = ""

    def __init__(self, session):
        self.session = session

    def read(self):
        return self.session.get(f"{H}/crm/v2" + self.path)

class Leads(Stream):
    path = "/Leads"
'''

CASES = [
    # A retry calls the function itself with its own parameters: that is not a caller fixing anything.
    ("retry-by-recursion-is-not-a-caller", {"app/api.py": f'''
import requests

def get_record(token, module, record_id, retried=False):
    r = requests.get(f"{H}/crm/v2/{{module}}/{{record_id}}", headers={{"Authorization": token}})
    if r.status_code == 401 and not retried:
        return get_record(token, module, record_id, retried=True)
    return r

def leads(token):
    return get_record(token, "Leads", 5)
'''}, [("app/api.py:11", "GET", "/crm/v2/Leads/5", "matched")]),
    # A chain of callers that only forward their own parameter leaves the site at the HTTP call.
    ("forwarding-chain-stays-at-the-http-call", {"app/api.py": f'''
import requests

def c(ep):
    return requests.get(f"{H}/crm/v2/{{ep}}")

def b(ep):
    return c(ep)

def a(endpoint_name):
    return b(ep=endpoint_name)
'''}, [("app/api.py:5", "GET", "/crm/v2/{ep}", "unresolved")]),
    # ... until a caller fixes the module: then the finding is at that caller, once per value.
    ("the-caller-that-fixes-the-module-is-the-place", {"app/api.py": f'''
import requests

def c(ep):
    return requests.get(f"{H}/crm/v2/{{ep}}")

def b(ep):
    return c(ep)

def sync():
    b("Leads")
    b("Deals")
'''}, [("app/api.py:11", "GET", "/crm/v2/Leads", "matched"), ("app/api.py:12", "GET", "/crm/v2/Deals", "matched")]),
    # `self.base_url = base_url or DEFAULT` is the same endpoint for every instance: no climbing to callers.
    ("instance-attribute-with-a-default-keeps-the-site", {"app/client.py": f'''
import requests

DEFAULT = "{H}"

class Client:
    def __init__(self, base_url=None):
        self.base_url = base_url or DEFAULT

    @property
    def leads_url(self):
        return self.base_url + "/crm/v2/Leads"

    def list_leads(self):
        return requests.get(self.base_url + "/crm/v2/Leads")

    def first(self):
        return self.list_leads()

def main():
    Client().list_leads()
    Client("{H}").first()
'''}, [("app/client.py:15", "GET", "/crm/v2/Leads", "matched")]),
    # A hole in the query string never decides the endpoint.
    ("query-string-hole-does-not-climb", {"app/api.py": f'''
import requests

def page(n):
    return requests.get(f"{H}/crm/v2/Leads?page={{n}}")

def main():
    page(1)
    page(2)
'''}, [("app/api.py:5", "GET", "/crm/v2/Leads", "matched")]),
    # Endpoints as data: the entry of a literal table is chosen by a key; the caller that fixes the key
    # decides the endpoint (one finding each, not every entry crossed with every method), and a caller that
    # only forwards the key does not.
    ("table-key-fixed-by-the-caller", {"app/model.py": '''
from dataclasses import dataclass

@dataclass
class Endpoint:
    method: str
    path: str

OPS = {"leads": Endpoint(method="GET", path="/crm/v2/Leads"),
       "contact": Endpoint(method="GET", path="/crm/v2/Contacts/{id}")}
''', "app/run.py": f'''
import requests
from app.model import OPS

def execute(entity):
    op = OPS[entity]
    return requests.request(op.method, "{H}" + op.path)

def forward(entity):
    return execute(entity)

def leads():
    return execute("leads")

def contact():
    return forward("contact")
'''}, [("app/run.py:13", "GET", "/crm/v2/Leads", "matched"),
          ("app/run.py:16", "GET", "/crm/v2/Contacts/{id}", "matched")]),
    # URL alternatives that differ only in the host are one finding.
    ("host-alternatives-are-one-finding", {"app/api.py": '''
import os
import requests

BASE = "https://www.zohoapis.eu" if os.environ.get("EU") else "https://www.zohoapis.com"

def leads():
    return requests.get(BASE + "/crm/v2/Leads")
'''}, [("app/api.py:8", "GET", "/crm/v2/Leads", "matched")]),
    # A bound method given to a constructor, kept on the object and awaited later, through two layers into one
    # shared transport: the product method that fixes method and path is the place; the sibling product (books)
    # that shares the transport is not CRM, and the CRM methods never pick up its path.
    ("bound-method-stored-on-self-from-a-constructor", {"app/sdk.py": f'''
import httpx

class Transport:
    def __init__(self):
        self._client = httpx.AsyncClient()

    async def request(self, method, url):
        return await self._client.request(method, url)

class Product:
    def __init__(self, *, request):
        self._request_fn = request

    async def request(self, method, path):
        return await self._request_fn(method, path)

class Leads:
    def __init__(self, product):
        self._product = product

    async def get(self, record_id):
        return await self._product.request("GET", f"/Leads/{{record_id}}")

    async def create(self):
        return await self._product.request("POST", "/Leads")

class Zoho:
    def __init__(self):
        self._transport = Transport()

    @property
    def leads(self):
        return Leads(Product(request=self._request_crm))

    @property
    def invoices(self):
        return Leads(Product(request=self._request_books))

    async def _request_crm(self, method, path):
        return await self._transport.request(method, f"{H}/crm/v8{{path}}")

    async def _request_books(self, method, path):
        return await self._transport.request(method, f"{H}/books/v3{{path}}")
'''}, [("app/sdk.py:23", "GET", "/crm/v8/Leads/{record_id}", "matched"),
          ("app/sdk.py:26", "POST", "/crm/v8/Leads", "matched")]),
    # The same with a plain function, in another module; and siblings sharing an `__init__` are other objects:
    # what one subclass's constructor call gives is not what the other's `self.send` holds.
    ("function-stored-on-self-per-subclass", {"app/base.py": '''
class Api:
    def __init__(self, send):
        self.send = send

    def call(self, path):
        return self.send("GET", path)

class Crm(Api):
    def leads(self):
        return self.call("/Leads")

class Books(Api):
    def invoices(self):
        return self.call("/invoices")
''', "app/wire.py": f'''
import requests
from app.base import Books, Crm

def crm_send(method, path):
    return requests.request(method, "{H}/crm/v2" + path)

def books_send(method, path):
    return requests.request(method, "{H}/books/v3" + path)

CRM = Crm(crm_send)
BOOKS = Books(books_send)
'''}, [("app/base.py:11", "GET", "/crm/v2/Leads", "matched")]),
    # An `if` on an optional value the code cannot decide: the branch that matches no CRM endpoint
    # (`/crm/v2/organization/{org}/...`, a bare `/crm/v2`) is not reported beside the one that can.
    ("optional-value-branches-that-cannot-be-crm-are-not-reported", {"app/api.py": f'''
import requests

class Module:
    MODULE_PATH = "crm/v2"

    def __init__(self, organization_id=None):
        self.organization_id = organization_id

    def _endpoint(self, path=""):
        parts = [self.MODULE_PATH]
        if self.organization_id:
            parts.append(f"organization/{{self.organization_id}}")
        if path:
            parts.append(path)
        return "/".join(parts)

    def leads(self):
        return requests.get("{H}/" + self._endpoint("Leads"))
'''}, [("app/api.py:19", "GET", "/crm/v2/Leads", "matched")]),
    # ... but an `if` on anything else keeps every alternative, the unmatched one too.
    ("an-equality-test-keeps-every-branch", {"app/api.py": f'''
import requests

def call(kind):
    path = "Leads" if kind == "crm" else "organization/5/Leads"
    return requests.get(f"{H}/crm/v2/{{path}}")
'''}, [("app/api.py:6", "GET", "/crm/v2/Leads", "matched"),
       ("app/api.py:6", "GET", "/crm/v2/organization/5/Leads", "unmatched")]),
    # A verb wrapper nothing calls, leaving the whole path open, is not reported when the same HTTP
    # call is reported through the callers that build the path.
    ("an-uncalled-open-verb-wrapper-is-not-reported", {"app/client.py": f'''
import requests

class Client:
    def _request(self, method, endpoint):
        return requests.request(method=method, url="{H}/" + endpoint)

    def get(self, endpoint):
        return self._request("GET", endpoint)

    def patch(self, endpoint):
        return self._request("PATCH", endpoint)

def leads(client: Client):
    return client.get("crm/v2/Leads")
'''}, [("app/client.py:15", "GET", "/crm/v2/Leads", "matched")]),
    # A query string the code starts with `&` (no `?`) never decides the endpoint: one finding.
    ("an-ampersand-query-is-the-query", {"app/api.py": f'''
import requests
from urllib.parse import urlencode

def leads(params):
    url = "{H}/crm/v2/Leads"
    if params:
        url += "&" + urlencode(params)
    return requests.get(url)
'''}, [("app/api.py:9", "GET", "/crm/v2/Leads", "matched")]),
    # State on `self` set by the methods that call a helper (`self.method = "getRecords"`): the helper's
    # finding keeps only the alternatives some caller gives, and stays where the HTTP method is fixed.
    ("self-state-set-by-callers-narrows-a-helper", {"app/api.py": '''
import requests

class Module:
    def __init__(self):
        self.session = requests.Session()
        self.fmt = ""
        self.method = ""

    def _call(self, verb):
        return self.session.request(verb, "https://crm.zoho.com/crm/private/" + self.fmt + "/Leads/" + self.method)

    def _page(self):
        return self._call("GET")

    def get_records(self):
        self.fmt = "json"
        self.method = "getRecords"
        return self._page()

    def insert(self):
        self.fmt = "xml"
        self.method = "insertRecords"
        return self._call("POST")
'''}, [("app/api.py:14", "GET", "/crm/private/json/Leads/getRecords", "deprecated"),
       ("app/api.py:24", "POST", "/crm/private/xml/Leads/insertRecords", "deprecated")]),
    # `a if record_id else b` in a helper: a caller that leaves `record_id` out (its default is None) takes
    # the `else` branch, so the caller decides the path shape and the finding is at that caller, once (the
    # caller passing an id may still pass None: both shapes, and `DELETE /crm/v2/Leads` is not in this catalogue).
    ("a-conditional-expression-is-decided-by-the-callers-default", {"app/api.py": f'''
import requests

def _send(module, method="get", record_id=None):
    url = f"{H}/crm/v2/{{module}}/{{record_id}}" if record_id else f"{H}/crm/v2/{{module}}"
    return requests.request(method, url)

def list_leads():
    return _send("Leads")

def create_lead():
    return _send("Leads", method="post")

def delete_lead(lead_id):
    return _send("Leads", "delete", lead_id)
'''}, [("app/api.py:9", "GET", "/crm/v2/Leads", "matched"), ("app/api.py:12", "POST", "/crm/v2/Leads", "matched"),
       ("app/api.py:15", "DELETE", "/crm/v2/Leads/{lead_id}", "matched")]),
    # A caller passing `*args` or `**kwargs` on may fill any parameter: the default is not assumed.
    ("star-arguments-do-not-take-the-default", {"app/api.py": f'''
import requests

def _send(module, record_id=None):
    url = f"{H}/crm/v2/{{module}}/{{record_id}}" if record_id else f"{H}/crm/v2/{{module}}"
    return requests.get(url)

def leads(*args):
    return _send("Leads", *args)
'''}, [("app/api.py:9", "GET", "/crm/v2/Leads", "matched"),
       ("app/api.py:9", "GET", "/crm/v2/Leads/{record_id}", "matched")]),
    # `getattr(self, "fetch_" + kind)()` reaches each method whose name fits; the findings stay in them.
    ("getattr-dispatch-reaches-the-methods-its-name-fits", {"app/api.py": f'''
import requests

class Client:
    def fetch_leads(self):
        return requests.get(f"{H}/crm/v2/Leads")

    def fetch_deals(self):
        return requests.get(f"{H}/crm/v2/Deals")

    def run(self, kind):
        return getattr(self, "fetch_" + kind)()
'''}, [("app/api.py:6", "GET", "/crm/v2/Leads", "matched"), ("app/api.py:9", "GET", "/crm/v2/Deals", "matched")]),
    # A name known only at run time reaches the public methods, not the private helper they share: the
    # helper's finding stays with the public callers that fix its method.
    ("a-run-time-name-does-not-reach-private-methods", {"app/api.py": f'''
import requests

class Client:
    def _send(self, module, method="get"):
        return requests.request(method, f"{H}/crm/v2/{{module}}")

    def list(self, module):
        return self._send(module)

    def create(self, module):
        return self._send(module, "post")

    def __call__(self, name, module):
        return self.__getattribute__(name)(module=module)
'''}, [("app/api.py:9", "GET", "/crm/v2/{module}", "unresolved"),
       ("app/api.py:12", "POST", "/crm/v2/{module}", "unresolved")]),
    # A record class keeps a client from an untyped constructor argument, and its module in a class
    # attribute each subclass sets: `api_fetch` (one class defines it) is the client's method, reported at
    # the calls that fix the method, unresolved on the module, which the code creating records decides.
    # A caller putting a token where the method goes is not an HTTP method.
    ("untyped-client-and-a-module-per-subclass", {"app/records.py": f'''
import requests

class RestClient:
    def api_fetch(self, endpoint, method="GET"):
        return requests.request(method, f"{H}/crm/v2/{{endpoint}}")

class Record:
    _module_name = ""

    def __init__(self, client):
        self._client = client

    def insert(self):
        return self._client.api_fetch(self._module_name, method="POST")

    def whoami(self, token):
        return self._client.api_fetch(token, "users")

class Lead(Record):
    _module_name = "Leads"

class Deal(Record):
    _module_name = "Deals"
'''}, [("app/records.py:15", "POST", "/crm/v2/{_module_name}", "unresolved"),
       ("app/records.py:18", None, "/crm/v2/{token}", "unresolved")]),
    # A base URL each regional subclass sets differently, the path the same: one endpoint, at the HTTP call.
    ("regional-subclasses-change-only-the-host", {"app/api.py": '''
import requests

class Client:
    BASE = "https://www.zohoapis.com/crm/v2"

    def leads(self):
        return requests.get(self.BASE + "/Leads")

class EuClient(Client):
    BASE = "https://www.zohoapis.eu/crm/v2"
'''}, [("app/api.py:8", "GET", "/crm/v2/Leads", "matched")]),
    # `... if upsert else ...` in a helper: each caller's literal argument (or the default it leaves) decides the
    # URL, so each finding is at its caller, once.
    ("an-if-on-a-flag-is-decided-by-each-caller", {"app/api.py": f'''
import requests

def save(record, deal=False):
    url = f"{H}/crm/v2/Deals" if deal else f"{H}/crm/v2/Leads"
    return requests.post(url, json={{"data": [record]}})

def create_lead(record):
    return save(record)

def create_deal(record):
    return save(record, deal=True)
'''}, [("app/api.py:9", "POST", "/crm/v2/Leads", "matched"),
       ("app/api.py:12", "POST", "/crm/v2/Deals", "matched")]),
    # Instances built from a dict of classes: the HTTP call in the base class's method reaches every class the
    # table holds, at the line that builds the instance (the key is only known at run time).
    ("instances-from-a-dict-of-classes", {"app/streams.py": _STREAM + f'''
class Deals(Stream):
    path = "/Deals"

STREAMS = {{"leads": Leads, "deals": Deals}}

def run(name):
    return STREAMS[name](requests.Session()).read()
'''}, [("app/streams.py:22", "GET", "/crm/v2/Deals", "matched"),
       ("app/streams.py:22", "GET", "/crm/v2/Leads", "matched")]),
    # A class made at run time with `type(name, (Base,), {"path": p})`: its attribute is the one given, fixed
    # by the caller that names the module.
    ("a-class-made-with-type", {"app/streams.py": _STREAM + f'''
def make(module):
    cls = type(module, (Stream,), {{"path": "/" + module}})
    return cls(requests.Session()).read()

def leads():
    return Leads(requests.Session()).read()

def deals():
    return make("Deals")
'''}, [("app/streams.py:21", "GET", "/crm/v2/Leads", "matched"),
       ("app/streams.py:24", "GET", "/crm/v2/Deals", "matched")]),
    # The OAuth token endpoint is not a CRM call, whatever method gives it.
    ("a-token-refresh-endpoint-is-not-a-crm-call", {"app/zoho_auth.py": '''
import requests

class ZohoAuth:
    def refresh(self):
        return requests.request(method="POST", url=self.get_token_refresh_endpoint())
'''}, []),
]


@pytest.mark.parametrize("files,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_placement(project, files, expected):
    assert where(project(files)) == sorted(expected)


def test_a_crm_host_with_an_unknown_path_is_unresolved_not_dropped(project):
    result = project({"app/zoho_client.py": '''
import requests

def call(endpoint):
    return requests.get(f"https://www.zohoapis.com/{endpoint}")
'''})
    (r,) = result.resolutions
    assert r.status == "unresolved" and r.reason.startswith("the path on www.zohoapis.com comes from `endpoint`")
