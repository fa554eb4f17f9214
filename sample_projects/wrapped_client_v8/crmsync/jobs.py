"""Scheduled jobs. The scheduler (see deploy/cron.yaml) imports this module and calls the jobs by name."""

import logging
import time

import requests

from crmsync import warehouse
from crmsync.client import client, eu_client
from crmsync.settings import EXPORTS, SYNCED_MODULES

log = logging.getLogger(__name__)


def sync_core_modules():
    """Nightly: mirror every record of the synced modules into the warehouse, page by page."""
    for m in SYNCED_MODULES:
        page = 1
        body = client.list_records(m, page=page)
        warehouse.save(m, body.get("data", []))
        info = body.get("info", {})
        while info.get("more_records"):
            page += 1
            body = client.list_records(m, page=page)
            warehouse.save(m, body.get("data", []))
            info = body.get("info", {})
        log.info("synced %s: %d pages", m, page)


def refresh_eu_directory():
    """Hourly: first page of EU contacts and accounts, for the support desk's lookup table."""
    for module in ("Contacts", "Accounts"):
        body = eu_client.list_records(module)
        warehouse.save("eu_" + module.lower(), body.get("data", []))


def push(kind, rows):
    """Write up to 100 warehouse rows of table `kind` to their CRM module."""
    module = EXPORTS[kind]
    result = client.upsert(module, rows)
    failed = [r for r in result.get("data", []) if r.get("status") != "success"]
    if failed:
        log.warning("%d of %d %s rows failed", len(failed), len(rows), module)
    return result


def mark_deals_synced(deal_ids):
    """Flag deals the warehouse has ingested (the scheduler passes at most 100 ids)."""
    rows = [{"id": deal_id, "Synced_To_Warehouse": True} for deal_id in deal_ids]
    return client.update("Deals", rows)


def stale_contacts():
    """Contacts untouched for a year, for the data-quality report. Retries transient failures."""
    for _ in range(3):
        try:
            body = client.query(
                "select Last_Name, Email, Owner from Contacts where Modified_Time < '2024-01-01T00:00:00+00:00' limit 1000"
            )
            return body.get("data", [])
        except requests.ConnectionError:
            log.warning("COQL failed, retrying in 10 s")
            time.sleep(10)
    return []
