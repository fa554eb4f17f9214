"""crm_sync: pushes our customer data into Zoho CRM (API v2).

Written for the old Django monolith; the sync jobs in ``tasks`` are run by Celery beat.
"""

__version__ = "1.4.2"
