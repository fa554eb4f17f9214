"""Landing zone for CRM pages: one JSON-lines file per module and day."""

import datetime
import json
import os

from crmsync.settings import WAREHOUSE_DIR


def _path(name):
    day = datetime.date.today().isoformat()
    return os.path.join(WAREHOUSE_DIR, name.lower(), f"{day}.jsonl")


def save(name, rows):
    path = _path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    return len(rows)
