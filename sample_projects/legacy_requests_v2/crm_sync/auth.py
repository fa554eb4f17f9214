"""OAuth access-token handling for Zoho (refresh-token grant, cached in Django's cache)."""
import logging
import os

import requests
from django.core.cache import cache

from crm_sync import settings

logger = logging.getLogger(__name__)


def refresh_access_token():
    """Trade the long-lived refresh token for a new access token at Zoho Accounts."""
    payload = {
        "refresh_token": os.environ["ZOHO_REFRESH_TOKEN"],
        "client_id": os.environ.get("ZOHO_CLIENT_ID"),
        "client_secret": os.environ["ZOHO_CLIENT_SECRET"],
        "grant_type": "refresh_token",
    }
    resp = requests.post(settings.ZOHO_TOKEN_URL, data=payload, timeout=settings.REQUEST_TIMEOUT)
    resp.raise_for_status()
    body = resp.json()
    # Zoho answers 200 with {"error": "invalid_code"} when the refresh token is bad.
    if "access_token" not in body:
        raise RuntimeError("Zoho token refresh failed: %s" % body.get("error"))
    ttl = int(body.get("expires_in", 3600)) - 60
    cache.set(settings.TOKEN_CACHE_KEY, body["access_token"], ttl)
    logger.info("Refreshed Zoho access token (api_domain=%s)", body.get("api_domain"))
    return body["access_token"]


def auth_headers():
    """Headers for a CRM request, refreshing the token when the cached one expired."""
    token = cache.get(settings.TOKEN_CACHE_KEY)
    if token is None:
        token = refresh_access_token()
    return {"Authorization": "Zoho-oauthtoken %s" % token}
