"""Scopes that live in the request body: COQL's FROM, bulk read's module, composite sub-requests."""

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
    if path is None or site.method != "POST":
        return [site]
    if re.search(r"/crm/v[\d.]+/coql$", path):
        return [_coql(project, site, body, ctx)]
    if re.search(r"/crm/bulk/v[\d.]+/read$", path):
        return [_bulk_read(project, site, body, ctx)]
    if re.search(r"/crm/v[\d.]+/__composite_requests$", path):
        return [site, *_composite(project, site, body, ctx)]
    return [site]


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
    return re.split(r"[?#]", text, maxsplit=1)[0].rstrip("/")


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
