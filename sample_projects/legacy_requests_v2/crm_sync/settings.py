"""Zoho CRM connection settings.

Our org lives in the US data centre. Secrets come from the environment and are
never committed.
"""
import os

ZOHO_API_BASE = "https://www.zohoapis.com/crm/v2"
# urljoin() drops the last path segment unless the base ends with a slash.
ZOHO_API_ROOT = "https://www.zohoapis.com/crm/v2/"
ZOHO_TOKEN_URL = "https://accounts.zoho.com/oauth/v2/token"

LEADS_URL = ZOHO_API_BASE + "/Leads"

ZOHO_CLIENT_ID = os.environ.get("ZOHO_CLIENT_ID")

REQUEST_TIMEOUT = 30
TOKEN_CACHE_KEY = "crm_sync:zoho_access_token"
