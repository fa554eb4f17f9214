"""Settings: US data centre, one self client for every job."""
import os

ACCOUNTS = "https://accounts.zoho.com"
API = "https://www.zohoapis.com/crm/v8"
BULK = "https://www.zohoapis.com/crm/bulk/v8"
ORG_ID = os.environ.get("ZOHO_ORG_ID")

ZOHO_SCOPES = ("ZohoCRM.modules.deals.ALL,ZohoCRM.modules.leads.READ,ZohoCRM.bulk.READ,"
               "ZohoCRM.org.READ,ZohoCRM.users.READ,ZohoSearch.securesearch.READ")
