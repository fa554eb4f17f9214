"""Maps our staff e-mail addresses to Zoho CRM user ids (record owners)."""
import logging

import requests

from crm_sync import settings
from crm_sync.auth import auth_headers

logger = logging.getLogger(__name__)


class UserDirectory:
    """Lazily loads the active CRM users once per sync run."""

    BASE = "https://www.zohoapis.com/crm/v2"

    def __init__(self):
        self.session = requests.Session()
        self.session.headers.update(auth_headers())
        self._by_email = None

    def _load(self):
        resp = self.session.get(
            self.BASE + "/users",
            params={"type": "ActiveUsers"},
            timeout=settings.REQUEST_TIMEOUT,
        )
        resp.raise_for_status()
        users = resp.json().get("users", [])
        logger.debug("Loaded %d active Zoho users", len(users))
        return {u["email"].lower(): u["id"] for u in users}

    def owner_id(self, email):
        if self._by_email is None:
            self._by_email = self._load()
        return self._by_email.get(email.lower())
