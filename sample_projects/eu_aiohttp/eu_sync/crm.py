"""Zoho CRM (EU data centre, API v2.1) calls made by the nightly sync, on aiohttp."""
import logging
import os

import aiohttp

logger = logging.getLogger(__name__)

API = "https://www.zohoapis.eu/crm/v2.1"


def auth_headers():
    """The access token is refreshed by the platform's secret sidecar and handed to us via env."""
    return {"Authorization": f"Zoho-oauthtoken {os.environ['ZOHO_EU_ACCESS_TOKEN']}"}


async def nightly_sync(new_contacts, closed_deal_ids):
    """Pull leads, push new contacts, drop deals cancelled in the shop; returns the leads seen."""
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(headers=auth_headers(), timeout=timeout) as session:
        async with session.get(f"{API}/Leads", params={"per_page": 200}) as resp:
            resp.raise_for_status()
            leads = [] if resp.status == 204 else (await resp.json())["data"]
        logger.info("Fetched %d leads", len(leads))

        # Insert accepts at most 100 records per call.
        for start in range(0, len(new_contacts), 100):
            batch = new_contacts[start:start + 100]
            async with session.post(f"{API}/Contacts", json={"data": batch}) as resp:
                body = await resp.json()
                failed = [r for r in body.get("data", []) if r.get("status") != "success"]
                if failed:
                    logger.error("%d contacts rejected: %s", len(failed), failed[:3])

        for deal_id in closed_deal_ids:
            async with session.request("DELETE", f"{API}/Deals/{deal_id}") as resp:
                if resp.status >= 400:
                    logger.warning("Could not delete deal %s: HTTP %s", deal_id, resp.status)
    return leads
