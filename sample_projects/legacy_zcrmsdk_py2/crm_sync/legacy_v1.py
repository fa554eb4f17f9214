# -*- coding: utf-8 -*-
"""The pre-OAuth export, still on the v1 API (authtoken). Python 2.7."""
import urllib
import urllib2

import requests

AUTHTOKEN = "set-me"
BY_ID = "https://crm.zoho.com/crm/private/json/MODULE/getRecordById"


def push_lead(xml):
    url = "https://crm.zoho.com/crm/private/xml/Leads/insertRecords?authtoken=%s&scope=crmapi" % AUTHTOKEN
    request = urllib2.Request(url, urllib.urlencode({"xmlData": xml}))
    return urllib2.urlopen(request).read()


def contact_by_id(contact_id):
    url = BY_ID.replace("MODULE", "Contacts")
    return requests.get(url, params={"authtoken": AUTHTOKEN, "scope": "crmapi", "id": contact_id})
