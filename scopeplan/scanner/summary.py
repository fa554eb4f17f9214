"""Phase 1 of the prefilter on bytes alone: is a file a seed, and which dotted names do its imports bind.

Kept apart from `prefilter.py` (which knows the HTTP libraries' names through `models.http`) so that a run
which only summarises a changed file imports nothing but `re`.
"""

from __future__ import annotations

import dataclasses
import re

# The matcher accepts a CRM host (every one contains "zoho") or a `crm` path segment.
_CRM_WORD = re.compile(rb"(?<![a-z0-9])crm(?![a-z0-9])")  # `crm`, `/crm/`, `sync_crm`; not `test_crmo`
_ZOHO_NAME = re.compile(r"(?i)zoho|(?<![a-z0-9])crm(?![a-z0-9])")
_SEP = rb"(?:[ \t\f]|\\\r?\n)"  # blanks inside one logical line
_FROM = re.compile(rb"from" + _SEP + rb"*(\.*)" + _SEP + rb"*([^\s;#,()\\'\"]*)" + _SEP + rb"*import" + _SEP
                   + rb"*(\((?:[^)#]|#[^\n]*)*\)?|(?:[^\r\n;#\\]|\\\r?\n)*)")
_IMPORT = re.compile(rb"import" + _SEP + rb"+((?:[^\r\n;#\\(]|\\\r?\n)*)")
_NAME = re.compile(rb"[^\s,()\\#;'\"]+")


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
