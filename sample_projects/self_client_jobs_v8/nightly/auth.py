"""The client-credentials grant of a self client: the token's scopes are asked for here."""
import os

import requests

from nightly import settings


def fetch_token():
    resp = requests.post(f"{settings.ACCOUNTS}/oauth/v2/token", params={
        "grant_type": "client_credentials",
        "client_id": os.environ["ZOHO_CLIENT_ID"],
        "client_secret": os.environ["ZOHO_CLIENT_SECRET"],
        "scope": settings.ZOHO_SCOPES,
        "soid": f"ZohoCRM.{settings.ORG_ID}",
    }, timeout=30)
    resp.raise_for_status()
    return resp.json()["access_token"]


def headers():
    return {"Authorization": f"Zoho-oauthtoken {fetch_token()}"}
