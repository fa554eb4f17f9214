"""The v1 API (`crm.zoho.com/crm/private/{xml|json}/<Module>/<method>`): what each call is on the current API.

A v1 call stays `deprecated` (v1 reached end of life on 2019-12-31); for an audit it also says what to call
instead: the method's v2+ endpoint from Zoho's "V2 vs V1" diff pages (`data/v1_migration.json`, each row with
the page it comes from), on the catalogue's own version, and the scopes that call will need, judged by the
matcher like any other call, so conjunctions (search, attachments) apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from scopeplan.model import CallSite, Hole, Plan, Resolution, Url

_V1 = re.compile(r"^/crm/private/(?:xml|json)/(?P<module>[^/?]+)/(?P<method>[^/?]+)", re.IGNORECASE)
_SLOT = re.compile(r"\{(\w+)\}")
HOST = "https://www.zohoapis.com"


@dataclass(frozen=True, slots=True)
class Migration:
    """One v1 call and its replacement on the current API."""

    resolution: Resolution
    v1_method: str
    module: str | None  # the v1 module as the code names it (None: only known at run time)
    http_method: str | None  # None: no replacement known for this v1 method
    path: str | None  # "/crm/v8/Leads/{id}"
    scopes: tuple[str, ...]
    source: str | None  # the diff page
    note: str


@cache
def table() -> dict[str, Any]:
    """data/v1_migration.json."""
    loaded: dict[str, Any] = json.loads(
        resources.files("scopeplan.data").joinpath("v1_migration.json").read_text("utf-8"))
    return loaded


@cache
def _rows() -> dict[str, dict[str, Any]]:
    return {row["v1"].lower(): row for row in table()["methods"]}


def parse(path: str) -> tuple[str, str] | None:
    """(module, method) of a v1 path: `/crm/private/xml/Leads/getRecords` -> ("Leads", "getRecords")."""
    match = _V1.match(path)
    return (match.group("module"), match.group("method")) if match else None


def migrate(resolution: Resolution, version: str, judge: Callable[[CallSite], Resolution | None]) -> Migration | None:
    """The replacement of one deprecated v1 call; `judge` resolves a CallSite (the plan's matcher)."""
    found = parse(resolution.path or "")
    if found is None:
        return None
    module, method = found
    known = None if "{" in module else table()["modules"].get(module.replace("%20", " "), module)
    row = _rows().get(method.lower())
    if row is None:
        return Migration(resolution, method, known, None, None, (), None, "no v2 counterpart in the diff pages")
    parts: list[str | Hole] = [f"{HOST}/crm/{version}/"]
    template: str = row["path"]
    pos = 0
    for slot in _SLOT.finditer(template):
        parts.append(template[pos:slot.start()])
        name = slot.group(1)
        given = known if name == "module" else _query(resolution, name)
        parts.append(given or Hole(name, "from the v1 call's parameters"))
        pos = slot.end()
    parts.append(template[pos:])
    url = Url(tuple(p for p in parts if p != ""))
    site = CallSite(location=resolution.site.location, function=resolution.site.function, library="v1 migration",
                    method=row["http_method"], url=url)
    judged = judge(site)
    scopes = judged.scopes if judged is not None and judged.status in ("matched", "unresolved") else ()
    shown = str(url)[len(HOST):].split("?")[0]
    return Migration(resolution, row["v1"], known, row["http_method"], shown, tuple(scopes), row["url"], row["note"])


def _query(resolution: Resolution, name: str) -> str | None:
    """A literal v1 query parameter that becomes a path segment (`parentModule=Accounts`)."""
    if name != "parentModule" or not isinstance(resolution.site.url, Url):
        return None
    match = re.search(r"[?&]parentModule=([A-Za-z_][\w]*)(?:&|$)", str(resolution.site.url))
    return table()["modules"].get(match.group(1), match.group(1)) if match else None


def migrations(plan: Plan) -> list[Migration]:
    """Every deprecated v1 call of the plan with its replacement, in report order."""
    deprecated = [r for r in plan.resolutions if r.status == "deprecated"]
    if not deprecated:
        return []
    from scopeplan.matcher import Matcher  # only a plan with v1 calls compiles a second matcher

    matcher = Matcher(plan.catalogue)
    out = []
    for r in deprecated:
        m = migrate(r, plan.catalogue.api_version, matcher.resolve)
        if m is not None:
            out.append(m)
    return out
