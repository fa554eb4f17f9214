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
