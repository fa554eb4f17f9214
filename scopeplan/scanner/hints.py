"""`# scopeplan: ...` comments: what a person tells scopeplan where the code cannot."""

from __future__ import annotations

import re

_HINT = re.compile(r"#\s*scopeplan:\s*(.*)$")


HINT_KEYS = ("ignore", "modules", "loop<=")
MAX_DIGITS = 12  # a bound of 10**12 or more is no bound anyone can pay for; bigger numbers are not read


def small_int(text: str) -> bool:
    """Whether `text` is a plain whole number small enough to read (ASCII digits, at most 12 of them)."""
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def problems(lines: list[str]):
    """Hint comments scopeplan does not understand: a typo must not silently change a result."""
    for number, text in enumerate(lines, 1):
        if "scopeplan" not in text:
            continue
        match = _HINT.search(text)
        if not match:
            continue
        for key, value in _parse(match.group(1)):
            if key not in HINT_KEYS:
                yield f"line {number}: unknown hint `{key}` (known: ignore, modules=A,B, loop<=N)"
            elif key == "loop<=" and not small_int(value):
                if value.isascii() and value.isdigit():
                    yield f"line {number}: `loop<=` bound has {len(value)} digits; at most {MAX_DIGITS} are read"
                else:
                    yield f"line {number}: `loop<=` needs a whole number, got {value[:40]!r}"
            elif key == "modules" and not value:
                yield f"line {number}: `modules=` needs module API names, e.g. modules=Leads,Deals"


def on_lines(lines: list[str], first: int, last: int) -> tuple[tuple[str, str], ...]:
    """`# scopeplan: key=value, ...` comments on the lines of a call, as (key, value) pairs."""
    out = []
    for number in range(first, min(last, len(lines)) + 1):
        text = lines[number - 1]
        if "scopeplan" not in text:
            continue
        match = _HINT.search(text)
        if match:
            out.extend(_parse(match.group(1)))
    return tuple(out)


def _parse(text: str) -> list[tuple[str, str]]:
    text = text.strip()
    if text.startswith("ignore"):
        return [("ignore", text[len("ignore"):].strip(" :-") or "marked `# scopeplan: ignore`")]
    out = []
    for item in re.split(r";|\s+(?=\w+\s*(?:=|<=))", text):
        item = item.strip()
        if not item:
            continue
        key, sep, value = re.match(r"^([\w-]+)\s*(<=|=)?\s*(.*)$", item).groups()
        out.append((key + ("<=" if sep == "<=" else ""), value.strip()))
    return out


def loop_bound(lines: list[str], line: int) -> int | None:
    """The `loop<=N` hint on a loop's first line."""
    if not 0 < line <= len(lines) or "scopeplan" not in lines[line - 1]:
        return None
    for key, value in on_lines(lines, line, line):
        if key == "loop<=" and small_int(value):
            return int(value)
    return None
