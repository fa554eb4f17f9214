"""String values with holes, and the string operations URL code uses on them (format, urljoin, strip)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Iterable
from itertools import product

from scopeplan.model import Hole

MAX_ALTERNATIVES = 32


@dataclass(frozen=True, slots=True)
class Text:
    """A string value: literal text and holes."""

    parts: tuple[str | Hole, ...]


def concat(parts: Iterable[str | Hole]) -> tuple[str | Hole, ...]:
    """Adjacent literal parts joined, empty ones dropped."""
    out: list[str | Hole] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        elif p != "":
            out.append(p)
    return tuple(out)


_FIELD = re.compile(r"\{\{|\}\}|\{([^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}")
_PERCENT = re.compile(r"%%|%(?:\(([^)]*)\))?[-#0 +]*\d*(?:\.\d+)?[sdirfxXeEgGc]")


def apply_format(template: Text, args: list[list[Text]], kwargs: dict[str, list[Text]], style: str,
                 name: str) -> list[Text]:
    """`template.format(...)` or `template % (...)`, each field an argument's values (or a hole)."""
    literal = _literal(template)
    if literal is None:  # a template with holes: keep its text, the fields stay unknown
        return [template]
    pattern = _FIELD if style == "{}" else _PERCENT
    groups: list[list[Text]] = []
    pos, auto = 0, 0
    for m in pattern.finditer(literal):
        groups.append([Text((literal[pos:m.start()],))])
        pos = m.end()
        token = m.group(0)
        if token in ("{{", "}}", "%%"):
            groups.append([Text((token[0],))])
            continue
        key = m.group(1)
        if key is None or key == "":
            value = args[auto] if auto < len(args) else None
            auto += 1
        elif key.isdigit():
            value = args[int(key)] if int(key) < len(args) else None
        else:
            value = kwargs.get(key.split(".")[0].split("[")[0])
        groups.append(value or [Text((Hole(key or name, f"a field of `{name}` with no value scopeplan can see"),))])
    groups.append([Text((literal[pos:],))])
    total = 1
    for g in groups:
        total *= len(g)
    if total > MAX_ALTERNATIVES:
        return [Text((Hole(name, f"it has more than {MAX_ALTERNATIVES} possible values"),))]
    return [Text(concat(p for t in combo for p in t.parts)) for combo in product(*groups)]


def urljoin(base: Text, url: Text) -> Text:
    """`urllib.parse.urljoin` on values that may hold holes."""
    first = url.parts[0] if url.parts else ""
    if isinstance(first, str) and re.match(r"^[a-z]+://", first, re.IGNORECASE):
        return url
    if isinstance(first, str) and first.startswith("/"):
        head = base.parts[0] if base.parts and isinstance(base.parts[0], str) else None
        origin = re.match(r"^[a-z]+://[^/]*", head or "", re.IGNORECASE)
        return Text(concat((origin.group(0), *url.parts))) if origin else Text(concat((*base.parts, *url.parts)))
    last = base.parts[-1] if base.parts else ""
    if isinstance(last, str):
        cut = last.rfind("/")
        keep = last[: cut + 1] if cut >= 0 and not last[:cut].endswith(":/") else last + "/"
        return Text(concat((*base.parts[:-1], keep, *url.parts)))
    return Text(concat((*base.parts, "/", *url.parts)))


def strip(text: Text, chars: str | None, side: str) -> Text:
    """`str.strip`/`lstrip`/`rstrip` on the literal ends of a value."""
    parts = list(text.parts)
    if parts and isinstance(parts[0], str) and side in ("both", "left"):
        parts[0] = parts[0].lstrip(chars)
    if parts and isinstance(parts[-1], str) and side in ("both", "right"):
        parts[-1] = parts[-1].rstrip(chars)
    return Text(concat(parts))


def replace(text: Text, old: str, new: Text) -> Text:
    """`str.replace` on the literal parts of a value (an `old` split by a hole is not seen)."""
    parts: list[str | Hole] = []
    for part in text.parts:
        if not isinstance(part, str) or not old:
            parts.append(part)
            continue
        pieces = part.split(old)
        for i, piece in enumerate(pieces):
            if i:
                parts.extend(new.parts)
            parts.append(piece)
    return Text(concat(parts))


def _literal(text: Text) -> str | None:
    return text.parts[0] if len(text.parts) == 1 and isinstance(text.parts[0], str) else (
        "" if not text.parts else None)
