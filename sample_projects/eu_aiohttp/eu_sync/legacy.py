"""Yearly audit export, still on the old CRM v1 API.

TODO(ops-412): Zoho switched API v1 off at the end of 2018; port this to the v2.1 Get Records API.
"""
import json
import logging
import os
import urllib.request

logger = logging.getLogger(__name__)


def export_leads_v1():
    url = (
        "https://crm.zoho.eu/crm/private/json/Leads/getRecords"
        f"?authtoken={os.environ['ZOHO_V1_AUTHTOKEN']}&scope=crmapi"
    )
    with urllib.request.urlopen(url, timeout=60) as resp:
        payload = json.load(resp)
    rows = payload["response"]["result"]["Leads"]["row"]
    logger.info("v1 export returned %d rows", len(rows))
    return rows
