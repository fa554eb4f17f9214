"""Match a folded URL against the catalogue: literal-first, version-agnostic, hosts checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from scopeplan import scopes
from scopeplan.catalogue import conjunctions
from scopeplan.model import CallSite, Catalogue, Endpoint, Hole, Operation, Resolution, Unresolved, Url

_HOLE = re.compile(r"\x01(\d+)\x02")
_PLACEHOLDER = re.compile(r"^(?:\{\{(\w+)\}\}|<<(\w+)>>)$")  # Zoho's {{id}}, or the <<id>> spelling
_VERSION = re.compile(r"^v\d+(?:\.\d+)?$")
_PREFIX = re.compile(r"^/crm/(?:(bulk|email)/)?([^/]+)(/.*)?$")
_LEGACY = re.compile(r"^/crm/private/(?:json|xml)(?:/|$)", re.IGNORECASE)
_DCS = r"(?:com|eu|in|com\.au|jp|com\.cn|ca|sa|uk|ae)"
# Hosts that serve the CRM API: every data centre, sandbox and developer, the upload hosts, and the
# legacy crm.zoho.* host that v1 (and early v2 code) used. Other Zoho hosts (accounts, books, desk) are not CRM.
_CRM_HOST = re.compile(
    rf"^(?:(?:www|sandbox|developer|content)\.)?zohoapis\.{_DCS}$"
    rf"|^(?:crm|crmsandbox)\.zoho\.{_DCS}$|^crm\.zohocloud\.ca$|^upload\.zohocloud\.ca$|^files\.zoho\.sa$"
    rf"|^upload\.zoho\.{_DCS}$",  # the bulk-write upload host of the v2 upload-file page
    re.IGNORECASE,
)
LEGACY_REASON = "Zoho CRM API v1 (/crm/private/...) reached end of life on 2018-12-31; port it to v2 or later"


@dataclass(frozen=True, slots=True)
class _Template:
    endpoint: Endpoint
    kind: str  # "crm" | "bulk" | "email"
    segments: tuple[str | None, ...]  # literal (lower-cased) or None for a {{placeholder}}
    names: tuple[str | None, ...]  # placeholder names, None for literals
    rank: tuple[int, ...]  # prefer more literal segments, then literals further left


class Matcher:
    """A catalogue compiled once into templates grouped by (prefix, segment count)."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self._groups: dict[tuple[str, int], list[_Template]] = {}
        for endpoint in catalogue.endpoints:
            parsed = _split(endpoint.template)
            if parsed is None:
                continue
            kind, _version, rest = parsed
            names = tuple((m.group(1) or m.group(2)) if (m := _PLACEHOLDER.match(s)) else None for s in rest)
            segments = tuple(None if n is not None else s.lower() for s, n in zip(rest, names))
            literal = tuple(int(s is not None) for s in segments)
            template = _Template(endpoint, kind, segments, names, (sum(literal), *literal))
            self._groups.setdefault((kind, len(rest)), []).append(template)
        for group in self._groups.values():
            group.sort(key=lambda t: t.rank, reverse=True)

    def resolve(self, site: CallSite) -> Resolution | None:
        """Judge one call site; None when it is not a Zoho CRM call (other host, accounts, Books...)."""
        if isinstance(site.url, Unresolved):
            return Resolution(site, "unresolved", None, None, reason=site.url.reason)
        text, holes = _render(site.url)
        # the query never decides the endpoint; no Zoho path has a `&`, so one is the query even where the
        # code forgot the `?` (`url += "&" + urlencode(params)`)
        text = re.split(r"[?#&]", text, maxsplit=1)[0]
        located = _locate(text, holes)
        if isinstance(located, Unresolved):
            return Resolution(site, "unresolved", _show(text, holes), None, reason=located.reason)
        if located is None:
            return None
        path = _show(located, holes)
        if _LEGACY.match(located):
            return Resolution(site, "deprecated", path, "v1", reason=LEGACY_REASON)
        parsed = _split(located)
        if parsed is None:
            return Resolution(site, "unmatched", path, None, reason="not a /crm/{version}/ path")
        kind, version, rest = parsed
        api_version = version if _VERSION.match(version) else None
        if isinstance(site.method, Unresolved):
            return Resolution(site, "unresolved", path, api_version, reason=site.method.reason)
        resolution = self._match(site, kind, rest, holes, path, api_version)
        if resolution.status == "matched" and site.body_reason:
            # the catalogue's scope (coql.READ, bulk.READ) is certain; the body's module part is not known
            return replace(resolution, status="unresolved", reason=site.body_reason)
        if resolution.status == "matched" and site.credits is not None:
            return replace(resolution, max_credits=site.credits, min_credits=site.credits)  # the body fixes the tier
        return resolution

    def _match(self, site, kind, rest, holes, path, api_version) -> Resolution:
        method = site.method
        segments = [None if _HOLE.search(s) else s.lower() for s in rest]  # None: unknown at run time
        exact, speculative = [], []
        # Zoho documents some operations for some modules only: a {{module}} template does not stand for the others
        unsupported = conjunctions.unsupported("/" + "/".join(rest), method)
        for template in self._groups.get((kind, len(rest)), ()):
            if template.endpoint.operation(method) is None or (unsupported and "module" in template.names):
                continue
            fit = _fit(template, segments, rest)
            if fit is not None:
                scope = _scope(template, rest, method)
                if scope is not None:
                    (speculative if fit else exact).append((template, scope))
        candidates = exact + speculative
        if not candidates:
            return Resolution(site, "unmatched", path, api_version,
                              reason=self._unmatched(kind, rest, segments, method, path))
        template, scope = (exact or speculative)[0]
        unknown = any(s is None for s in segments)
        if unknown and any(other != scope for _, other in candidates):
            certain = self._certain(candidates, rest, kind, method)
            return Resolution(site, "unresolved", path, api_version, scopes=certain,
                              reason=_ambiguity(rest, holes, candidates, certain))
        op: Operation = template.endpoint.operation(method)
        filled = _filled(template, rest, kind)
        added = conjunctions.needed(filled, method, site.body_modules)
        source = conjunctions.body_source(filled)
        extra = [*added.scopes, *((s, source) for s in site.body_scopes)]
        # a conjunction the catalogue scope already grants is not one (a catalogue may name it itself)
        extra = sorted({(s, url) for s, url in extra if not scopes.covers(scope, s)})
        if added.pending:  # the endpoint and its own scopes are known; the body's module part is a template
            return Resolution(site, "unresolved", path, api_version, endpoint=template.endpoint.template,
                              scopes=tuple(scopes.minimal([scope, *(s for s, _ in extra)])),
                              conjunctions=tuple(extra), reason=_pending(scope, extra, added.pending))
        return Resolution(
            site, "matched", path, api_version, endpoint=template.endpoint.template,
            scopes=tuple(scopes.minimal([scope, *(s for s, _ in extra)])),
            min_credits=op.min_credits, max_credits=op.max_credits,
            conjunctions=tuple(extra),
        )

    @staticmethod
    def _certain(candidates, rest: list[str], kind: str, method: str) -> tuple[str, ...]:
        """The scopes every candidate needs (its catalogue scope and its conjunctions): certain whichever it is.

        `GET /crm/v2/{module}/{id}/Attachments` needs `ZohoCRM.modules.attachments.READ` whatever the module. A
        candidate that reads an unknown segment as a keyword (`settings/fields/Attachments`, `Contacts/roles/...`)
        is left out when others read every unknown segment as a placeholder or a module name: a value the code
        computes stands for a name or an id, not for a piece of another endpoint's path."""
        def plausible(template: _Template) -> bool:
            own = _own(template, len(rest))
            return all(template.names[i] is not None or (own[i][:1].isupper() and scopes.module_token(own[i]) is not None)
                       for i in range(len(rest)) if _HOLE.search(rest[i]))

        chosen = [c for c in candidates if plausible(c[0])] or list(candidates)
        sets = []
        for template, scope in chosen:
            added = conjunctions.needed(_filled(template, rest, kind), method)
            sets.append([scope, *(s for s, _ in added.scopes)])
        first, *others = sets
        return tuple(scopes.minimal(s for s in first if all(any(scopes.covers(o, s) for o in other) for other in others)))

    def _unmatched(self, kind: str, rest: list[str], segments: list, method: str, path: str) -> str:
        """Why nothing matched: another method only, a module Zoho does not document, or no such path."""
        head = f"no catalogue endpoint for {method} {path}"
        row = conjunctions.unsupported("/" + "/".join(rest), method)
        if row is not None:
            return f"{head}: Zoho documents {row.operation} only for {row.shown} ({row.source})"
        methods = sorted({op.method for t in self._groups.get((kind, len(rest)), ())
                          if _fit(t, segments, rest) is not None
                          for op in t.endpoint.operations if _scope(t, rest, op.method) is not None})
        if methods:
            return f"{head}: the path exists, but not with this method (it has {', '.join(methods)})"
        return f"{head}: no such path in the catalogue"


