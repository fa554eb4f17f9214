"""python -m eu_sync: run the nightly sync once."""
import asyncio
import json
import logging
import sys

from eu_sync.books import unpaid_invoices
from eu_sync.crm import nightly_sync


async def main(export_path):
    with open(export_path, encoding="utf-8") as fh:
        export = json.load(fh)
    leads = await nightly_sync(export["new_contacts"], export["cancelled_deal_ids"])
    on_hold = await unpaid_invoices(export["books_organization_id"])
    logging.info("sync done: %d leads, %d invoices on hold", len(leads), len(on_hold))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(sys.argv[1]))
