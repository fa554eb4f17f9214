"""The HTTP libraries scopeplan knows: functions, client classes and how their calls are spelled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scopeplan.program.values import Ctx, ExternalInstance, Value
from scopeplan.scanner.ir import Expr, Lit

if TYPE_CHECKING:
    from scopeplan.program.project import Project

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
# Methods whose first argument is the HTTP method and second the URL.
METHOD_FIRST = frozenset({"request", "stream", "urlopen"})
CLIENT_METHODS = VERBS | METHOD_FIRST
# tornado's clients have one method: `fetch(url_or_HTTPRequest, method="GET", body=...)`.
FETCH_METHODS = frozenset({"fetch"})
# requests' and httpx's clients also send a request object built before: `session.send(prepared)`.
SEND_METHODS = frozenset({"send"})
ALL_METHODS = CLIENT_METHODS | FETCH_METHODS | SEND_METHODS

# Module-level functions, by qualified name: library and how to read the call.
HTTP_FUNCTIONS: dict[str, tuple[str, str]] = {
    **{f"requests.{v}": ("requests", v) for v in VERBS},
    "requests.request": ("requests", "request"),
    **{f"httpx.{v}": ("httpx", v) for v in VERBS},
    "httpx.request": ("httpx", "request"),
    "httpx.stream": ("httpx", "stream"),
    "urllib3.request": ("urllib3", "request"),
    "aiohttp.request": ("aiohttp", "request"),
    "urllib.request.urlopen": ("urllib", "urlopen-url"),
    "urllib2.urlopen": ("urllib", "urlopen-url"),
}

# Client classes, by qualified name: library, and the keyword (or first positional) that sets a base URL.
CLIENT_CLASSES: dict[str, tuple[str, str | None]] = {
    "requests.Session": ("requests", None),
    "requests.session": ("requests", None),
    "httpx.Client": ("httpx", "base_url"),
    "httpx.AsyncClient": ("httpx", "base_url"),
    "aiohttp.ClientSession": ("aiohttp", "base_url"),
    "urllib3.PoolManager": ("urllib3", None),
    "tornado.httpclient.AsyncHTTPClient": ("tornado", None),
    "tornado.httpclient.HTTPClient": ("tornado", None),
    "tornado.curl_httpclient.CurlAsyncHTTPClient": ("tornado", None),
    "tornado.simple_httpclient.SimpleAsyncHTTPClient": ("tornado", None),
}

# The method a client class's verb helpers call on `self` (`Session.get(url)` is `self.request("GET", url)`):
# a subclass that overrides it sees every verb call of its instances.
VERB_DELEGATES: dict[str, str] = {"requests": "request", "httpx": "request", "aiohttp": "_request"}

# Other spellings of the same names (private modules the classes are defined in).
_ALIASES = {
    "requests.api.": "requests.",
    "requests.sessions.Session": "requests.Session",
    "requests.sessions.session": "requests.session",
    "httpx._client.": "httpx.",
    "httpx._api.": "httpx.",
    "aiohttp.client.": "aiohttp.",
    "urllib3.poolmanager.": "urllib3.",
    "six.moves.urllib.request.": "urllib.request.",
    "urllib2.urlopen": "urllib2.urlopen",
}


def canonical(qualname: str) -> str:
    """The public spelling of a library name (`requests.api.get` -> `requests.get`)."""
    for prefix, public in _ALIASES.items():
        if qualname.startswith(prefix):
            return public + qualname[len(prefix):]
    return qualname


# What the model must recognise, as (id, source of `app/zoho_client.py`, [(line, method, path, status)]),
# checked by tests/test_models.py through the whole pipeline: the line is where the finding is reported.
_H = "https://www.zohoapis.com/crm/v2"
CASES: tuple[tuple[str, str, list[tuple[int, str | None, str, str]]], ...] = (
    ("requests-function", f'import requests\nrequests.get("{_H}/Leads")\n', [(2, "GET", "/crm/v2/Leads", "matched")]),
    ("session-method", f'import requests\ns = requests.Session()\ns.post("{_H}/Leads", json={{}})\n',
     [(3, "POST", "/crm/v2/Leads", "matched")]),
    ("httpx-client-base-url", f'import httpx\nc = httpx.Client(base_url="{_H}")\nc.delete("/Leads/1")\n',
     [(3, "DELETE", "/crm/v2/Leads/1", "matched")]),
    ("session-subclass-self-get", f'''import requests

class Zoho(requests.Session):
    def leads(self):
        return self.get("{_H}/Leads")
''', [(5, "GET", "/crm/v2/Leads", "matched")]),
    ("session-subclass-instance", f'''import requests

class Zoho(requests.Session):
    pass

Zoho().put("{_H}/Leads/7", json={{}})
''', [(6, "PUT", "/crm/v2/Leads/7", "matched")]),
    ("getattr-literal-verb", f'import requests\ngetattr(requests, "delete")("{_H}/Leads/1")\n',
     [(2, "DELETE", "/crm/v2/Leads/1", "matched")]),
    ("getattr-dynamic-verb-is-unresolved", f'''import requests

def call(method):
    return getattr(requests, method.lower())("{_H}/Leads")
''', [(4, None, "/crm/v2/Leads", "unresolved")]),
    ("getattr-verb-decided-by-callers", f'''import requests

def call(method):
    return getattr(requests, method)("{_H}/Leads")

call("get")
''', [(6, "GET", "/crm/v2/Leads", "matched")]),
    ("session-subclass-request-override", f'''import requests

class Zoho(requests.Session):
    def __init__(self, base):
        super().__init__()
        self.base = base

    def request(self, method, url, **kw):
        return super().request(method, self.base + url, **kw)

api = Zoho("{_H}")
api.get("/Leads")
api.request("DELETE", "/Leads/1")
''', [(12, "GET", "/crm/v2/Leads", "matched"), (13, "DELETE", "/crm/v2/Leads/1", "matched")]),
    ("request-override-in-a-base-class", f'''import httpx

class Base(httpx.Client):
    def request(self, method, url, **kw):
        return super().request(method, "{_H}" + url, **kw)

class Crm(Base):
    def add(self):
        return self.post("/Deals", json={{}})
''', [(9, "POST", "/crm/v2/Deals", "matched")]),
    ("stored-http-function", f'import requests\nsend = requests.put\nsend("{_H}/Leads/1", json={{}})\n',
     [(3, "PUT", "/crm/v2/Leads/1", "matched")]),
    ("table-of-http-functions", f'''import requests

VERBS = {{"read": requests.get, "remove": requests.delete}}

def call(action):
    return VERBS[action]("{_H}/Leads/1")
''', [(6, "GET", "/crm/v2/Leads/1", "matched"), (6, "DELETE", "/crm/v2/Leads/1", "matched")]),
    ("url-from-os-path-join", f'import os\nimport requests\nrequests.get(os.path.join("{_H}", "Leads"))\n',
     [(3, "GET", "/crm/v2/Leads", "matched")]),
    # endpoints as data: method and path are fields of objects built with keyword arguments (a dataclass, a
    # pydantic-like model: no `__init__` in the project), picked from a literal table by a key the caller fixes
    ("endpoint-table-keyed-by-caller", f'''import requests
from dataclasses import dataclass

@dataclass
class Endpoint:
    method: str
    path: str

ENDPOINTS = {{"leads": Endpoint(method="GET", path="/crm/v2/Leads"),
             "contacts": Endpoint(method="GET", path="/crm/v2/Contacts/{{id}}")}}

def call(name):
    ep = ENDPOINTS[name]
    return requests.request(ep.method, "https://www.zohoapis.com" + ep.path)

call("contacts")
''', [(16, "GET", "/crm/v2/Contacts/{id}", "matched")]),
    ("endpoint-object-fields", '''import httpx
from pydantic import BaseModel

class Op(BaseModel):
    method: str
    path: str

DELETE_DEAL = Op(path="/crm/v2/Deals/{id}", method="GET")

def delete(client: httpx.Client, deal_id):
    return client.request(DELETE_DEAL.method, "https://www.zohoapis.com" + DELETE_DEAL.path.format(id=deal_id))
''', [(11, "GET", "/crm/v2/Deals/{deal_id}", "matched")]),
    ("unknown-receiver-with-a-url-is-unresolved", '''def fetch(conn, url):
    return conn.get(url)
''', [(2, "GET", "{url}", "unresolved")]),
    ("tornado-fetch-defaults-to-get", f'''from tornado.httpclient import AsyncHTTPClient

async def leads():
    return await AsyncHTTPClient().fetch("{_H}/Leads")
''', [(4, "GET", "/crm/v2/Leads", "matched")]),
    ("tornado-fetch-method-keyword", f'''from tornado import httpclient

async def create(body):
    client = httpclient.AsyncHTTPClient()
    return await client.fetch("{_H}/Leads", method="POST", body=body)
''', [(5, "POST", "/crm/v2/Leads", "matched")]),
    ("tornado-fetch-of-an-http-request", f'''from tornado.httpclient import HTTPClient, HTTPRequest

def delete():
    request = HTTPRequest(url="{_H}/Leads/1", method="DELETE")
    return HTTPClient().fetch(request)
''', [(5, "DELETE", "/crm/v2/Leads/1", "matched")]),
    ("requests-request-prepared-and-sent", f'''import requests

def create():
    prepared = requests.Request("POST", "{_H}/Deals", json={{"data": []}}).prepare()
    return requests.Session().send(prepared)
''', [(5, "POST", "/crm/v2/Deals", "matched")]),
    ("session-prepare-request-then-send", f'''import requests

def delete():
    s = requests.Session()
    prepared = s.prepare_request(requests.Request(method="DELETE", url="{_H}/Leads/1"))
    return s.send(prepared)
''', [(6, "DELETE", "/crm/v2/Leads/1", "matched")]),
    ("httpx-build-request-then-send", f'''import httpx

def leads(client: httpx.Client):
    request = client.build_request("GET", "{_H}/Leads")
    return client.send(request)
''', [(5, "GET", "/crm/v2/Leads", "matched")]),
    ("send-of-a-request-its-caller-builds", f'''import requests

def forward(prepared):
    return requests.Session().send(prepared)

def leads():
    return forward(requests.Request("GET", "{_H}/Leads").prepare())
''', [(7, "GET", "/crm/v2/Leads", "matched")]),
    ("tornado-http-request-positional-method", f'''import tornado.httpclient

def put():
    return tornado.httpclient.HTTPClient().fetch(tornado.httpclient.HTTPRequest("{_H}/Leads/1", "PUT", body="{{}}"))
''', [(4, "PUT", "/crm/v2/Leads/1", "matched")]),
    ("tornado-curl-client-v1-is-deprecated", '''from tornado.curl_httpclient import CurlAsyncHTTPClient

async def records():
    url = "https://crm.zoho.com/crm/private/json/Leads/getRecords?scope=crmapi"
    return await CurlAsyncHTTPClient().fetch(url)
''', [(5, "GET", "/crm/private/json/Leads/getRecords", "deprecated")]),
)

# What it must not take for a CRM call, even in a file named for Zoho.
NOT_CASES: tuple[tuple[str, str], ...] = (
    ("dict-get", 'settings = {}\nsettings.get("/crm/v2/Leads")\n'),
    ("socket-send", f'import socket\nconn = socket.create_connection(("zohoapis.com", 443))\nconn.send(b"{_H}/Leads")\n'),
    ("prepare-of-a-non-request", f'import requests\nclass Job:\n    def prepare(self):\n        return "{_H}/Leads"\n'
                                  f'requests.Session().send(Job().prepare())\n'),

    ("environ-get", 'import os\nos.environ.get("ZOHO_URL")\n'),
    ("cache-get-key", 'def f(cache, key):\n    return cache.get(key)\n'),
    ("own-get-method", f'class Repo:\n    def get(self, url):\n        return url\n\nRepo().get("{_H}/Leads")\n'),
    ("session-subclass-own-method", f'''import requests

class Zoho(requests.Session):
    def get(self, path):
        return path

Zoho().get("{_H}/Leads")
'''),
    ("accounts-token-call", 'import requests\nrequests.post("https://accounts.zoho.com/oauth/v2/token", data={})\n'),
    ("books-call", 'import requests\nrequests.get("https://www.zohoapis.com/books/v3/invoices")\n'),
    ("request-override-that-does-not-send", f'''import requests

class Recorder(requests.Session):
    def request(self, method, url, **kw):
        return (method, url)

Recorder().get("{_H}/Leads")
'''),
    ("table-of-other-functions", f'import json\nTABLE = {{"load": json.loads}}\nTABLE["load"]("{_H}/Leads")\n'),
    ("endpoint-table-of-another-product", '''import requests
from dataclasses import dataclass

@dataclass
class Endpoint:
    method: str
    path: str

TABLE = {"invoices": Endpoint(method="GET", path="/books/v3/invoices")}

def call(name):
    return requests.request(TABLE[name].method, "https://www.zohoapis.com" + TABLE[name].path)

call("invoices")
'''),
    ("own-init-decides-the-field", '''import requests

class Endpoint:
    def __init__(self, path):
        self.path = "/books/v3/items"

requests.get("https://www.zohoapis.com" + Endpoint(path="/crm/v2/Leads").path)
'''),
    ("getattr-of-a-non-http-object", 'import json\ngetattr(json, "loads")("{}")\n'),
    ("tornado-books-call", '''from tornado.httpclient import AsyncHTTPClient

async def invoices():
    return await AsyncHTTPClient().fetch("https://books.zoho.com/api/v3/invoices", method="GET")
'''),
    ("fetch-is-not-a-requests-method", f'''import requests

requests.Session().fetch("{_H}/Leads")
'''),
    ("tornado-client-has-no-get", f'''from tornado.httpclient import HTTPClient

HTTPClient().get("{_H}/Leads")
'''),
)


@dataclass(frozen=True, slots=True)
class Client:
    """An HTTP client object: its library, and the base URL it joins relative URLs to."""

    library: str
    base: Expr | None
    ctx: Ctx


def methods(library: str) -> frozenset[str]:
    """The methods of a library's client objects that send a request."""
    if library == "tornado":
        return FETCH_METHODS
    return CLIENT_METHODS | SEND_METHODS if library in ("requests", "httpx") else CLIENT_METHODS


