"""The CRM calls the views make, with the signed-in user's access token."""
import requests

from webapp import settings


def _headers(token):
    return {"Authorization": f"Zoho-oauthtoken {token}"}


def recent_leads(token):
    resp = requests.get(f"{settings.API}/Leads", headers=_headers(token),
                        params={"fields": "Last_Name,Email,Company", "per_page": 50}, timeout=30)
    resp.raise_for_status()
    return resp.json().get("data", [])


def create_contact(token, row):
    resp = requests.post(f"{settings.API}/Contacts", headers=_headers(token), json={"data": [row]}, timeout=30)
    resp.raise_for_status()
    return resp.json()["data"][0]


def current_user(token):
    resp = requests.get(f"{settings.API}/users", headers=_headers(token), params={"type": "CurrentUser"}, timeout=30)
    resp.raise_for_status()
    return resp.json()["users"][0]
