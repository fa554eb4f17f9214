"""Needed vs granted: the scope sets the code requests (auth URL, token grant, settings) judged by the algebra."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus

from scopeplan import scopes as algebra
from scopeplan.model import Location, Resolution
from scopeplan.program.project import EMPTY, Project, Sequence, Text
from scopeplan.scopesource import NAME as _NAME, line_of as _line_of, lines as _lines, mentions_oauth as _mentions_oauth
from scopeplan.scanner.ir import Dict, Expr

# Where a requested scope set comes from: a typed union, one class per way code asks Zoho Accounts for scopes.


@dataclass(frozen=True, slots=True)
class AuthorizationUrl:
    """`https://accounts.zoho.{dc}/oauth/v2/auth?scope=...` (or its query built from a dict)."""

    label = "authorization URL"


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """The `scope` of a token request (`grant_type=client_credentials`, a self-client) in its URL, body or params."""

    label = "token request"


@dataclass(frozen=True, slots=True)
class ScopeSetting:
    """A constant or setting whose name says scope: `ZOHO_SCOPES = [...]`."""

    name: str
    label = "setting"


@dataclass(frozen=True, slots=True)
class ScopeArgument:
    """A `scope=`/`scopes=` argument of a call: an SDK's or an OAuth library's token configuration."""

    callee: str
    label = "scope argument"


@dataclass(frozen=True, slots=True)
class Console:
    """What is configured in the Zoho API console, given with `--granted` or `[tool.scopeplan] granted`."""

    source: str
    label = "API console"


Origin = AuthorizationUrl | TokenRequest | ScopeSetting | ScopeArgument | Console


@dataclass(frozen=True, slots=True)
class Place:
    """One place a scope set is requested; the API console has no place in the code (None)."""

    location: Location | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class Unused:
    """Requested, and no call needs anything it grants."""

    scope: str


@dataclass(frozen=True, slots=True)
class Broader:
    """Requested, and wider than what the calls under it need: `modules.ALL` where two module scopes suffice."""

    scope: str
    instead: tuple[str, ...]  # the narrower scopes that cover every need it serves


@dataclass(frozen=True, slots=True)
class Missing:
    """Needed, and not granted by the set: the call answers 401 OAUTH_SCOPE_MISMATCH."""

    scope: str
    sites: tuple[Location, ...]


@dataclass(frozen=True, slots=True)
class Kept:
    """Requested, no call surely needs what it grants beyond the needs, but calls scopeplan could not resolve may:
    not advised as a drop (nor narrowed) until those calls are settled."""

    scope: str
    sites: tuple[Location, ...]  # the unresolved or unmatched calls that may need it
    instead: tuple[str, ...] = ()  # what the other calls alone would narrow it to (empty: they need none of it)


OverGrant = Unused | Broader


@dataclass(frozen=True, slots=True)
class GrantCheck:
    """One requested scope set, where it is requested, and how it compares with what the code needs."""

    scopes: tuple[str, ...]  # canonical spelling, sorted
    places: tuple[Place, ...]
    over: tuple[OverGrant, ...]
    under: tuple[Missing, ...]
    foreign: tuple[str, ...] = ()  # other Zoho products' scopes (ZohoBooks...): not judged
    partial: str | None = None  # part of the set is only known at run time: under-grants are not claimed
    kept: tuple[Kept, ...] = ()  # over-grants withheld: an unresolved or unmatched call may need them

    @property
    def console(self) -> bool:
        """True for the set configured in the API console (the one `check --granted` holds the code to)."""
        return any(isinstance(p.origin, Console) for p in self.places)


JUDGED = ("zohocrm", "zohosearch", "zohofiles")  # the services whose calls scopeplan sees
SOURCES = ("https://www.zoho.com/crm/developer/docs/api/v8/scopes.html",
           "https://zoho.com/crm/developer/docs/api/v4/client-credentials.html")
_SCOPE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)+\.[A-Za-z]+$")
_SPLIT = re.compile(r"[,\s]+|%2C|%20|\+", re.IGNORECASE)
HOLE = "\x00"


def check(resolutions: Iterable[Resolution], needed: Iterable[str], requested: Iterable[tuple[str, Place]],
          console: tuple[str, ...] = (), console_source: str = "") -> tuple[GrantCheck, ...]:
    """Each requested set (and the console's) judged against the least-privilege `needed` set."""
    needed = list(needed)
    resolutions = list(resolutions)
    sites = [r for r in resolutions if r.needed_scopes]  # as `needed` counts them: an unresolved call's certain part
    open_calls = [r for r in resolutions if r.status in ("unresolved", "unmatched") and not r.site.ignored]
    groups: dict[str, list[Place]] = {}
    for text, place in requested:
        groups.setdefault(text, []).append(place)
    if console:
        groups.setdefault(",".join(console), []).append(
            Place(None, Console(console_source or "--granted")))
    merged: dict[tuple, list[Place]] = {}
    partial: dict[tuple, str | None] = {}
    for text, places in groups.items():
        names, why = parse_set(text)
        if not names:
            continue
        key = tuple(names)
        merged.setdefault(key, []).extend(places)
        partial[key] = partial.get(key) or why
    out = [_judge(key, tuple(sorted(set(places), key=_place_order)), needed, sites, partial[key], open_calls)
           for key, places in merged.items()]
    return tuple(sorted(out, key=lambda g: (not g.console, _place_order(g.places[0]), g.scopes)))


def parse_set(text: str) -> tuple[list[str], str | None]:
    """The scopes in a requested string (comma, space or URL-encoded separated), canonical and sorted."""
    names, why = set(), None
    for token in _SPLIT.split(unquote_plus(text.replace(HOLE, f" {HOLE} ")) if "%" in text else
                              text.replace(HOLE, f" {HOLE} ")):
        if token == HOLE:
            why = "part of the scope string is only known at run time"
        elif _SCOPE.match(token):
            names.add(str(algebra.parse(token)))
    return sorted(names), why


def _judge(names: tuple[str, ...], places, needed: list[str], sites: list[Resolution],
           partial: str | None, open_calls: list[Resolution]) -> GrantCheck:
    judged = [n for n in names if n.split(".")[0].lower() in JUDGED]
    over: list[OverGrant] = []
    kept: list[Kept] = []
    for g in judged:
        served = [n for n in needed if algebra.covers(g, n)]
        narrow = sorted(algebra.compact(algebra.minimal(served)))
        if narrow == [g]:
            continue
        may = _may_need(g, narrow, open_calls)
        if may:
            kept.append(Kept(g, may, tuple(narrow)))
        else:
            over.append(Broader(g, tuple(narrow)) if served else Unused(g))
    under = []
    if partial is None:
        for n in needed:
            if not any(algebra.covers(g, n) for g in judged):
                where = sorted({r.site.location for r in sites if any(algebra.covers(n, s) for s in r.scopes)},
                               key=lambda loc: (loc.file, loc.line, loc.column))
                under.append(Missing(n, tuple(where)))
    foreign = tuple(n for n in names if n not in judged)
    return GrantCheck(names, places, tuple(over), tuple(under), foreign, partial, tuple(kept))


def _may_need(granted: str, narrow: list[str], open_calls: list[Resolution]) -> tuple[Location, ...]:
    """The open calls that may need what `granted` grants beyond `narrow`: a candidate it covers and `narrow`
    does not, or no known candidates (then any scope may be the one), as the baseline gate keeps them."""
    found = {r.site.location for r in open_calls
             if not r.candidates or any(algebra.covers(granted, c) and not any(algebra.covers(n, c) for n in narrow)
                                        for c in r.candidates)}
    return tuple(sorted(found, key=lambda loc: (loc.file, loc.line, loc.column)))


def _place_order(p: Place):
    if p.location is None:
        return ("", 0, 0, p.origin.label)
    return (p.location.file, p.location.line, p.location.column, p.origin.label)


# -- finding the requested sets in code ---------------------------------------------------------------


def requested(project: Project, root: Path) -> list[tuple[str, Place]]:
    """(scope text, place) for every scope string the code requests; holes are kept as NUL."""
    out: list[tuple[str, Place]] = []
    for facts in project.files:
        lines = None
        for name, expr in facts.symbols:
            if _NAME.search(name) or _mentions_oauth(expr):
                for text in _texts(project, expr):
                    if lines is None:
                        lines = _lines(root, facts.path)
                    where = Location(facts.path, _line_of(lines, name), 1)
                    found = _from_text(text)
                    if found is not None:
                        out.append((found[0], Place(where, found[1])))
                    elif _NAME.search(name) and _looks_like_scopes(text):
                        out.append((text, Place(where, ScopeSetting(name))))
        for fn in facts.functions:
            if fn.returns is not None and _mentions_oauth(fn.returns):
                for text in _texts(project, fn.returns):
                    found = _from_text(text)
                    if found is not None:
                        out.append((found[0], Place(Location(facts.path, fn.line, 1), found[1])))
        for invoke in facts.invokes:
            out.extend(_from_invoke(project, facts.path, invoke))
    return out


def _from_invoke(project: Project, path: str, invoke) -> list[tuple[str, Place]]:
    where = Location(path, invoke.line, invoke.column)
    out = []
    for key, expr in invoke.kwargs:
        if key in ("scope", "scopes"):
            out.extend((t, Place(where, ScopeArgument(_callee(invoke.callee)))) for t in _texts(project, expr)
                       if _looks_like_scopes(t))
    for expr in (*invoke.args, *(e for k, e in invoke.kwargs if k not in ("scope", "scopes"))):
        if isinstance(expr, Dict):
            table = dict(expr.items)
            if "scope" in table:
                origin = TokenRequest() if "grant_type" in table else AuthorizationUrl() if (
                    "response_type" in table or "redirect_uri" in table) else ScopeArgument(_callee(invoke.callee))
                out.extend((t, Place(where, origin)) for t in _texts(project, table["scope"]) if _looks_like_scopes(t))
        elif _mentions_oauth(expr):
            for text in _texts(project, expr):
                found = _from_text(text)
                if found is not None:
                    out.append((found[0], Place(where, found[1])))
    return out


_QUERY_SCOPE = re.compile(r"[?&]scope=([^&#]*)")


def _from_text(text: str) -> tuple[str, Origin] | None:
    """The `scope=` query parameter of a Zoho Accounts authorization or token URL."""
    low = text.lower()
    if "oauth/v2/auth" not in low and "oauth/v2/token" not in low:
        return None
    match = _QUERY_SCOPE.search(text)
    if match is None:
        return None
    origin = AuthorizationUrl() if "oauth/v2/auth" in low and "oauth/v2/token" not in low else TokenRequest()
    return match.group(1), origin


def _looks_like_scopes(text: str) -> bool:
    return any(_SCOPE.match(t) and t.lower().startswith("zoho") for t in _SPLIT.split(text))


def _texts(project: Project, expr: Expr) -> list[str]:
    """The string values of an expression (a list or tuple becomes its items joined by commas)."""
    out = []
    for value in project.evaluate(expr, EMPTY):
        if isinstance(value, Sequence):
            items = [_flat(t) for item in value.items for t in project.strings(item, value.ctx, 0)]
            out.append(",".join(items))
        elif isinstance(value, Text):
            out.append(_flat(value))
    return list(dict.fromkeys(out))


def _flat(text: Text) -> str:
    return "".join(p if isinstance(p, str) else HOLE for p in text.parts)


def _callee(callee: Expr) -> str:
    for attr in ("qualname", "name"):
        value = getattr(callee, attr, None)
        if isinstance(value, str):
            return value
    return "a call"
