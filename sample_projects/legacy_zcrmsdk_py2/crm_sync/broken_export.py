# -*- coding: utf-8 -*-
"""Half-merged in 2019 and never fixed: neither Python 2 nor Python 3 accepts it."""
from zcrmsdk import ZCRMModule

<<<<<<< HEAD
def export():
    return ZCRMModule.get_instance("Quotes").get_records()
=======
def export(module):
    return ZCRMModule.get_instance(module).get_records()
>>>>>>> feature/export