def _filled(template: _Template, rest: list[str], kind: str) -> str:
    """The template's path with the call's literal segments in its placeholders (`{{module}}` -> `Invoices__c`)."""
    _kind, version, own = _split(template.endpoint.template) or (kind, "v0", list(rest))
    parts = [have if name is not None and not _HOLE.search(have) else want
             for want, have, name in zip(own, rest, template.names)]
    prefix = "/crm/" + ("" if kind == "crm" else kind + "/") + version
    return prefix + "".join("/" + p for p in parts)


def _own(template: _Template, count: int) -> list[str]:
    """The template's own segments after the version (`Leads`, `{{id}}`, `Attachments`)."""
    parsed = _split(template.endpoint.template)
    return parsed[2] if parsed is not None else [""] * count


def _pending(scope: str, extra: list[tuple[str, str]], pending) -> str:
    """An unresolved call keeps what is certain, and says what would settle the rest."""
    certain = ", ".join(scopes.minimal([scope, *(s for s, _ in extra)]))
    rest = "; ".join(f"{template} where {{module}} is {what} ({url})" for template, url, what in pending)
    return f"needs {certain} and {rest}: the request body that says it is not known here"


def _render(url: Url) -> tuple[str, list[Hole]]:
    holes: list[Hole] = []
    out = []
    for part in url.parts:
        if isinstance(part, Hole):
            out.append(f"\x01{len(holes)}\x02")
            holes.append(part)
        else:
            out.append(part)
    return "".join(out), holes


