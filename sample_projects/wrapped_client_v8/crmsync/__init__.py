"""crmsync: nightly sync between the warehouse and Zoho CRM (v8 REST API)."""

__version__ = "0.8.2"
