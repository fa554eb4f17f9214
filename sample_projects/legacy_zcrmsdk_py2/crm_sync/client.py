# -*- coding: utf-8 -*-
"""Thin layer over zcrmsdk 2.0.x, written for Python 2.7."""
import logging

from zcrmsdk import ZCRMRestClient, ZCRMModule, ZCRMRecord, ZCRMOrganization, ZCRMException

from crm_sync.settings import ZCRM_CONFIG, LEADS, DEALS, PAGE_SIZE

log = logging.getLogger(__name__)

ZCRMRestClient.initialize(ZCRM_CONFIG)


def fetch_leads(page=1):
    try:
        resp = ZCRMModule.get_instance(LEADS).get_records(page=page, per_page=PAGE_SIZE)
    except ZCRMException, e:
        print "could not fetch leads: %s" % e
        return []
    return resp.data


def update_deal(deal_id, fields):
    record = ZCRMRecord.get_instance(DEALS, deal_id)
    for key, value in fields.iteritems():
        record.set_field_value(key, value)
    resp = record.update()
    if resp.status_code <> 200:
        raise ValueError, "deal %s not updated" % deal_id
    return resp


def create_contact(data):
    record = ZCRMRecord("Contacts", None)
    for key, value in data.items():
        record.set_field_value(key, value)
    return record.create()


def find_leads(word):
    return ZCRMModule.get_instance(LEADS).search_records(word)


def active_users():
    users = ZCRMOrganization.get_instance().get_all_users()
    print >>log, `users`
    return users.data
