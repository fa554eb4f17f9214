#!/usr/bin/env python3
"""Rebuild scopeplan/data/catalogue_v8.json, modules.json and catalogue_v8_provenance.json.

    python tools/build_catalogue.py [--wheel-dir DIR] [--reference FILE]

Stdlib only.  Steps:

1. ``pip download --no-deps zohocrmsdk8-0==7.0.0`` and read every ``*Operations`` method's
   endpoint with ``ast`` (tools/sdk_extract.py).  The (method, path_template) pairs must equal
   those of shared/reference/sdk_endpoints_v8.json (skipped with a notice if that file is absent).
2. Expand ``{{module}}`` paths the way Zoho's own ``GET /__apis`` does: one literal entry per
   system module (scope names the module token) plus the ``{{module}}`` entry itself for
   custom modules (token ``custom``).  Scopes and credits come from the RULES tables below;
   every rule carries its source tags ([doc] [sdk] [oas] [3p] [infer]).
3. Merge the 17 documented ``__apis`` entries of tools/doc_apis_v7.json (paths rewritten to
   /crm/v8/); on a shared (path, method) the documented entry wins.
4. Write the files, deterministic: ``json.dumps(indent=1, sort_keys=True)`` + newline.

The result is *derived*, not a Zoho ``__apis`` response: users should prefer a real dump of
``GET /crm/v8/__apis`` (1 credit, scope ZohoCRM.apis.READ) when they can get one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sdk_extract as se  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "scopeplan" / "data"
DOC_APIS = Path(__file__).resolve().parent / "doc_apis_v7.json"
DEFAULT_REFERENCE = REPO.parent / "shared" / "reference" / "sdk_endpoints_v8.json"
SDK_KEY = "zohocrmsdk8_0"
API = "/crm/v8"

SCOPE_RE = re.compile(
    r"^Zoho(?:CRM|Files)\.[a-z][a-z_]*(\.[A-Za-z][A-Za-z0-9_]*)?\.(ALL|READ|CREATE|UPDATE|DELETE|WRITE|CUSTOM)$")

# --------------------------------------------------------------------------------------
# Source keys.  Every rule cites one or more of these; the README lists them in full.
# --------------------------------------------------------------------------------------
SOURCES = {
    "apis_samples": "[doc] __apis sample entries, https://www.zoho.com/crm/developer/docs/api/v7/list-available-rest-apis.html "
                    "(+ v8 page, + oas v8.0/apis/.../response-200-apiresponse.md); zoho-facts.md 3.4",
    "scopes_page": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/scopes.html (Available Scopes); zoho-facts.md 2.2",
    "select_scopes": "[doc] https://zoho.com/crm/developer/docs/api/v6/select-api-scopes.html and v8; zoho-facts.md 2.2",
    "api_limits": "[doc] api-limits pages and the Vertical Solutions credit table "
                  "https://www.zoho.com/developer/docs/vertical-solutions/api/v2/api-limits.html; zoho-facts.md 3.3",
    "kaizen60": "[doc] Kaizen #60 (Get Records = 1 credit); zoho-facts.md 3.3",
    "coql_limits": "[doc] COQL overview: LIMIT 1-200 -> 1, 201-1000 -> 2, 1001-2000 -> 3 credits; zoho-facts.md 3.3",
    "composite": "[doc] https://www.zoho.com/crm/developer/docs/api/v3/composite-overview.html (one credit per composite call); zoho-facts.md 2.2, 6",
    "apis_page": "[doc] list-available-rest-apis v7: scope ZohoCRM.apis.READ, 1 credit; zoho-facts.md 1.4",
    "change_owner_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/change-owner.html (Scope ZohoCRM.change_owner.CREATE)",
    "mass_delete_v8": "[doc] https://zoho.com/crm/developer/docs/api/v8/mass-delete.html (ZohoCRM.mass_delete.{module_name}.DELETE; module names as modules.* tokens)",
    "mass_update_docs": "[doc] https://zoho.com/crm/developer/docs/api/v8/mass-update-records.html and "
                        "https://www.zoho.com/crm/developer/docs/api/v2/mass-update-status.html (ZohoCRM.mass_update.{module_name}.READ)",
    "mass_convert_docs": "[doc] https://zoho.com/crm/developer/docs/api/v4/mass-convert-lead.html (ZohoCRM.mass_convert.leads.CREATE), "
                         "https://zoho.com/crm/developer/docs/api/v5/mass-convert-status.html (ZohoCRM.mass_convert.leads.READ), "
                         "https://zoho.com/crm/developer/docs/api/v8/mass-inventory-conversion-status-api.html (ZohoCRM.mass_convert.{module}.READ, Quotes/Sales Orders)",
    "share_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/share-record.html (ZohoCRM.share.{module_name}.CREATE; names "
                "Price_Books, Sales_Orders, Purchase_Orders keep underscores) and "
                "https://www.zoho.com/crm/developer/docs/api/get-shared-record-details.html (READ; older copy writes pricebooks/salesorders: conflict)",
    "share_emails_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/share-emails.html (ZohoCRM.modules.{module}.CREATE)",
    "view_email_v5": "[doc] https://www.zoho.com/crm/developer/docs/api/v5/view-email.html (ZohoCRM.modules.{module}.READ and ZohoCRM.modules.emails.READ)",
    "mail_merge_docs": "[doc] https://zoho.com/crm/developer/docs/api/v5/send-mail-merge.html, v6/sign-mail-merge.html, v6/download-mail-merge.html "
                       "(ZohoCRM.settings.mailmerge.CREATE + ZohoWriter scopes; download 'consumes 5 credits')",
    "currencies_docs": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/enable-multi-currency.html (ZohoCRM.settings.currencies.CREATE), "
                       "https://zoho.com/crm/developer/docs/api/v2.1/get-currencies-data.html (ZohoCRM.settings.currencies.READ)",
    "notifications_v7": "[doc] https://zoho.com/crm/developer/docs/api/v7/notifications/enable.html (ZohoCRM.notifications.CREATE) and the scopes page "
                        "(notifications.READ/CREATE/UPDATE/DELETE)",
    "signals_docs": "[doc] https://zoho.com/crm/developer/docs/signals/invoke-signal-via-API.html (scope=ZohoCRM.signals.ALL) and "
                    "https://zoho.com/crm/developer/docs/api/v8/get-signals.html (ZohoCRM.settings.signals.READ)",
    "scoring_rules_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/scoring-rules.html (ZohoCRM.settings.scoring_rules.{op})",
    "entity_scores_v8": "[doc] https://zoho.com/crm/developer/docs/api/v8/get-entity-scores.html (ZohoCRM.modules.entity_scores.READ)",
    "backup_v8": "[doc] https://zoho.com/crm/developer/docs/api/v8/schedule-data-backup.html (ZohoCRM.bulk.backup.ALL or .CREATE)",
    "oas_scopes": "[oas] zoho/crm-oas v8.0 common.json scope names (names only; per-operation OAS scopes are unreliable); zoho-facts.md 2.2, 1.6",
    "sdk_readme": "[sdk] zohocrmsdk8-0 7.0.0 METADATA: find_user 'requires the ZohoCRM.users.READ and ZohoCRM.org.READ scopes'",
    "pipedream_1312": "[3p] PipedreamHQ/pipedream#1312 (ZohoCRM.functions.execute.READ|CREATE); zoho-facts.md 2.2",
    "attachments_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/get-attachments.html, .../v8/upload-attachment.html, "
                      ".../v8/delete-attachments.html, https://zoho.com/crm/developer/docs/api/v8/download-attachments.html "
                      "(ZohoCRM.modules.{module_name}.{operation_type} (and) ZohoCRM.modules.attachments.{operation_type}; "
                      "supported modules listed per page)",
    "photo_docs": "[doc] https://zoho.com/crm/developer/docs/api/v2/upload-image.html and "
                  "https://prewww.zoho.com/crm/developer/docs/api/v5/download-image.html (Supported modules: Leads, Contacts, "
                  "Accounts, Products, Vendors, and custom modules; ZohoCRM.modules.{module_name}.{operation_type})",
    "send_mail_v21": "[doc] https://www.zoho.com/crm/developer/docs/api/v2.1/send-mail.html (Supported modules: Leads, Contacts, "
                     "Deals, Accounts, Sales Orders, Purchase Orders, Invoices, Quotes, Cases, and Custom; "
                     "ZohoCRM.send_mail.{module_name}.CREATE)",
    "convert_lead_docs": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/convert-lead.html (Leads only; "
                         "ZohoCRM.modules.leads.{operation_type}, CREATE) and the api-limits pages (5 credits)",
    "inventory_convert_v6": "[doc] https://zoho.com/crm/developer/docs/api/v6/inventory-convert.html "
                            "(ZohoCRM.mass_convert.{module}.CREATE; Quotes and Sales_Orders only)",
    "unblock_email_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/unblock-emails.html (ZohoCRM.send_mail.{module}.CREATE)",
    "cadences_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/cadences/unenroll.html and .../v8/cadences/enroll.html "
                   "(ZohoCRM.modules.{module}.CREATE)",
    "backup_history_v8": "[doc] https://zoho.com/crm/developer/docs/api/v8/backup-history.html (ZohoCRM.bulk.backup.READ)",
    "zia_people_v7": "[doc] https://zoho.com/crm/developer/docs/api/v7/zia-enrichment/get-ppl-config.html (ZohoCRM.settings.intelligence.READ)",
    "search_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/search-records.html "
                 "(ZohoCRM.modules.{module_name}.{operation_type} (and) ZohoSearch.securesearch.READ)",
    "contact_roles_deal": "[doc] https://zoho.com/crm/developer/docs/api/v2.1/get-contact-roles-of-a-specific-deal.html and "
                          "https://www.zoho.com/crm/developer/docs/api/v8/get-contact-roles-of-a-specific-deal.html "
                          "(ZohoCRM.modules.contacts.{op} (and) ZohoCRM.modules.deals.{op}; READ)",
    "territory_users_v8": "[doc] https://zoho.com/crm/developer/docs/api/v8/associate-users-territory.html (ZohoCRM.settings.territories.All "
                          "(and) ZohoCRM.users.All) and https://zoho.com/crm/developer/docs/api/v7/disassociate-users-territory.html",
    "upload_file_v2": "[doc] https://zoho.com/crm/developer/docs/api/v2/bulk-write/upload-file.html (scope=ZohoFiles.files.ALL; "
                      "host upload.zoho.com / content.zohoapis.com)",
    "zfs_files_v21": "[doc] https://www.zoho.com/crm/developer/docs/api/v2.1/upload-files-to-zfs.html (ZohoCRM.files.{operation_type})",
    "bulk_write_job": "[doc] https://www.zoho.com/crm/developer/docs/api/bulk-write/create-job.html (ZohoCRM.bulk.CREATE (and) "
                      "ZohoCRM.modules.{module_name}.CREATE)",
    "add_tags_v8": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/add-tags.html (CREATE on the page; the __apis sample says "
                   "UPDATE: conflict, the __apis value wins)",
    "notes_docs": "[doc] https://zoho.com/crm/developer/docs/api/v2.1/create-notes.html and "
                  "https://zoho.com/crm/developer/docs/api/v7/update-notes.html (ZohoCRM.modules.{module_name}.{op} (and) "
                  "ZohoCRM.modules.notes.{op})",
    "custom_views_docs": "[doc] https://www.zoho.com/crm/developer/docs/api/v8/sort-order-cv.html (PUT settings/custom_views/"
                         "{id}/actions/change_sort: ZohoCRM.settings.custom_views.{operation_type}, UPDATE) and "
                         "https://zoho.com/developer/docs/vertical-solutions/api/v2/custom-view-meta.html (GET: "
                         "ZohoCRM.settings.custom_views.READ)",
    "older_sdks": "[sdk] an earlier official SDK sends it: scopeplan/data/sdk_methods.json (zohocrmsdk2-0 6.0.0 ... 7-0 6.0.0) "
                  "and scopeplan/data/zcrmsdk_legacy.json (zcrmsdk 1.0.9, 2.0.11); zoho-facts.md 6",
    "default_ops": "[doc] pattern of the __apis samples (GET->READ, POST->CREATE, PUT->UPDATE, DELETE->DELETE on Attachments, photo, "
                   "Locking_Information__s) and of per-API 'Possible operation types'; PATCH->UPDATE is [infer]",
}

URL = re.compile(r"https?://[^\s,;)]+")

# Where Zoho's own __apis sample and a page disagree: the __apis value (what the server says about itself) wins.
CONFLICTS = [
    {"operation": "POST /crm/v8/{module}/actions/add_tags",
     "apis": "ZohoCRM.modules.{module}.UPDATE, credits 1..50 (tools/doc_apis_v7.json)",
     "page": "CREATE (or WRITE/ALL): https://www.zoho.com/crm/developer/docs/api/v8/add-tags.html; "
             "1 credit per 50 records: https://www.zoho.com/developer/docs/vertical-solutions/api/v2/api-limits.html",
     "resolution": "the __apis value wins"},
]

DEFAULT_OPS = {"GET": "READ", "POST": "CREATE", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}

# --------------------------------------------------------------------------------------
# Modules.  API name -> (modules.* scope token, source).  API names are checked against the
# wheel (Constants.DEFAULT_MODULE_NAME_VS_API_NAME, record/field.py Field classes, SDK paths).
# "expand": the module gets a literal copy of every {{module}} path, as __apis lists system
# modules literally.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Module:
    api_name: str
    token: str
    expand: bool
    source: str


MODULES = [
    Module("Leads", "leads", True, "scopes_page"),
    Module("Accounts", "accounts", True, "scopes_page"),
    Module("Contacts", "contacts", True, "scopes_page"),
    Module("Deals", "deals", True, "scopes_page"),
    Module("Campaigns", "campaigns", True, "scopes_page"),
    Module("Tasks", "tasks", True, "scopes_page"),
    Module("Cases", "cases", True, "scopes_page"),
    Module("Events", "events", True, "scopes_page"),          # UI name Meetings; API name Events
    Module("Calls", "calls", True, "scopes_page"),
    Module("Solutions", "solutions", True, "scopes_page"),
    Module("Products", "products", True, "scopes_page"),
    Module("Vendors", "vendors", True, "scopes_page"),
    Module("Price_Books", "pricebooks", True, "scopes_page"),
    Module("Quotes", "quotes", True, "scopes_page"),
    Module("Sales_Orders", "salesorders", True, "scopes_page"),
    Module("Purchase_Orders", "purchaseorders", True, "scopes_page"),
    Module("Invoices", "invoices", True, "scopes_page"),
    Module("Notes", "notes", True, "scopes_page"),
    Module("Services__s", "services", True, "scopes_page"),
    Module("Appointments__s", "appointments", True, "scopes_page"),
    Module("Appointments_Rescheduled_History__s", "appointments_rescheduled_history", True, "scopes_page"),
    # Not record modules for the {{module}} actions: mapped, not expanded.
    Module("Approvals", "approvals", False, "scopes_page"),
    Module("Entity_Scores__s", "entity_scores", False, "entity_scores_v8"),
]
MODULE_BY_NAME = {m.api_name: m for m in MODULES}
CUSTOM = Module("{{module}}", "custom", False, "apis_samples")

# System module API names the SDK knows but that have no sourced scope token (or, for
# Activities, a token that gives OAUTH_SCOPE_MISMATCH since v3).  Not expanded; the analyser
# should report them as "no known scope" rather than treat them as custom modules.
NO_TOKEN = {
    "Activities": "deprecated since v3: ZohoCRM.modules.Activities.* gives OAUTH_SCOPE_MISMATCH "
                  "(select-api-scopes v6, v3 changelog); use Events, Calls, Tasks",
    "Actions_Performed": "in SDK DEFAULT_MODULE_NAME_VS_API_NAME; no scope token documented",
    "Attachments": "in SDK DEFAULT_MODULE_NAME_VS_API_NAME; attachments are reached as a related list "
                   "(oas names ZohoCRM.modules.attachments.ALL|READ)",
    "Consents": "record/field.py Field class; no scope token documented",
    "Data_Subject_Requests": "record/field.py Field class; no scope token documented",
    "Visits": "in SDK DEFAULT_MODULE_NAME_VS_API_NAME; no scope token documented",
}

# share.* names keep the API name's underscores (v8 share-record page); otherwise the same as
# the modules.* token.
SHARE_TOKEN = {"Price_Books": "price_books", "Sales_Orders": "sales_orders", "Purchase_Orders": "purchase_orders"}


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------
@dataclass
class Rule:
    id: str
    pattern: str                        # regex: module rules match the rest after the module segment
    scope: str                          # template: {t} module token, {s} share token, {op}
    ops: dict | None = None             # method -> OP; None = DEFAULT_OPS
    credits: dict = field(default_factory=dict)   # method -> (min, max); default (1, 1)
    modules: frozenset | None = None    # only for these module API names
    sources: tuple = ()                 # keys of SOURCES
    tags: tuple = ()                    # subset of doc, sdk, oas, 3p, infer
    note: str = ""

    def __post_init__(self):
        self.rx = re.compile(self.pattern)


ID = r"\{\{id\}\}"
RL = r"\{\{related_list\}\}"

MODULE_RULES = [
    Rule("send_mail", rf"^/{ID}/actions/send_mail$", "ZohoCRM.send_mail.{t}.{op}",
         ops={"POST": "CREATE", "PUT": "CREATE"}, credits={"POST": (20, 20), "PUT": (20, 20)},
         sources=("send_mail_v21", "apis_samples"), tags=("doc",),
         note="only the page's supported modules (SUPPORT); PUT and credits from the __apis samples"),
    Rule("mail_merge_send_sign", rf"^/{ID}/actions/(send_mail_merge|sign_mail_merge)$", "ZohoCRM.settings.mailmerge.{op}",
         ops={"POST": "CREATE"}, sources=("mail_merge_docs",), tags=("doc",),
         note="also needs ZohoWriter.documentEditor.ALL, ZohoWriter.merge.ALL (+ ZohoCRM.settings.emails.ALL for send, "
              "ZohoSign.documents.ALL for sign); credits undocumented, 1 assumed [infer]"),
    Rule("mail_merge_download", rf"^/{ID}/actions/download_mail_merge$", "ZohoCRM.settings.mailmerge.{op}",
         ops={"POST": "CREATE"}, credits={"POST": (5, 5)}, sources=("mail_merge_docs",), tags=("doc",),
         note="also needs ZohoWriter.documentEditor.ALL, ZohoWriter.merge.ALL; 5 credits (1 on failure)"),
    Rule("merge", rf"^/{ID}/actions/merge$", "ZohoCRM.modules.{t}.{op}",
         ops={"GET": "READ", "POST": "CREATE"}, credits={"POST": (50, 50)},
         sources=("apis_samples",), tags=("doc",), note="merge POST is CREATE and costs 50; GET merge status 1"),
    Rule("tags_mass_add", r"^/actions/add_tags$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "UPDATE"}, credits={"POST": (1, 50)}, sources=("apis_samples", "add_tags_v8", "api_limits"), tags=("doc",),
         note="UPDATE and 1..50 from the __apis sample; the add-tags page says CREATE and the VS table 1 per 50 records: "
              "conflicts recorded, the __apis value wins"),
    Rule("tags_mass", r"^/actions/remove_tags$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "UPDATE"}, credits={"POST": (1, 50)}, sources=("apis_samples", "api_limits"), tags=("infer",),
         note="remove_tags by symmetry with the add_tags sample [infer]"),
    Rule("tags_single", rf"^/{ID}/actions/(add_tags|remove_tags)$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "UPDATE"}, sources=("apis_samples", "api_limits"), tags=("doc", "infer"),
         note="op as the mass variant; one record can cost at most 1 credit (1 per 50 records) [infer]"),
    Rule("territories", rf"^/{ID}/actions/(assign_territories|remove_territories)$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "UPDATE"}, sources=("apis_samples",), tags=("doc",),
         note="samples: Deals/{{id}}/assign_territories, {{module}}/{{id}}/remove_territories (1/1)"),
    Rule("territories_mass", r"^/actions/(assign_territories|remove_territories)$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "UPDATE"}, sources=("apis_samples",), tags=("infer",),
         note="the many-records forms, as the one-record samples [infer]"),
    Rule("convert_lead", rf"^/{ID}/actions/convert$", "ZohoCRM.modules.{t}.{op}", modules=frozenset({"Leads"}),
         ops={"POST": "CREATE"}, credits={"POST": (5, 5)}, sources=("convert_lead_docs", "api_limits"), tags=("doc",),
         note="Leads only; 5 credits"),
    Rule("convert_inventory", rf"^/{ID}/actions/convert$", "ZohoCRM.mass_convert.{t}.{op}",
         modules=frozenset({"Quotes", "Sales_Orders"}), ops={"POST": "CREATE"}, sources=("inventory_convert_v6",), tags=("doc",),
         note="inventory conversion (Quotes -> Sales_Orders/Invoices, Sales_Orders -> Invoices); credits not documented, 1 kept"),
    Rule("mass_convert", r"^/actions/mass_convert$", "ZohoCRM.mass_convert.{t}.{op}",
         ops={"POST": "CREATE", "GET": "READ"}, sources=("mass_convert_docs", "inventory_convert_v6"), tags=("doc",),
         note="Leads (CREATE, READ) and Quotes/Sales_Orders (inventory; READ on the status page, CREATE on the convert "
              "page) only (SUPPORT); credits not documented, 1 kept"),
    Rule("mass_update", r"^/actions/mass_update$", "ZohoCRM.mass_update.{t}.{op}",
         ops={"POST": "UPDATE", "GET": "READ"}, sources=("mass_update_docs", "select_scopes"), tags=("doc",)),
    Rule("mass_delete", r"^/actions/mass_delete$", "ZohoCRM.mass_delete.{t}.{op}",
         ops={"POST": "DELETE"}, sources=("mass_delete_v8",), tags=("doc",),
         note="credits per 100 records are [3p] only, 1 kept"),
    Rule("mass_delete_status", r"^/actions/mass_delete$", "ZohoCRM.mass_delete.{t}.{op}",
         ops={"GET": "READ"}, sources=("mass_delete_v8",), tags=("infer",), note="GET (job status) READ [infer]"),
    Rule("change_owner", rf"^(/{ID})?/actions/change_owner$", "ZohoCRM.change_owner.{op}",
         ops={"POST": "CREATE"}, sources=("change_owner_v8",), tags=("doc",)),
    Rule("mass_change_owner", r"^/actions/mass_change_owner$", "ZohoCRM.change_owner.{op}",
         ops={"POST": "CREATE", "GET": "READ"}, sources=("change_owner_v8",), tags=("infer",),
         note="by analogy with change_owner"),
    Rule("share", rf"^/{ID}/actions/share$", "ZohoCRM.share.{s}.{op}", ops={"POST": "CREATE", "GET": "READ"},
         sources=("share_v8",), tags=("doc",), note="POST CREATE and GET READ documented"),
    Rule("share_update", rf"^/{ID}/actions/share$", "ZohoCRM.share.{s}.{op}", ops={"PUT": "UPDATE", "DELETE": "DELETE"},
         sources=("share_v8", "default_ops"), tags=("infer",), note="PUT UPDATE, DELETE DELETE by method [infer]"),
    Rule("share_emails", rf"^(/{ID})?/actions/share_emails$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "CREATE"}, sources=("share_emails_v8",), tags=("doc",)),
    Rule("unshare_emails", rf"^(/{ID})?/actions/unshare_emails$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "CREATE"}, sources=("share_emails_v8",), tags=("infer",), note="unshare_emails by analogy [infer]"),
    Rule("emails_sharing_details", rf"^/{ID}/__emails_sharing_details$", "ZohoCRM.modules.{t}.{op}",
         sources=("apis_samples",), tags=("doc",)),
    Rule("emails", rf"^/{ID}/Emails(/.*)?$", "ZohoCRM.modules.{t}.{op}",
         sources=("view_email_v5",), tags=("doc",), note="also needs ZohoCRM.modules.emails.READ (conjunction)"),
    Rule("deleted", r"^/deleted$", "ZohoCRM.modules.{t}.{op}", credits={"GET": (2, 2)},
         sources=("apis_samples", "api_limits"), tags=("doc",)),
    Rule("deleted_related", rf"^/deleted/{ID}/{RL}$", "ZohoCRM.modules.{t}.{op}",
         sources=("default_ops",), tags=("infer",)),
    Rule("upsert", r"^/upsert$", "ZohoCRM.modules.{t}.{op}", ops={"POST": "CREATE"}, credits={"POST": (1, 10)},
         sources=("apis_samples", "api_limits"), tags=("doc",), note="upsert is CREATE; 1 per 10 records, max 100"),
    Rule("entity_scores", r"^(/" + ID + r")?$", "ZohoCRM.modules.{t}.{op}", modules=frozenset({"Entity_Scores__s"}),
         sources=("entity_scores_v8",), tags=("doc", "infer"),
         note="doc shows GET /{module}/{id}/Entity_Scores__s with modules.entity_scores.READ (+ the parent module READ)"),
    Rule("records", r"^$", "ZohoCRM.modules.{t}.{op}", credits={"POST": (1, 10), "PUT": (1, 10)},
         sources=("apis_samples", "api_limits", "kaizen60", "default_ops"), tags=("doc",),
         note="insert/update 1 per 10 records (max 100) -> 1..10; get 1 (a cvid query parameter is not modelled)"),
    Rule("search", r"^/search$", "ZohoCRM.modules.{t}.{op}", ops={"GET": "READ"}, sources=("search_v8",), tags=("doc",),
         note="module READ (and ZohoSearch.securesearch.READ: a conjunction); 1 credit [infer]"),
    Rule("related_records_count", rf"^/{ID}/actions/get_related_records_count$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "READ"}, sources=("default_ops",), tags=("infer",), note="a read sent as POST, like coql"),
    Rule("unblock_email", rf"^(/{ID})?/actions/unblock_email$", "ZohoCRM.send_mail.{t}.{op}", ops={"POST": "CREATE"},
         sources=("unblock_email_v8",), tags=("doc",)),
    Rule("cadences", rf"^(/{ID})?/actions/(enrol_in_cadences|unenrol_from_cadences)$", "ZohoCRM.modules.{t}.{op}",
         ops={"POST": "CREATE"}, sources=("cadences_v8",), tags=("doc",)),
    Rule("record_state_actions", rf"^(/{ID})?/actions/cancel$",
         "ZohoCRM.modules.{t}.{op}", ops={"POST": "UPDATE"}, sources=("default_ops",), tags=("infer",),
         note="Events cancel changes an existing record: UPDATE, by analogy with add_tags/assign_territories [infer]"),
    Rule("deal_contact_roles", rf"^/{ID}/Contact_Roles(/{ID})?$", "ZohoCRM.modules.{t}.{op}",
         modules=frozenset({"Deals"}), ops={"GET": "READ"}, sources=("contact_roles_deal",), tags=("doc",),
         note="deals READ (and contacts READ: a conjunction)"),
    Rule("record_subresources_documented",
         rf"^/{ID}(/photo|/Attachments(/{ID})?|/Locking_Information__s(/{ID})?|/actions/download_fields_attachment)?$",
         "ZohoCRM.modules.{t}.{op}", sources=("apis_samples", "attachments_v8", "photo_docs", "default_ops"), tags=("doc",),
         note="record by id, photo, Attachments, Locking_Information__s, download_fields_attachment"),
    Rule("record_notes_create", rf"^/{ID}/Notes$", "ZohoCRM.modules.{t}.{op}", ops={"POST": "CREATE"},
         sources=("notes_docs",), tags=("doc",), note="the parent's CREATE (and ZohoCRM.modules.notes.CREATE: a conjunction)"),
    Rule("related_records", rf"^/{ID}/{RL}(/{ID})?$", "ZohoCRM.modules.{t}.{op}",
         sources=("apis_samples", "default_ops"), tags=("infer",),
         note="parent-module scope, as in the /Deals/{{id}}/Attachments sample; the related module may need READ too"),
    Rule("module_default", r"^.*$", "ZohoCRM.modules.{t}.{op}", sources=("default_ops",), tags=("infer",),
         note="any other module path (actions/count, fetch_full_data, blueprint, clone, __timeline, associate_email, "
              "portal_invite, run_scoring_rules, Contacts/roles, Deals/{{id}}/Contact_Roles, __conversion_options, ...)"),
]

# Settings resources: first segment(s) after /settings/ -> scope resource (ZohoCRM.settings.<r>.<OP>).
SETTINGS_RESOURCES = [
    # (path regex after /settings/, resource, sources, tags)
    (r"^layouts/\{\{id\}\}/map_dependency", "map_dependency", ("oas_scopes",), ("oas", "infer")),
    (r"^automation/assignment_rules", "assignment_rules", ("oas_scopes",), ("oas",)),
    (r"^automation/scoring_rules", "scoring_rules", ("scoring_rules_v8",), ("doc",)),
    (r"^automation/cadences", "cadences", (), ("infer",)),
    (r"^global_picklists", "global_picklist", ("oas_scopes",), ("oas",)),
    (r"^unsubscribe_link", "unsubscribe", ("oas_scopes",), ("oas", "infer")),
    (r"^audit_log_export", "audit_logs", ("oas_scopes",), ("oas", "infer")),
    (r"^portals", "clientportal", ("oas_scopes",), ("oas", "infer")),
    (r"^signals", "signals", ("signals_docs",), ("doc",)),
    (r"^(modules|fields|layouts|related_lists|custom_views|roles|profiles|tags|territories|variables)(/|$)",
     None, ("scopes_page",), ("doc",)),
    (r"^(variable_groups|business_hours|fiscal_year|pipeline|record_locking_configurations|recycle_bin|user_groups|"
     r"users_unavailability|wizards|emails)(/|$)", None, ("oas_scopes",), ("oas",)),
    (r"^(appointment_preferences|call_preferences|data_sharing|duplicate_check_preference|holidays|"
     r"service_preferences|webforms)(/|$)", None, (), ("infer",)),
]

OTHER_RULES = [
    Rule("coql", rf"^{API}/coql$", "ZohoCRM.coql.{op}", ops={"POST": "READ"}, credits={"POST": (1, 3)},
         sources=("scopes_page", "coql_limits"), tags=("doc",),
         note="also needs module READ and settings.fields.READ (conjunction); worst case LIMIT 2000 -> 3"),
    Rule("composite", rf"^{API}/__composite_requests$", "ZohoCRM.composite_requests.{op}", ops={"POST": "CUSTOM"},
         sources=("composite", "select_scopes"), tags=("doc",), note="plus each sub-request's scope; 1 credit per call"),
    Rule("apis", rf"^{API}/__apis$", "ZohoCRM.apis.{op}", sources=("apis_page",), tags=("doc",)),
    Rule("currencies", rf"^{API}/org/currencies(/.*)?$", "ZohoCRM.settings.currencies.{op}",
         sources=("currencies_docs", "default_ops"), tags=("doc", "infer"),
         note="path is under /org but the scope is settings.currencies; GET READ, POST CREATE documented, PUT UPDATE [infer]"),
    Rule("org", rf"^{API}/org(/.*)?$", "ZohoCRM.org.{op}", sources=("scopes_page", "sdk_readme", "default_ops"),
         tags=("doc", "infer"), note="scopes page lists org.ALL; SDK README names org.READ; other ops [infer]"),
    Rule("users_delete_actions", rf"^{API}/users(/{ID})?/actions/transfer_and_delete$", "ZohoCRM.users.{op}",
         ops={"GET": "READ", "POST": "DELETE"}, sources=("scopes_page",), tags=("infer",),
         note="transfer records and delete the user: DELETE [infer]"),
    Rule("users", rf"^{API}/users(/.*)?$", "ZohoCRM.users.{op}", sources=("scopes_page", "sdk_readme", "default_ops"),
         tags=("doc", "infer"),
         note="scopes page lists users.ALL; SDK README names users.READ; other ops [infer]; "
              "/users/{{id}}/territories also concerns settings.territories"),
    Rule("files", rf"^{API}/files$", "ZohoCRM.files.{op}", sources=("zfs_files_v21", "select_scopes"), tags=("doc",)),
    Rule("upload", rf"^{API}/upload$", "ZohoFiles.files.{op}", ops={"POST": "ALL"}, sources=("upload_file_v2",),
         tags=("doc",), note="bulk-write file upload on the file-upload host (not ZohoCRM.files, which is /files: ZFS)"),
    Rule("functions", rf"^{API}/functions/\{{\{{function_name\}}\}}/actions/execute$", "ZohoCRM.functions.execute.{op}",
         sources=("pipedream_1312",), tags=("3p",)),
    Rule("watch", rf"^{API}/actions/watch$", "ZohoCRM.notifications.{op}", sources=("notifications_v7", "default_ops"),
         tags=("doc", "infer"), note="POST CREATE documented; GET/PUT/PATCH/DELETE by method [infer]"),
    Rule("signals_notify", rf"^{API}/signals/notifications$", "ZohoCRM.signals.{op}", ops={"POST": "ALL"},
         sources=("signals_docs",), tags=("doc",), note="the only documented scope is ZohoCRM.signals.ALL"),
    Rule("features", rf"^{API}/__features(/.*)?$", "ZohoCRM.features.{op}", sources=("apis_page",), tags=("infer",),
         note="'features' is a family in the __apis filter list; the exact string is unverified"),
    Rule("zia_people", rf"^{API}/__zia_people_enrichment(/.*)?$", "ZohoCRM.settings.intelligence.{op}", ops={"GET": "READ"},
         sources=("zia_people_v7",), tags=("doc",)),
    Rule("zia_enrichment", rf"^{API}/(__zia_org_enrichment|__zia_people_enrichment|settings/zia/data_enrichment)(/.*)?$",
         "ZohoCRM.zia.enrichment.{op}", ops={m: "ALL" for m in DEFAULT_OPS}, sources=("select_scopes",),
         tags=("doc", "infer"), note="only ZohoCRM.zia.enrichment.ALL is sourced; the mapping of these paths to it is [infer]"),
    Rule("digest", rf"^{API}/__digest$", "ZohoCRM.modules.{op}", ops={"POST": "READ"}, sources=("oas_scopes",),
         tags=("infer",), note="undocumented; the body names a module and record, so family-wide modules.READ is assumed"),
    Rule("email_templates", rf"^{API}/settings/email_templates(/.*)?$", "ZohoCRM.templates.email.{op}",
         sources=("select_scopes",), tags=("doc",)),
    Rule("inventory_templates", rf"^{API}/settings/inventory_templates(/.*)?$", "ZohoCRM.templates.inventory.{op}",
         sources=("select_scopes",), tags=("doc",)),
    Rule("territory_users", rf"^{API}/settings/territories/{ID}/users(/{ID})?$", "ZohoCRM.settings.territories.{op}",
         ops={m: "ALL" for m in DEFAULT_OPS}, sources=("territory_users_v8",), tags=("doc",),
         note="the pages name settings.territories.All (and users.All: a conjunction) for every method"),
    # Custom views: the pages name settings.custom_views READ and UPDATE; the older SDKs update a view's sort with
    # PUT settings/custom_views/{id} (zcrmsdk 1.x/2.x update_customview), the page with .../{id}/actions/change_sort
    Rule("custom_views", rf"^{API}/settings/custom_views(/{ID})?(/actions/change_sort)?$", "ZohoCRM.settings.custom_views.{op}",
         ops={"GET": "READ", "PUT": "UPDATE"}, sources=("custom_views_docs",), tags=("doc",)),
    Rule("settings_query_posts", rf"^{API}/settings/data_sharing/rules/(search|actions/summary)$",
         "ZohoCRM.settings.data_sharing.{op}", ops={"POST": "READ", "GET": "READ"}, tags=("infer",),
         note="reads sent as POST"),
    Rule("settings_delete_actions", rf"^{API}/settings/(tags|territories)(/{ID})?/actions/(mass_delete|transfer_and_delete)$",
         "ZohoCRM.settings.{r}.{op}", ops={"GET": "READ", "POST": "DELETE"}, tags=("infer",),
         note="deletions sent as POST: DELETE"),
    Rule("settings", rf"^{API}/settings/.*$", "ZohoCRM.settings.{r}.{op}", sources=("default_ops",), tags=("infer",),
         note="resource from SETTINGS_RESOURCES (which carries its own tags); op by HTTP method"),
    Rule("email_compose", r"^/crm/email/v8/settings/compose(/.*)?$", "ZohoCRM.settings.emails.{op}",
         sources=("oas_scopes",), tags=("oas", "infer"), note="compose settings and signatures mapped to settings.emails [infer]"),
    Rule("bulk_read_init", r"^/crm/bulk/v8/read$", "ZohoCRM.bulk.{op}", ops={"POST": "READ"}, credits={"POST": (50, 50)},
         sources=("scopes_page", "api_limits"), tags=("doc",), note="also needs module READ (conjunction)"),
    Rule("bulk_read", r"^/crm/bulk/v8/read/.*$", "ZohoCRM.bulk.{op}", ops={"GET": "READ"},
         sources=("scopes_page",), tags=("doc", "infer"), note="job status and result download, 1 credit each"),
    Rule("bulk_write_init", r"^/crm/bulk/v8/write$", "ZohoCRM.bulk.{op}", ops={"POST": "CREATE"},
         credits={"POST": (500, 500)}, sources=("bulk_write_job", "api_limits"), tags=("doc",),
         note="also needs ZohoCRM.modules.{module}.CREATE of the body's module (conjunction)"),
    Rule("bulk_write", r"^/crm/bulk/v8/write/.*$", "ZohoCRM.bulk.{op}", ops={"GET": "CREATE"},
         sources=("scopes_page",), tags=("infer",), note="job status of a write job: bulk.CREATE [infer]"),
    Rule("backup_history", r"^/crm/bulk/v8/backup/history$", "ZohoCRM.bulk.backup.{op}", ops={"GET": "READ"},
         sources=("backup_history_v8",), tags=("doc",)),
    Rule("backup_schedule", r"^/crm/bulk/v8/backup$", "ZohoCRM.bulk.backup.{op}", ops={"POST": "CREATE", "GET": "ALL"},
         sources=("backup_v8", "oas_scopes"), tags=("doc", "infer"),
         note="POST: ALL or CREATE documented; other methods: only .ALL is sourced"),
    Rule("backup", r"^/crm/bulk/v8/backup/.*$", "ZohoCRM.bulk.backup.{op}", ops={m: "ALL" for m in DEFAULT_OPS},
         sources=("backup_v8", "oas_scopes"), tags=("oas", "infer"), note="only ZohoCRM.bulk.backup.ALL is sourced for these"),
]

# Operations a page documents for some modules only ("Supported modules: ..."): no copy for the others, so a call
# to a module Zoho does not support is unmatched with the page's list, never given a scope.  "{{module}}" stands for
# custom modules.  (id, regex on the path after the module segment, methods or None, modules, source key, page words)
_INVENTORY = ("Quotes", "Sales_Orders", "Purchase_Orders", "Invoices")
SUPPORT = [
    ("photo", rf"^/{ID}/photo$", None,
     frozenset({"Leads", "Contacts", "Accounts", "Products", "Vendors", "{{module}}"}), "photo_docs"),
    ("send_mail", rf"^/{ID}/actions/send_mail$", None,
     frozenset({"Leads", "Contacts", "Deals", "Accounts", "Cases", "{{module}}", *_INVENTORY}), "send_mail_v21"),
    ("convert", rf"^/{ID}/actions/convert$", None, frozenset({"Leads", "Quotes", "Sales_Orders"}), "inventory_convert_v6"),
    ("mass_convert", r"^/actions/mass_convert$", None, frozenset({"Leads", "Quotes", "Sales_Orders"}), "mass_convert_docs"),
    ("attachments", rf"^/{ID}/Attachments(/{ID})?$", None,
     frozenset({"Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Tasks", "Cases", "Events", "Calls", "Solutions",
                "Products", "Vendors", "Price_Books", "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices", "{{module}}",
                "Appointments__s", "Services__s", "Notes"}), "attachments_v8"),
    ("notes", rf"^/{ID}/Notes$", ("POST",),
     frozenset({"Leads", "Accounts", "Contacts", "Deals", "Campaigns", "Tasks", "Cases", "Events", "Calls", "Solutions",
                "Products", "Vendors", "Price_Books", "{{module}}", *_INVENTORY}), "notes_docs"),
]

# Pairs the SDK lacks but documentation has.  Composite: zoho-facts.md 6 and oas
# composite_requests.json.  PUT send_mail and PUT Attachments: the __apis samples list them for
# Quotes/Invoices/Sales_Orders and Deals; giving them to every module (and custom) is [infer].
EXTRA_PAIRS = [
    ("POST", f"{API}/__composite_requests"),
    ("PUT", f"{API}/{{{{module}}}}/{{{{id}}}}/actions/send_mail"),
    ("PUT", f"{API}/{{{{module}}}}/{{{{id}}}}/Attachments"),
    # Create Notes of a record: POST {module_api_name}/{record_id}/Notes (the SDK posts to /Notes only)
    ("POST", f"{API}/{{{{module}}}}/{{{{id}}}}/Notes"),
]


# Zoho's paths change by addition, and the catalogue matches any version (facts §6): a (method, path) that an
# earlier official SDK sends is an endpoint even when the v8 SDK no longer has it (POST/DELETE org/taxes: 2.0 and
# 2.1 only; PUT settings/custom_views/{id}: zcrmsdk 1.x/2.x). Read from the tables the other builders made from the
# wheels. A pair that one of the v8 pairs of its method covers, or that covers one (a placeholder stands for any
# segment), adds nothing: `GET {{module}}/{{id}}/Notes` is v8's related list, and zcrmsdk 1.x's
# `POST {{module}}/{{id}}/{{related_list}}` is only its spelling of v8's literal Notes and Attachments.
OLDER_SDK_TABLES = ("sdk_methods.json", "zcrmsdk_legacy.json")
_VERSION = re.compile(r"^/crm/(bulk/|email/)?v[0-9.]+(?=/)")


def _overlap(a: str, b: str) -> bool:
    """Whether two templates can name the same path: equal segments, or a placeholder on either side.

    As in the matcher, `{{module}}` and `{{related_list}}` stand for API names only, which start with a capital
    letter: `org` and `settings` are not modules."""
    def fits(slot: str, seg: str) -> bool:
        return seg.startswith("{{") or slot not in ("{{module}}", "{{related_list}}") or seg[:1].isupper()

    x, y = a.split("/"), b.split("/")
    return len(x) == len(y) and all(s == t or (s.startswith("{{") and fits(s, t)) or (t.startswith("{{") and fits(t, s))
                                    for s, t in zip(x, y))


def older_sdk_pairs(pairs: set, data: Path = DATA) -> dict:
    """{(method, v8 path template): [the SDK methods that send it]} for pairs the v8 SDK lacks."""
    by_method: dict = {}
    for m, p in pairs:
        by_method.setdefault(m, []).append(p)
    found: dict = {}

    def add(method: str, template: str, who: str) -> None:
        if "{{download_url}}" in template or template.count("{{module}}") > 1:
            return  # an opaque URL; or zcrmsdk 1.x naming a related list (Notes, Attachments) `{{module}}`: the v8
            # pairs have those lists literally
        if template.startswith("/crm/"):
            template = _VERSION.sub(lambda m: f"/crm/{m.group(1) or ''}v8", template)
        else:  # zcrmsdk 1.x/2.x: relative to https://<host>/crm/<version>/
            template = f"{API}/{template.lstrip('/')}"
        if not any(_overlap(template, have) for have in by_method.get(method, ())):
            found.setdefault((method, template), set()).add(who)

    tables = {name: json.loads((data / name).read_text("utf-8")) for name in OLDER_SDK_TABLES}
    for key, package in tables["sdk_methods.json"]["packages"].items():
        for cls, row in package["classes"].items():
            for name, spec in row["methods"].items():
                add(spec["http_method"], spec["path_template"], f"{package['distribution']}=={package['version']} {cls}.{name}")
    for version, package in tables["zcrmsdk_legacy.json"]["packages"].items():
        for cls, row in package["classes"].items():
            for name, spec in (row.get("methods") or {}).items():
                for request in spec.get("requests", ()):
                    add(request["http_method"], request["path_template"], f"zcrmsdk=={version} {cls}.{name}")
    return {k: sorted(v) for k, v in sorted(found.items())}


# --------------------------------------------------------------------------------------
def module_of(path: str):
    """(Module, rest) if the first segment after /crm/v8/ is a module, else (None, None)."""
    if not path.startswith(API + "/"):
        return None, None
    seg, _, rest = path[len(API) + 1:].partition("/")
    rest = "/" + rest if rest else ""
    if seg == "{{module}}":
        return CUSTOM, rest
    if seg in MODULE_BY_NAME:
        return MODULE_BY_NAME[seg], rest
    return None, None


def apply_rule(rule: Rule, method: str, fmt: dict):
    ops = rule.ops if rule.ops is not None else DEFAULT_OPS
    if method not in ops:
        return None
    scope = rule.scope.format(op=ops[method], **fmt)
    lo, hi = rule.credits.get(method, (1, 1))
    return scope, lo, hi


def derive(method: str, path: str):
    """-> (scope, min, max, rule_id, extra_tags) for one (method, path)."""
    mod, rest = module_of(path)
    if mod is not None:
        fmt = {"t": mod.token, "s": SHARE_TOKEN.get(mod.api_name, mod.token)}
        for rule in MODULE_RULES:
            if rule.modules is not None and mod.api_name not in rule.modules:
                continue
            if rule.rx.match(rest):
                got = apply_rule(rule, method, fmt)
                if got is None:
                    continue  # the rule covers other methods of this path
                return (*got, rule.id, ())
        raise SystemExit(f"no module rule for {method} {path}")
    for rule in OTHER_RULES:
        if not rule.rx.match(path):
            continue
        fmt, extra = {}, ()
        if "{r}" in rule.scope:
            sub = path.split("/settings/", 1)[1]
            for rx, res, _src, tags in SETTINGS_RESOURCES:
                if re.match(rx, sub):
                    fmt["r"] = res or sub.split("/", 1)[0]
                    extra = tuple(f"settings:{t}" for t in tags)
                    break
            else:
                raise SystemExit(f"settings resource not classified (add to SETTINGS_RESOURCES): {path}")
        got = apply_rule(rule, method, fmt)
        if got is None:
            continue  # the rule covers other methods of this path
        return (*got, rule.id, extra)
    raise SystemExit(f"no rule for {method} {path}")


def supported(method: str, rest: str) -> tuple | None:
    """The SUPPORT row that limits (method, rest after the module segment) to documented modules, if any."""
    for row in SUPPORT:
        if re.match(row[1], rest) and (row[2] is None or method in row[2]):
            return row
    return None


def expand(method: str, template: str):
    """Zoho __apis style: literal system-module copies plus the {{module}} (custom) entry, for documented modules only."""
    if "{{module}}" not in template:
        return [template]
    if not template.startswith(API + "/{{module}}") or template.count("{{module}}") != 1:
        raise SystemExit(f"unexpected {{{{module}}}} position: {template}")
    row = supported(method, template[len(API + "/{{module}}"):])
    allowed = None if row is None else row[3]
    out = [template] if allowed is None or "{{module}}" in allowed else []
    for m in MODULES:
        if m.expand and (allowed is None or m.api_name in allowed):
            out.append(template.replace("{{module}}", m.api_name, 1))
    return out


def load_doc_apis():
    doc = json.loads(DOC_APIS.read_text())
    out = {}
    for entry in doc["__apis"]:
        path = entry["path"]
        if not path.startswith("/crm/v7/"):
            raise SystemExit(f"doc_apis_v7.json: not a v7 path: {path}")
        path = API + path[len("/crm/v7"):]
        for op in entry["operation_types"]:
            out[(op["method"].upper(), path)] = (op["oauth_scope"], op["min_credits"], op["max_credits"])
    return out


def check_module_names(wheel):
    """Every API name we expand or map must be attested in the wheel."""
    known = set(se.default_module_names(wheel).values()) | set(se.field_module_classes(wheel))
    ops = se.extract_operations(wheel)
    for o in ops:
        if o.path_template.startswith(API + "/"):
            known.add(o.path_template[len(API) + 1:].split("/", 1)[0])
    missing = [m.api_name for m in MODULES if m.api_name not in known]
    if missing:
        raise SystemExit(f"module API names not attested in the SDK wheel: {missing}")
    missing = [n for n in NO_TOKEN if n not in known]
    if missing:
        raise SystemExit(f"NO_TOKEN names not attested in the SDK wheel: {missing}")
    return ops


def dump(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=True) + "\n"


def build(wheel_dir: Path | None, reference: Path):
    wheel, dist, version, _root, _api = se.fetch_release(SDK_KEY, wheel_dir)
    ops = check_module_names(wheel)

    sdk_pairs = {(o.http_method, o.path_template) for o in ops}
    if reference.is_file():
        ref = se.reference_pairs(reference)
        if sdk_pairs != ref:
            print("extracted pairs differ from the reference table:\n" + se.diff_pairs(sdk_pairs, ref), file=sys.stderr)
            raise SystemExit(1)
        print(f"cross-check OK: {len(sdk_pairs)} (method, path) pairs equal {reference.name}")
    else:
        print(f"notice: {reference} not found; cross-check skipped", file=sys.stderr)

    pairs = {(m, p) for m, p in sdk_pairs if p != "{{download_url}}"} | set(EXTRA_PAIRS)
    older = older_sdk_pairs(pairs)
    pairs |= set(older)
    sent_by = {}  # (method, expanded path) -> the older SDK methods behind the endpoint

    derived, provenance = {}, {}
    for method, template in sorted(pairs):
        for path in expand(method, template):
            scope, lo, hi, rule_id, extra = derive(method, path)
            key = (method, path)
            prev = derived.get(key)
            if prev is not None and prev != (scope, lo, hi):
                raise SystemExit(f"conflicting derivations for {method} {path}: {prev} vs {(scope, lo, hi)}")
            derived[key] = (scope, lo, hi)
            if (method, template) in older:
                sent_by[key] = older[(method, template)]
            provenance[key] = rule_id if not extra else rule_id + "|" + ",".join(extra)

    doc = load_doc_apis()
    overridden = {k: derived[k] for k in doc if k in derived and derived[k] != doc[k]}
    added = sorted(k for k in doc if k not in derived)
    for key, val in doc.items():
        derived[key] = val
        provenance[key] = "doc_apis_v7"

    # -- validate
    for (method, path), (scope, lo, hi) in derived.items():
        if not SCOPE_RE.match(scope):
            raise SystemExit(f"bad scope {scope!r} for {method} {path}")
        if method != method.upper() or not (1 <= lo <= hi):
            raise SystemExit(f"bad operation {method} {path} {lo}/{hi}")

    # -- catalogue in Zoho's __apis format
    by_path: dict = {}
    for (method, path), (scope, lo, hi) in derived.items():
        by_path.setdefault(path, []).append(
            {"method": method, "oauth_scope": scope, "min_credits": lo, "max_credits": hi})
    catalogue = {"__apis": [
        {"path": p, "operation_types": sorted(by_path[p], key=lambda o: o["method"])} for p in sorted(by_path)]}

    # -- modules.json
    reserved = set()
    for method, path in pairs:
        if path.startswith(API + "/"):
            seg = path[len(API) + 1:].split("/", 1)[0]
            if seg != "{{module}}" and seg not in MODULE_BY_NAME:
                reserved.add(seg)
    overlap = reserved & (set(MODULE_BY_NAME) | set(NO_TOKEN))
    if overlap:
        raise SystemExit(f"segments both reserved and modules: {overlap}")
    modules_json = {
        "source": (f"Derived by tools/build_catalogue.py from PyPI {dist}=={version}. API names are attested in the wheel "
                   "(util/constants.py DEFAULT_MODULE_NAME_VS_API_NAME, record/field.py Field classes, SDK paths); "
                   "scope tokens from the Zoho CRM scopes page (https://www.zoho.com/crm/developer/docs/api/v8/scopes.html), "
                   "entity_scores from https://zoho.com/crm/developer/docs/api/v8/get-entity-scores.html. Compare module names "
                   "case-insensitively; a name not listed here (and not in system_modules_without_token) is a custom module: "
                   "token 'custom'."),
        "modules": {m.api_name: m.token for m in MODULES},
        "expanded_in_catalogue": sorted(m.api_name for m in MODULES if m.expand),
        "system_modules_without_token": dict(sorted(NO_TOKEN.items())),
        "custom_token": "custom",
        "support": [{"operation": op, "path": "^/(?P<module>[^/]+)" + rx[1:].replace(ID, "[^/]+"),
                     "methods": sorted(methods) if methods else None,
                     "modules": sorted("custom" if m == "{{module}}" else m for m in mods),
                     "source": SOURCES[src]} for op, rx, methods, mods, src in SUPPORT],
        "support_source": "Operations Zoho documents for some modules only ('Supported modules' on the page). `path` is a "
                          "regex on the path after /crm/vN; `custom` stands for every custom module.",
        "reserved": sorted(reserved),
        "reserved_source": (f"Every first path segment after /crm/v8/ in {dist}=={version} operations (plus __composite_requests, "
                            "documented) that is not a module. Other path prefixes: /crm/bulk/vN/, /crm/email/vN/."),
    }

    # -- provenance
    rules = {}
    for r in MODULE_RULES + OTHER_RULES:
        rules[r.id] = {"kind": "module" if r in MODULE_RULES else "path", "pattern": r.pattern, "scope": r.scope,
                       "ops": r.ops if r.ops is not None else "default",
                       "credits": {k: list(v) for k, v in sorted(r.credits.items())},
                       "modules": sorted(r.modules) if r.modules else None,
                       "tags": list(r.tags), "sources": [SOURCES[s] for s in r.sources], "note": r.note}
    rules["doc_apis_v7"] = {"kind": "documented", "tags": ["doc"], "sources": [SOURCES["apis_samples"]],
                            "note": "tools/doc_apis_v7.json, transcribed by hand, /crm/v7/ rewritten to /crm/v8/; wins over derived"}
    settings_resources = [{"pattern": rx, "resource": res or "<first segment>", "tags": list(tags),
                           "sources": [SOURCES[s] for s in src]} for rx, res, src, tags in SETTINGS_RESOURCES]
    ops_prov: dict = {}
    cited = inferred = 0
    for (method, path), rid in provenance.items():
        rule = rules[rid.split("|")[0]]
        tags = set(rule["tags"]) | {t.split(":", 1)[1] for t in rid.split("|")[1].split(",")} if "|" in rid else set(rule["tags"])
        pages = sorted({u for src in rule["sources"] for u in URL.findall(src)})
        infer = "infer" in tags or not pages
        cited, inferred = cited + (not infer), inferred + infer
        ops_prov.setdefault(path, {})[method] = {"rule": rid, "pages": pages, "infer": infer}
        if (method, path) in sent_by:  # the endpoint itself rests on an earlier SDK, not on the v8 one
            ops_prov[path][method]["endpoint"] = {"source": SOURCES["older_sdks"], "sent_by": sent_by[(method, path)]}
    prov = {"source": f"tools/build_catalogue.py over PyPI {dist}=={version}",
            "tags_legend": {"doc": "official Zoho page", "sdk": "official SDK wheel", "oas": "zoho/crm-oas",
                            "3p": "third party", "infer": "inference, not stated anywhere"},
            "default_ops": DEFAULT_OPS, "rules": rules, "settings_resources": settings_resources,
            "summary": {"operations": cited + inferred, "cited": cited, "infer": inferred,
                        "note": "cited: the operation's scope follows a rule whose pages are cited and that carries no [infer] tag"},
            "older_sdk_pairs": [f"{m} {p}" for m, p in older],
            "conflicts": CONFLICTS + [{"operation": f"{k[0]} {k[1]}", "derived": list(overridden[k]), "apis": list(doc[k]),
                                       "resolution": "the __apis value wins"} for k in sorted(overridden)],
            "operations": ops_prov}

    n_ops = sum(len(e["operation_types"]) for e in catalogue["__apis"])
    n_custom = sum(1 for e in catalogue["__apis"] if "{{module}}" in e["path"])
    print(f"catalogue: {len(catalogue['__apis'])} paths, {n_ops} operations "
          f"({n_custom} {{{{module}}}} paths, {len(catalogue['__apis']) - n_custom} literal); "
          f"doc entries changed {len(overridden)} derived operations and added {len(added)}")
    for k in sorted(overridden):
        print(f"  doc wins: {k[0]} {k[1]}: derived {overridden[k]} -> doc {doc[k]}")
    for k in added:
        print(f"  doc adds: {k[0]} {k[1]}: {doc[k]}")
    return catalogue, modules_json, prov


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", type=Path, default=None,
                    help="reuse/keep downloaded wheels here (default: a fresh temporary directory)")
    ap.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                    help="shared/reference/sdk_endpoints_v8.json for the cross-check")
    ap.add_argument("--out", type=Path, default=DATA, help="output directory (default scopeplan/data)")
    args = ap.parse_args(argv)
    catalogue, modules_json, prov = build(args.wheel_dir, args.reference)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, obj in (("catalogue_v8.json", catalogue), ("modules.json", modules_json),
                      ("catalogue_v8_provenance.json", prov)):
        (args.out / name).write_text(dump(obj), encoding="utf-8")
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
