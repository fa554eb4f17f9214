"""Choose the files worth parsing, losslessly: phase 1 on bytes (seeds and imports), and the names it needs.

A file is a *seed* when its bytes mention Zoho (`zoho`, `zcrm`, a `crm` path segment) or a `# scopeplan:`
hint; every file's import statements are read from its bytes (`summary.py`, phase 1 on bytes). The rest of the selection
lives beside this module, one responsibility each: `modules.py` resolves dotted names to the project's
modules as the resolver does, `producers.py` grows the files that can yield a call site from the seeds
(phase 1), `closure.py` follows the names the chosen files' facts may look up (phase 2).

Every file not chosen becomes an empty `FileFacts` with its path and module name: the set of module names
stays the one a full scan sees, so name resolution cannot change. Known limits (benchmarks/README.md):
a Zoho keyword spelt only with escapes or split literals, a module object kept in a variable and used
from a third file, and syntax errors in files that cannot matter (not parsed, so not reported).
"""

from __future__ import annotations

import re
from collections import defaultdict

from scopeplan.models import http as clients
from scopeplan.scanner.summary import _CRM_WORD, Summary, imports, summarise  # noqa: F401  (phase 1)

# Requests built before they are sent (`urllib.request.Request`, tornado's `HTTPRequest`).
_EXTRA_HTTP = tuple(sorted(clients.REQUEST_CLASSES))


def _http_names() -> dict[str, list[tuple[str, ...]]]:
    """Names the scanner reads as HTTP or Zoho SDK calls: by first component, the rest of their components.

    An empty rest (the SDK import roots) means any name under that root.
    """
    names = [*clients.HTTP_FUNCTIONS, *clients.CLIENT_CLASSES, *_EXTRA_HTTP,
             *(alias.rstrip(".") for alias in getattr(clients, "_ALIASES", {}))]
    roots: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for name in names:
        head, *rest = name.split(".")
        roots[head].append(tuple(rest))
    for root in _sdk_roots():
        roots[root].append(())
    return dict(roots)


def _sdk_roots() -> set[str]:
    try:
        from scopeplan.models import zoho_sdk as sdk

        return {package["import_root"] for package in sdk._packages().values()}
    except Exception:  # no SDK table: the keywords below still catch `zohocrmsdk` and `zcrmsdk`
        return set()


def call_names() -> frozenset[str]:
    """Method and function names a call must end with to be read as an HTTP or SDK call."""
    names = set(clients.CLIENT_METHODS) | {name.rpartition(".")[2] for name in clients.HTTP_FUNCTIONS}
    names |= _legacy_method_names()  # zcrmsdk 1.x/2.x
    try:
        from scopeplan.models import zoho_sdk as sdk

        names |= sdk.method_names()
    except Exception:
        return frozenset()  # unknown: every call counts (see Closure.start)
    return frozenset(names)


def _legacy_method_names() -> frozenset[str]:
    try:
        from scopeplan.models import zcrmsdk_legacy

        return zcrmsdk_legacy.method_names()
    except Exception:  # no table: the seed keyword still keeps zcrmsdk files
        return frozenset()


_ROOTS = _http_names()


def _is_http(name: str, data: bytes | None) -> bool:
    """Whether a bound name can start a qualified name the scanner reads as an HTTP library.

    With `data`, the rest of that name must be spelt in it; without, any start will do.
    """
    head, _, tail = name.partition(".")
    options = _ROOTS.get(head)
    if options is None:
        return False
    have = tuple(tail.split(".")) if tail else ()
    for rest in options:
        if rest[:len(have)] == have:  # `requests`, `urllib.request`: the code may add the rest
            if data is None or all(_word(part, data) for part in rest[len(have):]):
                return True
        elif have[:len(rest)] == rest:  # `requests.sessions.Session`, `requests.api.get`
            return True
    return False


def _word(word: str, data: bytes) -> bool:
    raw = word.encode()
    return raw in data and re.search(rb"\b" + re.escape(raw) + rb"\b", data) is not None


def _mentions(text: str) -> bool:
    """Whether a string names Zoho (a host, the SDK, or `crm` as a word): the seeds' sign of Zoho."""
    low = text.lower()
    return "zoho" in low or "zcrm" in low or (
        "crm" in low and _CRM_WORD.search(low.encode("utf-8", "surrogateescape")) is not None)
