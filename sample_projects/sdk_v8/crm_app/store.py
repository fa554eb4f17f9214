"""A local snapshot of synced records; nothing here talks to Zoho."""


class Snapshot:

    def __init__(self):
        self._by_module = {}

    def get_records(self, module):
        return self._by_module.get(module, [])

    def put(self, module, records):
        self._by_module.setdefault(module, []).extend(records)
