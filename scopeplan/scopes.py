"""The scope algebra: parse `ZohoCRM.<family>[.<resource>].<op>`, coverage, least-privilege sets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

CRUD = frozenset({"READ", "CREATE", "UPDATE", "DELETE"})
_GRANTS = {"ALL": None, "WRITE": frozenset({"CREATE", "UPDATE", "DELETE", "WRITE"})}  # None: every op


@dataclass(frozen=True, slots=True)
class Scope:
    """A parsed scope; `resource` is the dotted middle part, lower-cased (`settings.fields` -> ("fields",))."""

    service: str
    family: str
    resource: tuple[str, ...]
    op: str

    def __str__(self) -> str:
        return ".".join((self.service, self.family, *self.resource, self.op))


class ScopeError(ValueError):
    """A string that is not a Zoho scope."""


def parse(text: str) -> Scope:
    """Parse a scope, case-insensitively: service and op keep Zoho's case, a ZohoCRM scope's middle is lower-cased.

    Other services keep their spelling (`ZohoWriter.documentEditor.ALL`, as their pages write it); `covers`
    compares them case-insensitively all the same.
    """
    parts = text.strip().split(".")
    if len(parts) < 3 or not all(parts):
        raise ScopeError(f"not a scope: {text!r} (expected ZohoCRM.<family>[.<resource>].<operation>)")
    crm = parts[0].lower() == "zohocrm"
    service = "ZohoCRM" if crm else parts[0]
    middle = [p.lower() if crm else p for p in parts[1:-1]]
    return Scope(service, middle[0], tuple(middle[1:]), parts[-1].upper())


def covers(granted: str | Scope, needed: str | Scope) -> bool:
    """True when holding `granted` allows what `needed` allows (ALL, WRITE, family-wide scopes)."""
    g = granted if isinstance(granted, Scope) else parse(granted)
    n = needed if isinstance(needed, Scope) else parse(needed)
    if (g.service.lower(), g.family.lower()) != (n.service.lower(), n.family.lower()):
        return False  # families are independent: modules.ALL grants no settings, coql or bulk scope
    if tuple(r.lower() for r in n.resource[: len(g.resource)]) != tuple(r.lower() for r in g.resource):
        return False
    if g.op == n.op:
        return True
    grants = _GRANTS.get(g.op, frozenset({g.op}))
    return grants is None or n.op in grants


def minimal(needed: Iterable[str]) -> list[str]:
    """The least-privilege set: each needed scope once (canonical spelling), minus those another covers."""
    unique: dict[str, Scope] = {}
    for s in needed:
        unique.setdefault(str(parse(s)).lower(), parse(s))  # one spelling per scope: the first seen
    unique = {str(scope): scope for scope in unique.values()}
    keep = [
        name
        for name, scope in unique.items()
        if not any(other != name and covers(o, scope) for other, o in unique.items())
    ]
    return sorted(keep)


def compact(scopes: Iterable[str]) -> dict[str, list[str]]:
    """Fold `X.READ/CREATE/UPDATE/DELETE` into `X.ALL` where all four are needed; never grant more.

    Returns {scope in the compact set: the least-privilege scopes it stands for}.
    """
    groups: dict[tuple[str, str, tuple[str, ...]], list[Scope]] = {}
    for name in scopes:
        s = parse(name)
        groups.setdefault((s.service, s.family, s.resource), []).append(s)
    out: dict[str, list[str]] = {}
    for (service, family, resource), members in groups.items():
        ops = {m.op for m in members}
        # X.ALL grants exactly X's four operations: folding is only safe when all four are needed.
        if CRUD <= ops:
            out[str(Scope(service, family, resource, "ALL"))] = sorted(str(m) for m in members)
        else:
            out.update({str(m): [str(m)] for m in members})
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def _modules() -> tuple[Mapping[str, str], frozenset[str]]:
    doc = json.loads(resources.files("scopeplan.data").joinpath("modules.json").read_text("utf-8"))
    tokens = {name.lower(): token for name, token in doc["modules"].items()}
    return tokens, frozenset(r.lower() for r in doc.get("reserved", ()))


def crm_segments() -> frozenset[str]:
    """First path segments after /crm/vN/ that are not modules (`users`, `settings`, `coql`, ...)."""
    return _modules()[1]


def module_token(api_name: str) -> str | None:
    """Scope token of a module API name (`Sales_Orders` -> `salesorders`); `custom` for other modules.

    None when the name is not a module at all (`users`, `settings`, `__apis`, ...).
    """
    tokens, reserved = _modules()
    key = api_name.lower()
    if key in tokens:
        return tokens[key]
    if key in reserved or key.startswith("__"):
        return None
    return "custom"
