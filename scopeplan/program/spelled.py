"""What the evaluator asks of single values and expressions: truth, `None`, spelling, holes, order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from scopeplan.model import Hole
from scopeplan.program.strings import Text
from scopeplan.program.values import (
    ClassRef, Ctx, External, ExternalInstance, Function, Instance, Mapping, Module, Sequence, Span, SuperRef, Value,
    Values,
)
from scopeplan.scanner.ir import Attr, Each, Expr, Glob, Lit, Param, Seq, Unknown

V = TypeVar("V")


def constant_truth(expr: Expr, ctx: Ctx) -> bool | None:
    """The truth of `None`, `True` or `False`, also through the parameters a caller bound them to (a parameter
    left out takes its default: `upsert=False`); None for anything else."""
    while isinstance(expr, Param):
        bound = ctx.bound(expr.function, expr.name)
        if bound is None:
            return None
        expr, ctx = bound
    if isinstance(expr, Unknown) and expr.name in ("None", "False", "True"):
        return expr.name == "True"
    return None


CONSTANTS = {name: f"the constant `{name}`" for name in ("None", "True", "False")}  # their holes' origins


def position(name: str | None, length: int) -> int | None:
    """The index a literal key names in a sequence of `length` items (`-1` counts from the end), if any."""
    if name is None or not re.fullmatch(r"-?\d{1,9}", name) or not -length <= int(name) < length:
        return None
    return int(name)


def unknown(expr: Unknown) -> Text:
    """A name scopeplan cannot see as a hole; `None`, `True` and `False` as holes truth tests can decide."""
    if expr.name in CONSTANTS and not expr.origin:
        return Text((Hole(expr.name, CONSTANTS[expr.name]),))
    return Text((Hole(short(expr.name), expr.origin or f"`{expr.name}` is only known at run time"),))


def truth(value: Value, constants: bool = False) -> bool | None:
    """A value's truth, when it is certain; `constants`: `None`, `True` and `False` count (`self.base_url`
    left at `None`), which a parameter's default must not (each caller may pass another value)."""
    if constants and isinstance(value, Text) and len(value.parts) == 1 and isinstance(value.parts[0], Hole):
        hole = value.parts[0]
        if CONSTANTS.get(hole.name) == hole.origin:
            return hole.name == "True"
    if isinstance(value, (Sequence, Mapping)):
        return bool(value.items)
    if isinstance(value, (External, ExternalInstance)):
        return None
    if not isinstance(value, Text):
        return True
    if any(isinstance(p, str) and p for p in value.parts):
        return True
    return False if not value.parts else None


def method_name(callee: Expr) -> str | None:
    """The attribute a call is made through: `x.get(...)` -> "get"."""
    if isinstance(callee, Attr):
        return callee.name
    if isinstance(callee, Glob):
        return callee.qualname.rpartition(".")[2]
    return None


def receiver(callee: Expr) -> Expr:
    if isinstance(callee, Attr):
        return callee.value
    return Glob(callee.qualname.rpartition(".")[0]) if isinstance(callee, Glob) else callee


def dict_view(table: Mapping, method: str) -> Sequence:
    if method == "keys":
        return Sequence(tuple(Lit(k) for k, _ in table.items), table.ctx)
    if method == "values":
        return Sequence(tuple(v for _, v in table.items), table.ctx)
    return Sequence(tuple(Seq((Lit(k), v)) for k, v in table.items), table.ctx)


def unique(values: Iterable[V]) -> list[V]:
    """The values in order, each once."""
    return list(dict.fromkeys(values))


def hole(name: str) -> Text:
    """A string known only at run time."""
    return Text((Hole(name, f"`{name}` is only known at run time"),))


def short(name: str) -> str:
    """A name short enough for a hole."""
    name = name.rstrip("()") if name.endswith("()") else name
    return name if len(name) <= 40 else name[:37] + "..."


def spelling(expr: Expr) -> str:
    """How the code spells an expression, for the name of a hole."""
    for attr in ("name", "qualname"):
        value = getattr(expr, attr, None)
        if isinstance(value, str) and value:
            return value.rsplit(".", 1)[-1]
    if isinstance(expr, Each):
        return spelling(expr.iterable)
    return "value"


def as_text(value: Value, expr: Expr) -> Text:
    """A value that is not a string, where a string is needed: a hole that says what it is."""
    name = spelling(expr)
    if isinstance(value, External):
        return Text((Hole(value.name.rsplit(".", 1)[-1], f"`{value.name}` comes from outside the project"),))
    if isinstance(value, ExternalInstance):
        return Text((Hole(name, f"return value of `{value.name}()`"),))
    what = {Module: "module", ClassRef: "class", Instance: "instance", Function: "function", Sequence: "seq",
            Mapping: "dict", SuperRef: "super", Span: "range"}.get(type(value), "value")
    return Text((Hole(name, f"`{name}` is a {what}, not a string"),))


def literal(text: Text) -> str | None:
    """The text of a string with no holes ("" for the empty string); None when it has holes."""
    if not text.parts:
        return ""
    return text.parts[0] if len(text.parts) == 1 and isinstance(text.parts[0], str) else None


def is_none(expr: Expr) -> bool:
    return isinstance(expr, Unknown) and expr.name == "None"


_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/]+(/.*)?", re.IGNORECASE)


def hosts_only(values: Values) -> bool:
    """Whether the values are URLs that differ in their host only."""
    paths = set()
    for value in values:
        text = literal(value) if isinstance(value, Text) else None
        match = _URL.fullmatch(text) if text is not None else None
        if match is None:
            return False
        paths.add((match.group(1) or "").rstrip("/"))
    return len(paths) == 1


def distinctive(name: str) -> bool:
    """A method name few classes would share by chance: two words (`api_fetch`), not a dunder or `get`."""
    return not name.startswith("__") and "_" in name.strip("_")
