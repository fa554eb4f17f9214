"""scopeplan: least-privilege Zoho CRM OAuth scopes and worst-case credits, by static analysis."""

__version__ = "0.1.0"
