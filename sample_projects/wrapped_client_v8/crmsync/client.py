"""A small Zoho CRM client on top of requests.Session.

Tokens are minted by the platform's token broker and handed to us in the environment
(ZOHO_ACCESS_TOKEN, ZOHO_EU_ACCESS_TOKEN); this module never refreshes them itself.
"""

import logging
import os

import requests

log = logging.getLogger(__name__)


class ZohoError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class ZohoClient:
    BASE = "https://www.zohoapis.com/crm/v8"
    BULK = "https://www.zohoapis.com/crm/bulk/v8"
    TIMEOUT = 30

    def __init__(self, token_env="ZOHO_ACCESS_TOKEN"):
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": "Zoho-oauthtoken " + os.environ.get(token_env, ""),
            "User-Agent": "crmsync/0.8",
        })

    def _request(self, method, path, **kw):
        kw.setdefault("timeout", self.TIMEOUT)
        resp = self.session.request(method, self.BASE + path, **kw)
        if resp.status_code == 204:
            return {}
        if resp.status_code >= 400:
            try:
                err = resp.json()
            except ValueError:
                err = {}
            raise ZohoError(resp.status_code, err.get("code"), err.get("message", resp.text[:200]))
        return resp.json()

    def _get(self, path, params=None):
        return self._request("GET", path, params=params)

    def _post(self, path, payload):
        return self._request("POST", path, json=payload)

    def _put(self, path, payload):
        return self._request("PUT", path, json=payload)

    # -- records -------------------------------------------------------------------

    def list_records(self, module, page=1, per_page=200):
        return self._get(f"/{module}", params={"page": page, "per_page": per_page})

    def upsert(self, module, rows):
        if len(rows) > 100:
            raise ValueError("Zoho accepts at most 100 records per upsert")
        return self._post(f"/{module}/upsert", {"data": rows, "trigger": []})

    def update(self, module, rows):
        return self._put(f"/{module}", {"data": rows})

    def query(self, select_query):
        return self._post("/coql", {"select_query": select_query})

    def export(self, module, fields=None):
        """Public helper for notebooks and other teams: stream one page of `module` as raw JSON.

        Nothing in crmsync calls it; the hint below names the module our token is scoped for.
        """
        params = {"fields": ",".join(fields)} if fields else None
        resp = self.session.get(f"{self.BASE}/{module}", params=params, stream=True, timeout=self.TIMEOUT)  # scopeplan: modules=Leads
        resp.raise_for_status()
        return resp.raw

    def org_v2(self):
        # The v2 org lookup from before the v8 migration; kept so the old payload shape is documented.
        resp = self.session.get("https://www.zohoapis.com/crm/v2/org", timeout=self.TIMEOUT)  # scopeplan: ignore legacy endpoint kept for reference
        return resp.json()["org"][0]

    # -- bulk read -----------------------------------------------------------------

    def start_bulk_read(self, query):
        resp = self.session.post(self.BULK + "/read", json={"query": query}, timeout=self.TIMEOUT)
        resp.raise_for_status()
        return resp.json()["data"][0]["details"]["id"]

    def bulk_read_status(self, job_id):
        resp = self.session.get(f"{self.BULK}/read/{job_id}", timeout=self.TIMEOUT)
        resp.raise_for_status()
        return resp.json()["data"][0]

    def download_bulk_result(self, job_id, target):
        resp = self.session.get(f"{self.BULK}/read/{job_id}/result", stream=True, timeout=300)
        resp.raise_for_status()
        with open(target, "wb") as fh:
            for chunk in resp.iter_content(chunk_size=1 << 16):
                fh.write(chunk)
        return target


class EUClient(ZohoClient):
    """Our EU tenant lives in the EU data centre and gets smaller pages (its proxy times out)."""

    BASE = "https://www.zohoapis.eu/crm/v8"

    def list_records(self, module, page=1, per_page=100):
        log.debug("EU %s page %s", module, page)
        return super().list_records(module, page=page, per_page=per_page)


# Shared clients; import these rather than building new sessions.
client = ZohoClient()
eu_client = EUClient(token_env="ZOHO_EU_ACCESS_TOKEN")
