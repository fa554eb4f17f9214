"""Documented conjunctions (data/conjunctions.json): scopes an endpoint needs besides its catalogue scope.

Zoho's `__apis` names one `oauth_scope` per operation while its pages say "(and)", so these apply on top of
any catalogue. Module support (data/modules.json `support`) says where Zoho documents an operation only for
some modules, for the `unmatched` reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from scopeplan import scopes

DEFAULT_OPS = {"GET": "READ", "POST": "CREATE", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}
BODY_MODULE = "{body_module}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented conjunction: for these methods on paths like this, also these scopes (from `source`)."""

    id: str
    methods: frozenset[str] | None  # None: every method
    pattern: re.Pattern[str]
    scopes: tuple[str, ...]  # templates: {op}, {body_module}
    source: str  # the doc page
    body: str | None = None  # what the request body must say for {body_module}


@dataclass(frozen=True, slots=True)
class Needed:
    """What the rules add to one call: scopes with their pages, and those the request body would settle."""

    scopes: tuple[tuple[str, str], ...] = ()  # (scope, doc url)
    pending: tuple[tuple[str, str, str], ...] = ()  # (scope template, doc url, what the body must say)


@dataclass(frozen=True, slots=True)
class Support:
    """An operation Zoho documents for some modules only ("Supported modules: ...")."""

    operation: str
    pattern: re.Pattern[str]  # on the path after /crm/vN, with a `module` group
    methods: frozenset[str] | None
    modules: frozenset[str]  # lower-cased API names; "custom" for every custom module
    shown: str  # the page's list, for the message
    source: str


def _data(name: str) -> dict:
    return json.loads(resources.files("scopeplan.data").joinpath(name).read_text("utf-8"))


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    """The rules of data/conjunctions.json, in file order."""
    return tuple(
        Rule(r["id"], frozenset(r["methods"]) if r.get("methods") else None, re.compile(r["path"]),
             tuple(r["scopes"]), r["source"], r.get("body"))
        for r in _data("conjunctions.json")["rules"]
    )


@lru_cache(maxsize=1)
def _body_rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(r["path"]), r["source"]) for r in _data("conjunctions.json").get("body_rules", ()))


@lru_cache(maxsize=1)
def support() -> tuple[Support, ...]:
    """Module support from data/modules.json."""
    out = []
    for row in _data("modules.json").get("support", ()):
        names = row["modules"]
        shown = ", ".join(n for n in names if n != "custom") + (" and custom modules" if "custom" in names else "")
        url = re.search(r"https?://\S+", row["source"])
        out.append(Support(row["operation"], re.compile(row["path"]),
                           frozenset(row["methods"]) if row.get("methods") else None,
                           frozenset(n.lower() for n in names), shown, url.group(0) if url else row["source"]))
    return tuple(out)


def needed(path: str, method: str, body_modules: tuple[str, ...] | None = None) -> Needed:
    """The documented scopes `method path` needs besides its catalogue scope.

    `path` is the matched path: the catalogue template with the call's literal segments filled in. `body_modules`
    are the module API names the request body names (None: the body was not read).
    """
    op = DEFAULT_OPS.get(method, "READ")
    found: list[tuple[str, str]] = []
    pending: list[tuple[str, str, str]] = []
    for rule in rules():
        if rule.methods is not None and method not in rule.methods:
            continue
        m = rule.pattern.match(path)
        if not m or ("module" in rule.pattern.groupindex and not _is_module(m.group("module"))):
            continue
        for template in rule.scopes:
            scope = template.replace("{op}", op)
            if BODY_MODULE not in scope:
                found.append((scope, rule.source))
                continue
            tokens = [scopes.module_token(name) for name in body_modules or ()]
            if not body_modules or None in tokens:
                pending.append((scope.replace(BODY_MODULE, "{module}"), rule.source, rule.body or "the request body"))
            else:
                found.extend((scope.replace(BODY_MODULE, str(t)), rule.source) for t in tokens)
    return Needed(tuple(sorted(set(found))), tuple(sorted(set(pending))))


def body_source(path: str) -> str:
    """The page behind scopes a request body adds on this path (COQL FROM, bulk read module)."""
    for pattern, source in _body_rules():
        if pattern.match(path):
            return source
    return "the request body"


def unsupported(rest: str, method: str) -> Support | None:
    """The Support row when Zoho documents this operation (path after /crm/vN) but not for its module."""
    for row in support():
        m = row.pattern.match(rest)
        if not m or (row.methods is not None and method not in row.methods):
            continue
        token = scopes.module_token(m.group("module"))
        if token is None:
            return None
        name = "custom" if token == "custom" else m.group("module").lower()
        return None if name in row.modules else row
    return None


def _is_module(segment: str) -> bool:
    return segment.startswith(("{{", "<<", "{")) or scopes.module_token(segment) is not None
