"""Static configuration for the sync jobs. Secrets come from the environment, never from here."""

import os

# Modules mirrored into the warehouse every night.
SYNCED_MODULES = ("Leads", "Deals")

# Warehouse table -> CRM module that `jobs.push` writes it to.
EXPORTS = {
    "leads": "Leads",
    "contacts": "Contacts",
    "accounts": "Accounts",
}

DEAL_EXPORT_FIELDS = ["Deal_Name", "Stage", "Amount", "Closing_Date", "Account_Name"]

WAREHOUSE_DIR = os.environ.get("CRMSYNC_WAREHOUSE_DIR", "/var/lib/crmsync")
