"""Async helpers: fan out reads, and diff sandbox vs. production metadata."""
from __future__ import annotations

import asyncio
import logging
import os

import httpx

logger = logging.getLogger(__name__)

SANDBOX_BASE = "https://sandbox.zohoapis.com/crm/v8"


def _auth(env_var: str) -> dict[str, str]:
    return {"Authorization": f"Zoho-oauthtoken {os.environ[env_var]}"}


async def fetch_deals(deal_ids: list[str]) -> list[dict]:
    """Fetch several deals concurrently (Zoho allows ~20 parallel calls on Enterprise)."""
    async with httpx.AsyncClient(
        base_url="https://www.zohoapis.com/crm/v8", headers=_auth("ZOHO_ACCESS_TOKEN")
    ) as client:
        responses = await asyncio.gather(*(client.get(f"/Deals/{deal_id}") for deal_id in deal_ids))
    return [r.json()["data"][0] for r in responses if r.status_code == 200]


async def sandbox_module_names() -> set[str]:
    """API names of the modules in the sandbox org, to spot unreleased custom modules."""
    async with httpx.AsyncClient(base_url=SANDBOX_BASE, headers=_auth("ZOHO_SANDBOX_TOKEN")) as client:
        resp = await client.get("/settings/modules")
        resp.raise_for_status()
    names = {m["api_name"] for m in resp.json().get("modules", [])}
    logger.info("Sandbox has %d modules", len(names))
    return names
