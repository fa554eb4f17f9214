"""Choose among the findings of one call: alternatives the code cannot have meant are not reported."""

from __future__ import annotations

import re
from collections import defaultdict

from scopeplan.model import Resolution

Key = tuple[object, ...]


def _call(r: Resolution) -> Key:
    """The one call (place, method, path taken to the HTTP call) that several URL alternatives came from."""
    site = r.site
    return (site.location, str(site.method), site.trace, site.function, site.implicit, site.ignored)


def assume(resolutions: list[Resolution]) -> list[Resolution]:
    """Drop the `unmatched` URL alternatives of a call whose other alternatives can reach Zoho, when they
    come from an `if` on an optional value the code cannot decide (`if self.organization_id:`, `if path:`).

    Such a test is the code serving a case it was written for (an organisation id Books needs, an empty
    path); the alternative that matches no CRM endpoint is the branch not taken for CRM. A wrong
    "unmatched" per variant is noise; a call none of whose alternatives matches keeps them all, and an
    `if` on anything else (`method == "GET"`) keeps every alternative.
    """
    groups: dict[Key, list[Resolution]] = defaultdict(list)
    for r in resolutions:
        groups[_call(r)].append(r)
    out = []
    for r in resolutions:
        siblings = groups[_call(r)]
        if (r.status == "unmatched" and r.site.assumed
                and any(s.status != "unmatched" and s.site.assumed for s in siblings)):
            continue
        out.append(r)
    return out


_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://[^/]*|\{[^{}/]*\})", re.IGNORECASE)
_ALL_HOLES = re.compile(r"/?(?:\{[^{}]*\}/?)*")


def _wholly_open(r: Resolution) -> bool:
    """An unresolved call whose path (after the host) is nothing but holes: `{host}/{endpoint}`."""
    path = _HOST.sub("", r.path or "", count=1)
    return r.status == "unresolved" and bool(_ALL_HOLES.fullmatch(path))


def open_wrappers(resolutions: list[Resolution]) -> list[Resolution]:
    """Drop a finding at a verb wrapper (`def patch(self, endpoint): return self._request("PATCH", endpoint)`)
    that leaves the whole path open, when the same HTTP call is reported through callers that build it.

    Its callers, where there are any, are where the endpoint is decided and reported; a wrapper nothing
    in the code calls with a path says nothing the report of the HTTP call through its other callers does
    not. A call reported only through open wrappers keeps them: dropping it would hide the call.
    """
    built = {r.site.trace[-1] for r in resolutions if len(r.site.trace) > 1 and not _wholly_open(r)}
    return [r for r in resolutions
            if not (len(r.site.trace) > 1 and _wholly_open(r) and r.site.trace[-1] in built)]
