"""The HTTP libraries scopeplan knows: functions, client classes and how their calls are spelled."""

from __future__ import annotations

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
# Methods whose first argument is the HTTP method and second the URL.
METHOD_FIRST = frozenset({"request", "stream", "urlopen"})
CLIENT_METHODS = VERBS | METHOD_FIRST

# Module-level functions, by qualified name: library and how to read the call.
HTTP_FUNCTIONS: dict[str, tuple[str, str]] = {
    **{f"requests.{v}": ("requests", v) for v in VERBS},
    "requests.request": ("requests", "request"),
    **{f"httpx.{v}": ("httpx", v) for v in VERBS},
    "httpx.request": ("httpx", "request"),
    "httpx.stream": ("httpx", "stream"),
    "urllib3.request": ("urllib3", "request"),
    "aiohttp.request": ("aiohttp", "request"),
    "urllib.request.urlopen": ("urllib", "urlopen-url"),
    "urllib2.urlopen": ("urllib", "urlopen-url"),
}

# Client classes, by qualified name: library, and the keyword (or first positional) that sets a base URL.
CLIENT_CLASSES: dict[str, tuple[str, str | None]] = {
    "requests.Session": ("requests", None),
    "requests.session": ("requests", None),
    "httpx.Client": ("httpx", "base_url"),
    "httpx.AsyncClient": ("httpx", "base_url"),
    "aiohttp.ClientSession": ("aiohttp", "base_url"),
    "urllib3.PoolManager": ("urllib3", None),
}

# Other spellings of the same names (private modules the classes are defined in).
_ALIASES = {
    "requests.api.": "requests.",
    "requests.sessions.Session": "requests.Session",
    "requests.sessions.session": "requests.session",
    "httpx._client.": "httpx.",
    "httpx._api.": "httpx.",
    "aiohttp.client.": "aiohttp.",
    "urllib3.poolmanager.": "urllib3.",
    "six.moves.urllib.request.": "urllib.request.",
}


def canonical(qualname: str) -> str:
    """The public spelling of a library name (`requests.api.get` -> `requests.get`)."""
    for prefix, public in _ALIASES.items():
        if qualname.startswith(prefix):
            return public + qualname[len(prefix):]
    return qualname