def client(value: Value) -> Client | None:
    """The HTTP client a value is (`requests.Session()`, `httpx.Client(base_url=...)`), if it is one."""
    if not isinstance(value, ExternalInstance):
        return None
    name = canonical(value.name)
    if name not in CLIENT_CLASSES:
        return None
    library, keyword = CLIENT_CLASSES[name]
    base = dict(value.kwargs).get(keyword) if keyword else None
    if keyword == "base_url" and base is None and value.args and library == "aiohttp":
        base = value.args[0]
    return Client(library, base, value.ctx)


REQUEST_CLASSES = frozenset({"urllib.request.Request", "urllib2.Request", "tornado.httpclient.HTTPRequest"})
# Requests built method first (`requests.Request("GET", url)`, `httpx.Request(...)`, `client.build_request(...)`).
METHOD_FIRST_REQUESTS = frozenset({"requests.Request", "httpx.Request"})


def request_object(value: Value) -> tuple[Expr, Expr, Ctx] | None:
    """A request built before it is sent: its URL and method expressions, and their context.

    `urllib.request.Request(url, data, method=...)` posts when it has data; tornado's
    `HTTPRequest(url, method="GET", headers, body, ...)` sends GET unless told otherwise.
    """
    if not isinstance(value, ExternalInstance):
        return None
    name = canonical(value.name)
    method = name.rpartition(".")[2]
    if method == "prepare" and value.of is not None and not value.args:  # `requests.Request(...).prepare()`
        return request_object(value.of)
    if name in METHOD_FIRST_REQUESTS or (method == "build_request" and value.of is not None
                                         and client(value.of) is not None):
        named = dict(value.kwargs)
        url = named.get("url", value.args[1] if len(value.args) > 1 else None)
        verb = named.get("method", value.args[0] if value.args else None)
        return (url, verb, value.ctx) if url is not None and verb is not None else None
    if name not in REQUEST_CLASSES:
        return None
    named = dict(value.kwargs)
    url = value.args[0] if value.args else named.get("url")
    if url is None:
        return None
    if canonical(value.name).startswith("tornado."):
        return url, named.get("method") or (value.args[1] if len(value.args) > 1 else Lit("GET")), value.ctx
    has_data = len(value.args) > 1 or "data" in named
    return url, named.get("method") or Lit("POST" if has_data else "GET"), value.ctx


def prepared(project: Project, values: list[Value]) -> list[Value]:
    """The requests a client sends: `session.prepare_request(request)` is the request it is given."""
    out: list[Value] = []
    for value in values:
        if (isinstance(value, ExternalInstance) and value.name.endswith(".prepare_request") and value.args
                and value.of is not None and client(value.of) is not None):
            out.extend(project.evaluate(value.args[0], value.ctx))
        else:
            out.append(value)
    return out


def function(name: str) -> tuple[str, str] | None:
    """(library, call style) of a module-level HTTP function, by any spelling of its name."""
    return HTTP_FUNCTIONS.get(canonical(name))


def client_class(name: str) -> str | None:
    """The library of an HTTP client class a project class may derive from."""
    found = CLIENT_CLASSES.get(canonical(name))
    return found[0] if found else None
