"""Celery tasks that keep Zoho CRM in step with the customer database."""
import logging
import os

from crm_sync import api
from crm_sync.users import UserDirectory

logger = logging.getLogger(__name__)

DRY_RUN = os.environ.get("CRM_SYNC_DRY_RUN") == "1"


def check_connection():
    org = api.fetch_org()
    logger.info("Connected to Zoho org %s (%s)", org["company_name"], org["id"])


def sync_customer(customer, directory=None):
    """Create or update the CRM side of one customer row."""
    directory = directory or UserDirectory()
    owner = directory.owner_id(customer["account_manager_email"])
    lead = api.find_lead_by_email(customer["email"])
    if DRY_RUN:
        logger.info("dry run: would sync %s (lead=%s)", customer["email"], lead and lead["id"])
        return
    if customer.get("zoho_contact_id"):
        api.update_contact(customer["zoho_contact_id"], {"Email": customer["email"], "Owner": owner})
    else:
        account_id = api.create_account({"Account_Name": customer["company"], "Owner": owner})
        logger.info("Created account %s for %s", account_id, customer["company"])
    if lead is not None:
        api.delete_lead(lead["id"])


def sync_order(order):
    deal = api.get_deal(order["zoho_deal_id"])
    books = {pb["Price_Book_Name"]: pb["id"] for pb in api.list_price_books()}
    api.create_sales_order({
        "Subject": order["number"],
        "Deal_Name": deal["id"],
        "Price_Book": books.get(order["price_list"]),
    })


def purge_stale_leads():
    page, more = 1, True
    while more:
        leads, more = api.list_leads(page)
        for lead in leads:
            if lead.get("Lead_Status") == "Junk Lead":
                api.delete_lead(lead["id"])
        page += 1
