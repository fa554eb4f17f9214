"""Thin wrappers around the Zoho CRM v2 REST API used by the sync jobs."""
import logging
from urllib.parse import quote, urljoin

import requests
from django.core.cache import cache

from crm_sync import settings
from crm_sync.auth import auth_headers
from crm_sync.settings import ZOHO_API_BASE

logger = logging.getLogger(__name__)


def _get(url):
    """GET a CRM URL and return the decoded body ({} when Zoho answers 204)."""
    resp = requests.get(url, headers=auth_headers(), timeout=settings.REQUEST_TIMEOUT)
    resp.raise_for_status()
    return resp.json() if resp.status_code != 204 else {}


def cached_get(url, ttl=300):
    """Read-through cache keyed by URL; searches are repeated a lot during a sync."""
    data = cache.get(url)
    if data is None:
        data = _get(url)
        cache.set(url, data, ttl)
    return data


def list_leads(page=1):
    resp = requests.get(
        settings.LEADS_URL,
        headers=auth_headers(),
        params={"page": page, "per_page": 200},
        timeout=settings.REQUEST_TIMEOUT,
    )
    resp.raise_for_status()
    if resp.status_code == 204:
        return [], False
    body = resp.json()
    return body["data"], body["info"]["more_records"]


def find_lead_by_email(email):
    body = cached_get(settings.LEADS_URL + "/search?email=" + quote(email))
    return body.get("data", [None])[0]


def update_contact(contact_id, fields):
    url = f"{ZOHO_API_BASE}/Contacts/{contact_id}"
    resp = requests.put(url, json={"data": [fields]}, headers=auth_headers(), timeout=settings.REQUEST_TIMEOUT)
    resp.raise_for_status()
    return resp.json()["data"][0]


def get_deal(deal_id):
    resp = requests.get("%s/Deals/%s" % (ZOHO_API_BASE, deal_id), headers=auth_headers())
    resp.raise_for_status()
    return resp.json()["data"][0]


def create_account(account):
    resp = requests.post(
        "{}/Accounts".format(ZOHO_API_BASE),
        json={"data": [account], "trigger": []},
        headers=auth_headers(),
        timeout=settings.REQUEST_TIMEOUT,
    )
    resp.raise_for_status()
    return resp.json()["data"][0]["details"]["id"]


def list_price_books():
    resp = requests.get(urljoin(settings.ZOHO_API_ROOT, "Price_Books"), headers=auth_headers())
    resp.raise_for_status()
    return resp.json().get("data", [])


def delete_lead(lead_id):
    logger.warning("Deleting Zoho lead %s", lead_id)
    resp = requests.delete("/".join([ZOHO_API_BASE, "Leads", lead_id]), headers=auth_headers())
    resp.raise_for_status()


def create_sales_order(order):
    url = ZOHO_API_BASE + "/Sales_Orders"
    resp = requests.request("POST", url, json={"data": [order]}, headers=auth_headers())
    resp.raise_for_status()
    return resp.json()["data"][0]["details"]["id"]


def fetch_org(url=ZOHO_API_BASE + "/org"):
    resp = requests.get(url, headers=auth_headers(), timeout=settings.REQUEST_TIMEOUT)
    resp.raise_for_status()
    return resp.json()["org"][0]
