"""Weekly full export of Deals through the Bulk Read API (cheaper than paging 200 at a time)."""

import logging
import os
import time

from crmsync.client import client
from crmsync.settings import DEAL_EXPORT_FIELDS, WAREHOUSE_DIR

log = logging.getLogger(__name__)

POLL_SECONDS = 30


def export_deals():
    job_id = client.start_bulk_read({
        "module": {"api_name": "Deals"},
        "fields": DEAL_EXPORT_FIELDS,
        "page": 1,
    })
    log.info("bulk read job %s started", job_id)
    details = _wait_for_job(job_id)
    if details["state"] != "COMPLETED":
        raise RuntimeError(f"bulk read {job_id} ended as {details['state']}")
    target = os.path.join(WAREHOUSE_DIR, f"deals-{job_id}.zip")
    return client.download_bulk_result(job_id, target)


def _wait_for_job(job_id, attempt=0):
    """Poll until the job leaves the queue; Zoho gives no upper bound, so neither do we."""
    details = client.bulk_read_status(job_id)
    if details["state"] in ("ADDED", "QUEUED", "IN PROGRESS"):
        time.sleep(min(POLL_SECONDS * (attempt + 1), 300))
        return _wait_for_job(job_id, attempt + 1)
    return details
