# -*- coding: utf-8 -*-
# Settings for the nightly CRM sync (2018). Python 2.7.
import os

print "loading crm_sync settings"

ZCRM_CONFIG = {
    "client_id": os.environ.get("ZCRM_CLIENT_ID", ""),
    "client_secret": os.environ.get("ZCRM_CLIENT_SECRET", ""),
    "redirect_uri": "https://example.com/zoho/callback",
    "token_persistence_path": "/var/lib/crm_sync",
    "currentUserEmail": "ops@example.com",
}

LEADS = "Leads"
DEALS = "Deals"
PAGE_SIZE = 200L
