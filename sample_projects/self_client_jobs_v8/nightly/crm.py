"""Thin helpers over the CRM REST API; every job shares them, and the token."""
import requests

from nightly import auth, settings


def coql(query):
    resp = requests.post(f"{settings.API}/coql", headers=auth.headers(), json={"select_query": query}, timeout=60)
    resp.raise_for_status()
    return resp.json().get("data", [])


def lost_deal_ids():
    resp = requests.get(f"{settings.API}/Deals", headers=auth.headers(),
                        params={"fields": "id,Stage", "per_page": 200}, timeout=30)
    return [d["id"] for d in resp.json().get("data", [])]


def delete_deal(deal_id):
    requests.delete(f"{settings.API}/Deals/{deal_id}", headers=auth.headers(), timeout=30).raise_for_status()


def update_deal(deal):
    resp = requests.put(f"{settings.API}/Deals/{deal['id']}", headers=auth.headers(), json={"data": [deal]},
                        timeout=30)
    resp.raise_for_status()


def search_leads(email):
    resp = requests.get(f"{settings.API}/Leads/search", headers=auth.headers(), params={"email": email}, timeout=30)
    return resp.json().get("data", []) if resp.status_code == 200 else []


def start_bulk_read():
    resp = requests.post(f"{settings.BULK}/read", headers=auth.headers(), json={
        "query": {"module": {"api_name": "Deals"}, "fields": ["Deal_Name", "Stage", "Amount"]},
    }, timeout=30)
    return resp.json()["data"][0]["details"]["id"]


def bulk_state(job_id):
    resp = requests.get(f"{settings.BULK}/read/{job_id}", headers=auth.headers(), timeout=30)
    return resp.json()["data"][0]["state"]


def org():
    return requests.get(f"{settings.API}/org", headers=auth.headers(), timeout=30).json()["org"][0]


def me():
    resp = requests.get(f"{settings.API}/users", headers=auth.headers(), params={"type": "CurrentUser"}, timeout=30)
    return resp.json()["users"][0]
