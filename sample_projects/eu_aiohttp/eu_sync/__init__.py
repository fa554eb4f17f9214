"""eu_sync: nightly sync between the shop database and our Zoho org in the EU data centre."""
