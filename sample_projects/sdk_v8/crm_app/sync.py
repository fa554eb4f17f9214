"""Nightly sync and a small command line."""

import argparse

from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import RecordOperations, SearchRecordsParam

from crm_app.leads import LeadRecords, upsert_contacts
from crm_app.notes import lead_notes
from crm_app.setup_sdk import SDKInitializer
from crm_app.store import Snapshot

snapshot = Snapshot()


def fetch(module):
    """First page of any module; the module is chosen by the caller."""
    param_instance = ParameterMap()
    return RecordOperations(module).get_records(param_instance)


def search(module, criteria):
    param_instance = ParameterMap()
    param_instance.add(SearchRecordsParam.criteria, criteria)
    return RecordOperations(module).search_records(param_instance)


def nightly():
    SDKInitializer.initialize()
    leads = LeadRecords.fetch_page(1)
    snapshot.put("Leads", leads)
    snapshot.put("Contacts", fetch("Contacts"))
    snapshot.put("Deals", fetch("Deals"))
    for lead in snapshot.get_records("Leads"):
        lead_notes(lead.get_id())
    upsert_contacts([])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="crm-app")
    parser.add_argument("module")
    parser.add_argument("criteria")
    args = parser.parse_args(argv)
    SDKInitializer.initialize()
    for record in search(args.module, args.criteria).get_object().get_data():
        print(record.get_id())
