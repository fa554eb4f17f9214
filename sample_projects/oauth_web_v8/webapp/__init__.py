"""A small Flask front end to Zoho CRM: sign in with Zoho, list leads, import contacts."""
