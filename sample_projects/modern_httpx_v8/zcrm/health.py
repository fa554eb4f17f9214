"""Readiness probe: is the CRM reachable with the current token?"""
import logging
import os

import httpx

logger = logging.getLogger(__name__)


def crm_ready(timeout: float = 5.0) -> bool:
    try:
        resp = httpx.get(
            "https://www.zohoapis.com/crm/v7/org",
            headers={"Authorization": f"Zoho-oauthtoken {os.environ['ZOHO_ACCESS_TOKEN']}"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        logger.warning("CRM not reachable: %s", exc)
        return False
    return resp.status_code == 200
