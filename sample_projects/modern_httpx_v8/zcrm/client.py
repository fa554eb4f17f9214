"""Synchronous Zoho CRM v8 client built on httpx.

Only the endpoints this service needs are wrapped; every method returns the
decoded ``data`` list (or the relevant object) and raises ZohoCRMError otherwise.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class ZohoCRMError(RuntimeError):
    """Zoho answered with an error status."""


class CRMClient:
    def __init__(self, token: str | None = None, timeout: float = 30.0) -> None:
        token = token or os.environ["ZOHO_ACCESS_TOKEN"]
        self._client = httpx.Client(
            base_url="https://www.zohoapis.com/crm/v8",
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CRMClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _data(resp: httpx.Response, key: str = "data") -> list[dict[str, Any]]:
        if resp.status_code == 204:
            return []
        if resp.is_error:
            logger.error("Zoho %s %s -> %s", resp.request.method, resp.request.url.path, resp.status_code)
            raise ZohoCRMError(f"{resp.status_code}: {resp.text[:300]}")
        return resp.json().get(key, [])

    # --- records -------------------------------------------------------------

    def list_leads(self, page: int = 1, fields: Iterable[str] = ("Last_Name", "Email", "Company")) -> list[dict]:
        resp = self._client.get("/Leads", params={"fields": ",".join(fields), "page": page, "per_page": 200})
        return self._data(resp)

    def upsert_deals(self, deals: Iterable[dict]) -> list[dict]:
        resp = self._client.post(
            "/Deals/upsert",
            json={"data": list(deals), "duplicate_check_fields": ["Deal_Name"]},
        )
        return self._data(resp)

    def tag_leads(self, lead_ids: Iterable[str], tags: Iterable[str]) -> list[dict]:
        resp = self._client.post(
            "/Leads/actions/add_tags",
            json={"tags": [{"name": t} for t in tags], "ids": list(lead_ids)},
        )
        return self._data(resp)

    def get_deal(self, deal_id: str) -> dict:
        return self._data(self._client.get(f"/Deals/{deal_id}"))[0]

    def update_contact(self, contact_id: str, fields: dict) -> dict:
        resp = self._client.put(f"/Contacts/{contact_id}", json={"data": [fields]})
        return self._data(resp)[0]

    def delete_event(self, event_id: str) -> None:
        logger.info("Deleting meeting %s", event_id)
        self._data(self._client.delete(f"/Events/{event_id}"))

    def get_shipment(self, shipment_id: str) -> dict:
        # Shipments is a custom module in our org.
        return self._data(self._client.get(f"/Shipments/{shipment_id}"))[0]

    def email_quote(self, quote_id: str, sender: str, recipient: str, subject: str, html: str) -> None:
        mail = {"from": {"email": sender}, "to": [{"email": recipient}], "subject": subject, "content": html}
        self._data(self._client.post(f"/Quotes/{quote_id}/actions/send_mail", json={"data": [mail]}))

    # --- metadata ------------------------------------------------------------

    def lead_fields(self) -> list[dict]:
        return self._data(self._client.get("/settings/fields?module=Leads"), key="fields")

    def current_user(self) -> dict:
        return self._data(self._client.get("/users?type=CurrentUser"), key="users")[0]
