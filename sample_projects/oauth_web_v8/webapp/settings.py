"""Zoho settings for the web app (US data centre). Secrets come from the environment."""
import os

ACCOUNTS = "https://accounts.zoho.com"
API = "https://www.zohoapis.com/crm/v8"

# What the consent screen asks for. "modules.ALL" was the quick way to get going.
ZOHO_SCOPES = ["ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.users.READ"]

CLIENT_ID = os.environ.get("ZOHO_CLIENT_ID")
CLIENT_SECRET = os.environ.get("ZOHO_CLIENT_SECRET")
REDIRECT_URI = "https://crm-tools.example.com/oauth/callback"
