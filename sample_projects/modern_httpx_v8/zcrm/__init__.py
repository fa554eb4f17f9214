"""zcrm: the service's Zoho CRM client (API v8, httpx)."""

from zcrm.client import CRMClient, ZohoCRMError

__all__ = ["CRMClient", "ZohoCRMError"]