def _show(text: str, holes: list[Hole]) -> str:
    return _HOLE.sub(lambda m: "{%s}" % holes[int(m.group(1))].name, text)


def _locate(text: str, holes: list[Hole]) -> str | Unresolved | None:
    """The path of a CRM URL; None for another host; Unresolved when the start of the URL is unknown."""
    scheme = re.match(r"^(?:https?:)?//([^/]*)(.*)$", text, re.IGNORECASE)
    if scheme:
        host, path = scheme.groups()
        if not _HOLE.search(host) and not _CRM_HOST.match(host.split(":")[0]):
            return None
        if path.lower().startswith("/crm/"):
            return _clean(path)
        first = re.match(r"^/?\x01(\d+)\x02", path)
        if first and not _HOLE.search(host):  # `https://www.zohoapis.com/{endpoint}`: a CRM host, the path unknown
            hole = holes[int(first.group(1))]
            why = f" ({hole.origin})" if hole.origin else ""
            return Unresolved(f"the path on {host} comes from `{hole.name}`{why}")
        return None
    lead = re.match(r"^\x01(\d+)\x02(.*)$", text)
    if lead:
        rest = lead.group(2)
        if rest.lower().startswith("/crm/") or rest.lower().startswith("crm/"):
            return _clean("/" + rest.lstrip("/"))
        hole = holes[int(lead.group(1))]
        if _TOKEN_URL.search(hole.name):
            return None  # `requests.post(self.get_token_refresh_endpoint())`: OAuth, never a CRM call
        if rest and not _looks_like_crm(hole, rest):
            return None  # `{instance_url}/services/data/...`: nothing says this is Zoho CRM
        why = f" ({hole.origin})" if hole.origin else ""
        what = "the url" if not rest else "the start of the url"
        return Unresolved(f"{what} comes from `{hole.name}`{why}")
    if text.lower().startswith("/crm/"):
        return _clean(text)
    return None


