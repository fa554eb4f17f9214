"""The jobs: two Celery tasks on a schedule, three click commands an operator runs by hand."""
import csv

import click
from celery import shared_task

from nightly import crm

PROSPECTS = ("ana@example.com", "bo@example.com", "cy@example.com", "dee@example.com")


@shared_task
def nightly_export():
    """Read-only: last week's won deals for the warehouse, and a full Deals export."""
    won = crm.coql("select Deal_Name, Amount from Deals where Stage = 'Closed Won' limit 250")
    job_id = crm.start_bulk_read()
    while True:
        if crm.bulk_state(job_id) == "COMPLETED":
            return won, job_id


@shared_task
def purge_lost_deals():
    """Deletes: the lost deals the sales team no longer wants to see."""
    for deal_id in crm.lost_deal_ids():
        crm.delete_deal(deal_id)


@click.command()
@click.argument("path")
def reprice(path):
    """Apply a price list: one deal per CSV row."""
    with open(path) as f:
        for deal in csv.DictReader(f):
            crm.update_deal(deal)


@click.command()
def match_prospects():
    """Which prospects are leads already."""
    for email in PROSPECTS:
        click.echo(f"{email}: {len(crm.search_leads(email))}")


@click.command()
def whoami():
    org = crm.org()
    user = crm.me()
    click.echo(f"{user['email']} in {org['company_name']}")
