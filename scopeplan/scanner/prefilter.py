"""Choose the files worth parsing, losslessly: phase 1 on bytes (seeds and imports), and the names it needs.

A file is a *seed* when its bytes mention Zoho (`zoho`, `zcrm`, a `crm` path segment) or a `# scopeplan:`
hint; every file's import statements are read from its bytes (`imports`). The rest of the selection
lives beside this module, one responsibility each: `modules.py` resolves dotted names to the project's
modules as the resolver does, `producers.py` grows the files that can yield a call site from the seeds
(phase 1), `closure.py` follows the names the chosen files' facts may look up (phase 2).

Every file not chosen becomes an empty `FileFacts` with its path and module name: the set of module names
stays the one a full scan sees, so name resolution cannot change. Known limits (benchmarks/README.md):
a Zoho keyword spelt only with escapes or split literals, a module object kept in a variable and used
from a third file, and syntax errors in files that cannot matter (not parsed, so not reported).
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict

from scopeplan.models import http as clients

# The matcher accepts a CRM host (every one contains "zoho") or a `crm` path segment.
_CRM_WORD = re.compile(rb"(?<![a-z0-9])crm(?![a-z0-9])")  # `crm`, `/crm/`, `sync_crm`; not `test_crmo`
_ZOHO_NAME = re.compile(r"(?i)zoho|(?<![a-z0-9])crm(?![a-z0-9])")
_SEP = rb"(?:[ \t\f]|\\\r?\n)"  # blanks inside one logical line
_FROM = re.compile(rb"from" + _SEP + rb"*(\.*)" + _SEP + rb"*([^\s;#,()\\'\"]*)" + _SEP + rb"*import" + _SEP
                   + rb"*(\((?:[^)#]|#[^\n]*)*\)?|(?:[^\r\n;#\\]|\\\r?\n)*)")
_IMPORT = re.compile(rb"import" + _SEP + rb"+((?:[^\r\n;#\\(]|\\\r?\n)*)")
_NAME = re.compile(rb"[^\s,()\\#;'\"]+")
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


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """What phase 1 needs from one file: is it a seed, and the dotted names its imports bind."""

    seed: bool
    refs: tuple[str, ...]


def summarise(data: bytes, module: str, package: bool) -> Summary:
    """One file's summary, from its bytes: keywords, and every import (over-approximated, never missed)."""
    low = data.lower()
    # The same sign of Zoho plan._about_zoho asks of an unresolved call (its names come from these bytes or
    # from the module path), plus hint comments: a bad one is reported whatever the file does.
    seed = (b"zoho" in low or (b"crm" in low and _CRM_WORD.search(low) is not None) or b"scopeplan" in data
            or _ZOHO_NAME.search(module) is not None or b"zcrmsdk" in low)  # the 2018 SDK names no host
    refs = imports(data, module, package) if b"import" in data else ()
    return Summary(seed, refs)  # HTTP alone is no seed: an unknown URL with no sign of Zoho is not reported


def imports(data: bytes, module: str, package: bool) -> tuple[str, ...]:
    """Absolute dotted names that the import statements of a file bind (sorted, unique).

    Reads text, not syntax: an `import` in a string adds names, which only keeps more files. Each regex
    starts with its keyword, so the engine skips ahead to the next one (measured faster than one regex
    anchored at every line start, and than one for both keywords).
    `import a.b` gives `a.b` and `a` (the name it binds); `from .m import x` gives `<package>.m.x`.
    """
    own_package = module if package else module.rpartition(".")[0]
    out: set[str] = set()
    taken: set[int] = set()
    for match in _statements(_FROM, data):
        taken.add(match.end(2))
        dots, base = match.group(1), _text(match.group(2))
        if dots:
            parent = own_package
            for _ in range(len(dots) - 1):
                parent = parent.rpartition(".")[0]
            base = f"{parent}.{base}".strip(".") if base else parent
        for name in _NAME.findall(match.group(3).replace(b"\\", b" ")):
            if name == b"*":
                out.add(base)
            elif name != b"as":
                out.add(f"{base}.{_text(name)}" if base else _text(name))
    for match in _statements(_IMPORT, data):
        if match.start() in taken or _after_from(data, match.start(), taken):
            continue
        for item in match.group(1).replace(b"\\", b" ").split(b","):
            words = _NAME.findall(item)
            if words:
                name = _text(words[0])
                out.add(name)
                out.add(name.partition(".")[0])
    out.discard("")
    return tuple(sorted(out))


def _statements(pattern, data: bytes):
    """The matches of `pattern` that start a statement. A match that does not (a commented-out
    `# from m import (a,` ...) is dropped without consuming its text, so it cannot swallow a real
    statement after it."""
    pos = 0
    while (match := pattern.search(data, pos)) is not None:
        if _starts_statement(data, match.start()):
            yield match
            pos = match.end()
        else:
            pos = match.start() + 1


def _starts_statement(data: bytes, pos: int) -> bool:
    """Whether a keyword at pos may start a statement: first on its line, or after `;` or `:`.

    This skips `@import url(...)` in CSS strings and `>>> import x` in doctests; a line continued
    with a backslash counts as a line of its own, which only keeps more.
    """
    line = data[data.rfind(b"\n", 0, pos) + 1:pos]
    return not line.strip() or line.rstrip().endswith((b";", b":"))


def _after_from(data: bytes, pos: int, taken: set[int]) -> bool:
    """Whether the `import` at pos belongs to a `from ... import` already read."""
    back = pos
    while back > 0 and data[back - 1:back] in b" \t\f\\\r\n":
        back -= 1
    return back in taken


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


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