# a URL named as the OAuth token endpoint (accounts.zoho.*, not CRM): `token_refresh_endpoint`, `oauth_url`
_TOKEN_URL = re.compile(r"(?i)oauth|token\w*(?:endpoint|url|uri)|refresh\w*(?:endpoint|url|uri)"
                        r"|accounts\w*(?:url|uri|server|domain|host)")


def _looks_like_crm(hole: Hole, rest: str) -> bool:
    """Evidence that `{base}/rest` is a CRM call: a CRM-ish base name, or a first segment CRM uses."""
    if re.search(r"(?i)zoho|crm", hole.name):
        return True
    first = re.split(r"[/?#\x01]", rest.lstrip("/"), maxsplit=1)[0]
    if not first:
        return True
    token = scopes.module_token(first)
    return token not in (None, "custom") or first.lower() in scopes.crm_segments()


def _clean(path: str) -> str:
    return "/" + "/".join(s for s in path.split("/") if s)


def _split(path: str) -> tuple[str, str, list[str]] | None:
    m = _PREFIX.match(path)
    if not m:
        return None
    kind, version, rest = m.group(1) or "crm", m.group(2), m.group(3) or ""
    return kind, version, [s for s in rest.split("/") if s]


def _fit(template: _Template, segments: list, raw: list[str]) -> bool | None:
    """None when the template cannot match; True when it matches only by guessing an unknown segment."""
    guessed = False
    for want, have in zip(template.segments, segments):
        if want is None:
            continue
        if have is None:
            guessed = True
        elif have != want:
            return None
    return guessed


def _scope(template: _Template, rest: list[str], method: str) -> str | None:
    """The operation's scope; a `custom` scope reached by a system module takes that module's token."""
    scope = template.endpoint.operation(method).scope
    for name, segment in zip(template.names, rest):
        if name != "module" or _HOLE.search(segment):
            continue
        token = scopes.module_token(segment)
        if token is None or (token == "custom" and not segment[:1].isupper()):
            # `users`, `settings` are not modules; module API names start with a capital letter, so a
            # lower-case segment such as `organization` is not taken for a custom module either
            return None
        if token != "custom":
            scope = re.sub(r"\.custom\.", f".{token}.", scope, flags=re.IGNORECASE)
    for name, segment in zip(template.names, rest):
        if name == "related_list" and not _HOLE.search(segment) and not segment[:1].isupper():
            return None  # related lists are API names (`Notes`, `Contact_Roles`); `photo` or `actions` is not one
    return scope


def _ambiguity(rest: list[str], holes: list[Hole], candidates, certain: tuple[str, ...] = ()) -> str:
    unknown = [holes[int(m.group(1))] for s in rest for m in _HOLE.finditer(s)]
    names = ", ".join(f"`{{{h.name}}}`" + (f" ({h.origin})" if h.origin else "") for h in unknown)
    options = sorted({scope for _, scope in candidates} - set(certain))
    shown = ", ".join(options[:4]) + (f" and {len(options) - 4} more" if len(options) > 4 else "")
    sure = f"needs {', '.join(certain)} whatever it is; " if certain else ""
    return f"{sure}{names} decides the endpoint and its scope: it could need {shown}"
