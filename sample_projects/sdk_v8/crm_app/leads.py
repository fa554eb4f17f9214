"""Leads: read a page, create from web sign-ups, update a status, upsert contacts by e-mail."""

from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper, APIException, BodyWrapper, Field, GetRecordsParam, Record, RecordOperations, ResponseWrapper,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.util import Choice

PAGE_SIZE = 200


class LeadRecords:

    @staticmethod
    def fetch_page(page):
        param_instance = ParameterMap()
        param_instance.add(GetRecordsParam.page, page)
        param_instance.add(GetRecordsParam.per_page, PAGE_SIZE)
        param_instance.add(GetRecordsParam.fields, "Last_Name,Email,Lead_Status")
        header_instance = HeaderMap()
        record_operations = RecordOperations("Leads")
        response = record_operations.get_records(param_instance, header_instance)
        if response is None or response.get_status_code() in (204, 304):
            return []
        response_object = response.get_object()
        if isinstance(response_object, ResponseWrapper):
            return response_object.get_data()
        if isinstance(response_object, APIException):
            raise RuntimeError(response_object.get_message().get_value())
        return []

    @staticmethod
    def create(signups):
        request = BodyWrapper()
        records = []
        for signup in signups:
            record = Record()
            record.add_field_value(Field.Leads.last_name(), signup["last_name"])
            record.add_field_value(Field.Leads.email(), signup["email"])
            record.add_field_value(Field.Leads.company(), signup.get("company", "-"))
            records.append(record)
        request.set_data(records)
        request.set_trigger(["approval", "workflow"])
        response = RecordOperations("Leads").create_records(request, HeaderMap())
        return _ids(response)

    @staticmethod
    def set_status(record_id, status):
        record = Record()
        record.add_field_value(Field.Leads.lead_status(), Choice(status))
        request = BodyWrapper()
        request.set_data([record])
        record_operations = RecordOperations(module_api_name="Leads")
        return _ids(record_operations.update_record(record_id, request))


def upsert_contacts(people):
    """Contacts keyed by e-mail; the module name is written in lower case, the SDK sends `Contacts`."""
    request = BodyWrapper()
    records = []
    for person in people:
        record = Record()
        record.add_field_value(Field.Contacts.email(), person["email"])
        record.add_field_value(Field.Contacts.last_name(), person["name"])
        records.append(record)
    request.set_data(records)
    request.set_duplicate_check_fields(["Email"])
    return _ids(RecordOperations("contacts").upsert_records(request))


def _ids(response):
    if response is None:
        return []
    out = []
    action_wrapper = response.get_object()
    if isinstance(action_wrapper, ActionWrapper):
        for action_response in action_wrapper.get_data():
            if isinstance(action_response, SuccessResponse):
                out.append(action_response.get_details().get("id"))
    return out
