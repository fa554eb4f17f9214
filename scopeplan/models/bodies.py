"""Scopes that live in the request body: COQL's FROM, bulk read's module, composite sub-requests, and the
modules a conjunction needs (a note's parent, a bulk write's resources: `CallSite.body_modules`).


BODY_CASES / BODY_NOT_CASES below are run against the bundled catalogue by tests/test_models.py.
"""

from __future__ import annotations

import re
from dataclasses import replace

from scopeplan import scopes
from scopeplan.model import CallSite, Url
from scopeplan.scanner.ir import Expr
from scopeplan.program.project import Ctx, Mapping, Project, Sequence, Text, Value

_FROM = re.compile(r"\bfrom\s+([A-Za-z][A-Za-z0-9_]*)\b", re.IGNORECASE)
_LIMIT = re.compile(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?", re.IGNORECASE)
COQL_DEFAULT_LIMIT = 200  # Zoho returns 200 rows when a query has no LIMIT


def apply(project: Project, site: CallSite, body: Expr | None, ctx: Ctx) -> list[CallSite]:
    """The site with what its body adds, plus one site per composite sub-request."""
    path = _path(site)
    if path is not None and site.method in ("POST", "PUT") and re.search(r"/crm/v[\d.]+/Notes$", path):
        return [_named_modules(project, site, body, ctx, "data", *NOTE_PARENT)]
    if path is None or site.method != "POST":
        return [site]
    if re.search(r"/crm/v[\d.]+/coql$", path):
        return [_coql(project, site, body, ctx)]
    if re.search(r"/crm/bulk/v[\d.]+/read$", path):
        return [_bulk_read(project, site, body, ctx)]
    if re.search(r"/crm/v[\d.]+/__composite_requests$", path):
        return [site, *_composite(project, site, body, ctx)]
    if re.search(r"/crm/bulk/v[\d.]+/write$", path):
        return [_named_modules(project, site, body, ctx, "resource", ("module",))]
    return [site]


_H = "https://www.zohoapis.com/crm"
# (id, source, (status, scopes) of the one call): the body names the module a conjunction needs
BODY_CASES: tuple[tuple[str, str, tuple[str, tuple[str, ...]]], ...] = (
    ("notes-se-module", f'import requests\nrequests.post("{_H}/v2/Notes", json={{"data": [{{"se_module": "Leads"}}]}})\n',
     ("matched", ("ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.notes.CREATE"))),
    ("notes-parent-id-module", f'import requests\nN = {{"Parent_Id": {{"module": {{"api_name": "Deals"}}, "id": "1"}}}}\n'
                               f'requests.put("{_H}/v3/Notes", json={{"data": [N]}})\n',
     ("matched", ("ZohoCRM.modules.deals.UPDATE", "ZohoCRM.modules.notes.UPDATE"))),
    ("coql-after-a-doubled-slash", f'import requests\nB = "{_H}/v2/"\nrequests.post(B + "/coql", '
                                   f'json={{"select_query": "select id from Deals limit 5"}})\n',
     ("matched", ("ZohoCRM.coql.READ", "ZohoCRM.modules.deals.READ"))),
    ("bulk-write-resource", f'import requests\nrequests.post("{_H}/bulk/v2/write", json={{"resource": [{{"module": "Contacts"}}]}})\n',
     ("matched", ("ZohoCRM.bulk.CREATE", "ZohoCRM.modules.contacts.CREATE"))),
)
BODY_NOT_CASES: tuple[tuple[str, str, tuple[str, tuple[str, ...]]], ...] = (
    ("notes-parent-a-parameter", f'import requests\ndef add(m):\n    return requests.post("{_H}/v2/Notes", '
                                 f'json={{"data": [{{"se_module": m}}]}})\n',
     ("unresolved", ("ZohoCRM.modules.notes.CREATE",))),
    ("notes-no-parent", f'import requests\nrequests.post("{_H}/v2/Notes", json={{"data": [{{"Note_Content": "x"}}]}})\n',
     ("unresolved", ("ZohoCRM.modules.notes.CREATE",))),
    ("notes-one-parent-unknown", f'import requests\ndef add(m):\n    return requests.post("{_H}/v2/Notes", json={{"data": '
                                 f'[{{"se_module": "Leads"}}, {{"se_module": m}}]}})\n',
     ("unresolved", ("ZohoCRM.modules.notes.CREATE",))),
)

NOTE_PARENT = (("se_module",), ("Parent_Id", "module", "api_name"), ("Parent_Id", "module"))  # v2; v3 and later


def _named_modules(project: Project, site: CallSite, body: Expr | None, ctx: Ctx, key: str,
                   *routes: tuple[str, ...]) -> CallSite:
    """The site with the module names every item of `body[key]` gives along one of `routes`; unchanged when any
    item names none statically (the matcher then keeps the certain part and says what would settle the rest)."""
    names: list[str] = []
    items = [item for seq in _field_values(project, body, ctx, key) if isinstance(seq, Sequence)
             for value in seq.items for item in project.evaluate(value, seq.ctx)]
    for item in items:
        found = [n for route in routes for n in _follow(project, item, route)]
        if not isinstance(item, Mapping) or not found or None in found:
            return site
        names.extend(n for n in found if n is not None)
    return replace(site, body_modules=tuple(sorted(set(names)))) if names else site


def _follow(project: Project, value: Value, route: tuple[str, ...]) -> list[str | None]:
    """The texts at `route` inside nested dicts: a name, None for a value not known statically, [] for absent."""
    if not route:
        if isinstance(value, Mapping):
            return []  # `Parent_Id.module` as {"api_name": ...}: the longer route reads it
        if isinstance(value, Text):
            text = _literal_text(value)
            return [None if "\x00" in text or not text else text]
        return [None]
    if not isinstance(value, Mapping):
        return []
    return [n for v in _values(project, value, route[0]) for n in _follow(project, v, route[1:])]


def _coql(project: Project, site: CallSite, body: Expr | None, ctx: Ctx) -> CallSite:
    queries = [_literal_text(t) for t in _field(project, body, ctx, "select_query")]
    if not queries:
        return replace(site, body_reason="the COQL select_query is not a static string, so the modules it reads "
                                         "(and their scopes) are unknown")
    needed, worst = [], 0
    for query in queries:
        match = _FROM.search(query)
        token = scopes.module_token(match.group(1)) if match else None
        if not match or token is None or "\x00" in match.group(1):
            return replace(site, body_reason="the COQL query's FROM module is only known at run time")
        needed.append(f"ZohoCRM.modules.{token}.READ")
        worst = max(worst, _coql_credits(query))
    return replace(site, body_scopes=tuple(sorted(set(needed))), credits=worst)


def _coql_credits(query: str) -> int:
    """Credits by LIMIT: 1-200 -> 1, 201-1000 -> 2, 1001-2000 -> 3 (an unknown LIMIT is the worst tier)."""
    match = _LIMIT.search(query)
    if match is None:
        limit = COQL_DEFAULT_LIMIT if "limit" not in query.lower() else 2000
    else:
        limit = int(match.group(2) or match.group(1))
    return 1 if limit <= 200 else 2 if limit <= 1000 else 3


def _bulk_read(project: Project, site: CallSite, body: Expr | None, ctx: Ctx) -> CallSite:
    found: list[str | None] = []
    for query in _dicts(project, body, ctx, "query"):
        for module in _values(project, query, "module"):
            named: Value | None = module
            if isinstance(module, Mapping):
                named = next(iter(_values(project, module, "api_name")), None)
            found.append(_literal_text(named) if isinstance(named, Text) else None)
    names = [n for n in found if n is not None]
    if not found or len(names) != len(found):
        return replace(site, body_reason="the bulk read's module is not static, so its read scope is unknown")
    tokens = [scopes.module_token(n) for n in names]
    if None in tokens:
        return replace(site, body_reason=f"the bulk read names {names[tokens.index(None)]!r}, not a module")
    return replace(site, body_scopes=tuple(sorted({f"ZohoCRM.modules.{t}.READ" for t in tokens})))


def _composite(project: Project, site: CallSite, body: Expr | None, ctx: Ctx) -> list[CallSite]:
    out = []
    for requests in _field_values(project, body, ctx, "__composite_requests"):
        if not isinstance(requests, Sequence):
            continue
        for item in requests.items:
            for sub in project.evaluate(item, requests.ctx):
                if not isinstance(sub, Mapping):
                    continue
                methods = [_literal_text(v) for v in _values(project, sub, "method") if isinstance(v, Text)]
                uris = [v for v in _values(project, sub, "uri") if isinstance(v, Text)]
                for method in methods or ["GET"]:
                    for uri in uris:
                        out.append(replace(site, method=(method or "GET").upper(), url=Url(uri.parts)))
    return out


def _path(site: CallSite) -> str | None:
    if not isinstance(site.url, Url):
        return None
    text = "".join(p if isinstance(p, str) else "\x00" for p in site.url.parts)
    path = re.split(r"[?#]", text, maxsplit=1)[0].rstrip("/")
    return re.sub(r"(?<!:)//+", "/", path)  # `base + "/coql"` on a base ending in "/": the matcher drops empty segments


def _field(project: Project, body: Expr | None, ctx: Ctx, key: str) -> list[Text]:
    return [v for v in _field_values(project, body, ctx, key) if isinstance(v, Text)]


def _field_values(project: Project, body: Expr | None, ctx: Ctx, key: str) -> list[Value]:
    if body is None:
        return []
    return [v for table in project.evaluate(body, ctx) if isinstance(table, Mapping)
            for v in _values(project, table, key)]


def _dicts(project: Project, body: Expr | None, ctx: Ctx, key: str) -> list[Mapping]:
    return [v for v in _field_values(project, body, ctx, key) if isinstance(v, Mapping)]


def _values(project: Project, table: Mapping, key: str) -> list[Value]:
    return [v for k, item in table.items if k == key for v in project.evaluate(item, table.ctx)]


def _literal_text(text: Text) -> str:
    """The text with each hole as NUL: FROM and LIMIT stay readable when they are literal."""
    return "".join(p if isinstance(p, str) else "\x00" for p in text.parts)
