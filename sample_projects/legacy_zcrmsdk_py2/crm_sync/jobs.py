# -*- coding: utf-8 -*-
"""Cron entry points. This file runs on Python 2 and 3."""
from __future__ import print_function

import zcrmsdk


def get_one(module, record_id):
    return zcrmsdk.ZCRMModule(module).get_record(record_id)


def nightly_accounts(ids):
    for record_id in ids:
        account = get_one("Accounts", record_id)
        print(account.data.entity_id)


def list_modules():
    return zcrmsdk.ZCRMRestClient.get_instance().get_all_modules()
