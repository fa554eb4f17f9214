"""Nothing that looks like a Zoho call vanishes: a file that names Zoho CRM but gives no site is a warning."""

from __future__ import annotations

# zcrmsdk calls are read (models/zcrmsdk_legacy.py), but not on an SDK object kept in a dict filled at run time.
LEGACY = '''import zcrmsdk
from zcrmsdk import ZCRMRestClient, ZCRMModule

def leads(modules):
    ZCRMRestClient.initialize({})
    return modules["Leads"].get_records()
'''


def test_a_file_that_calls_an_unknown_zoho_api_is_a_warning(project):
    result = project({"app/crm.py": LEGACY})
    assert [(w.file, w.message) for w in result.warnings] == [
        ("app/crm.py", "imports zcrmsdk (line 1), but scopeplan found no call site in it")]


def test_a_settings_module_holding_the_base_url_is_not(project):
    result = project({"app/settings.py": 'import os\nBASE = "https://www.zohoapis.com/crm/v2"\n'
                                         'TOKEN = os.environ.get("ZOHO_TOKEN")\n',
                      "app/api.py": "import requests\nfrom app.settings import BASE\n\n"
                                    "def leads():\n    return requests.get(BASE + '/Leads')\n"})
    assert result.warnings == ()
    assert [(r.site.location.file, r.path) for r in result.resolutions] == [("app/api.py", "/crm/v2/Leads")]


def test_the_text_report_does_not_say_no_calls_over_a_warning(project):
    from scopeplan.report import text

    rendered = text.render(project({"app/crm.py": LEGACY}))
    assert "No Zoho CRM calls found." not in rendered
    assert "app/crm.py: imports zcrmsdk (line 1)" in rendered



def test_a_crm_base_url_without_a_trailing_slash_is_a_sign():
    from scopeplan.scanner.signs import signs

    assert signs(['BASE = "https://www.zohoapis.com/crm/v2"']) == (
        "names zohoapis.com/crm/v2 (line 1)",)
    assert signs(['X = "/crm/v2.1"', 'Y = "/crm/version"']) == ("names /crm/v2.1 (line 1)",)
    assert signs(['Y = "/crmv2/x"', 'Z = "/crm/vendors"']) == ()


def test_endpoints_held_as_data_with_no_followed_sender_are_a_warning(project):
    # the model names CRM paths but makes no call; the executor picks an operation in a way scopeplan
    # cannot follow (an index filled by a loop at run time): the project as a whole found nothing
    result = project({"app/model.py": 'OPS = [dict(method="GET", path="/crm/v2/Leads")]\n',
                      "app/executor.py": "import httpx\nfrom app.model import OPS\n\nINDEX = {}\n"
                                         "for op in OPS:\n    INDEX[op['path']] = op\n\n"
                                         "def run(key, client: httpx.Client):\n"
                                         "    op = INDEX[key]\n    return client.request(op['method'], op['path'])\n"})
    assert result.resolutions == ()
    assert [w.file for w in result.warnings] == ["app/model.py"]
    assert "names /crm/v2/Leads (line 1)" in result.warnings[0].message
