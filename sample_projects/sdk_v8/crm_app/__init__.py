"""Lead and contact sync for the sales team, on the official Zoho CRM Python SDK (zohocrmsdk8-0)."""
