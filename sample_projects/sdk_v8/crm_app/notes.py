"""Notes attached to a lead, through the related-records API."""

from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.related_records import GetRelatedRecordsParam, RelatedRecordsOperations


def lead_notes(lead_id):
    param_instance = ParameterMap()
    param_instance.add(GetRelatedRecordsParam.per_page, 50)
    related_records_operations = RelatedRecordsOperations("Notes", "Leads")
    response = related_records_operations.get_related_records(lead_id, param_instance)
    return [] if response is None else response.get_object().get_data()
