"""Back-office jobs against Zoho CRM, on one self-client token (client-credentials flow)."""
