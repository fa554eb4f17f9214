"""Zoho Books (not CRM): unpaid invoices, used to flag accounts on hold."""
import logging
import os

import aiohttp

logger = logging.getLogger(__name__)

BOOKS_INVOICES_URL = "https://www.zohoapis.eu/books/v3/invoices"


async def unpaid_invoices(organization_id):
    headers = {"Authorization": f"Zoho-oauthtoken {os.environ['ZOHO_BOOKS_ACCESS_TOKEN']}"}
    params = {"organization_id": organization_id, "status": "unpaid"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(BOOKS_INVOICES_URL, params=params) as resp:
            resp.raise_for_status()
            invoices = (await resp.json()).get("invoices", [])
    logger.info("%d unpaid invoices in Books", len(invoices))
    return invoices
