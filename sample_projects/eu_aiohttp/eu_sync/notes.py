"""Attach a note to a CRM record. Synchronous on purpose: called from the admin CLI."""
import json
import logging
import urllib.request

from eu_sync.crm import API, auth_headers

logger = logging.getLogger(__name__)


def add_note(parent_module, parent_id, title, content):
    note = {"Note_Title": title, "Note_Content": content, "Parent_Id": parent_id, "se_module": parent_module}
    url = f"{API}/Notes"
    headers = dict(auth_headers(), **{"Content-Type": "application/json"})
    req = urllib.request.Request(url, data=json.dumps({"data": [note]}).encode("utf-8"), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        result = json.load(resp)["data"][0]
    logger.info("Note on %s %s: %s", parent_module, parent_id, result["status"])
    return result["details"]["id"]
