"""A tiny expression language for what a file computes: folded in one file, resolved across files."""

from __future__ import annotations

from dataclasses import dataclass


class Expr:
    """Base of the IR: every node is a frozen, picklable dataclass."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    """A literal string."""

    text: str


@dataclass(frozen=True, slots=True)
class Cat(Expr):
    """Concatenation (`+`, f-strings, implicit string concatenation)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Unknown(Expr):
    """A value only known at run time; `name` is how the code spells it, `origin` says why."""

    name: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Glob(Expr):
    """A module-level name, class or attribute by qualified dotted name: `pkg.settings.BASE`."""

    qualname: str


@dataclass(frozen=True, slots=True)
class SelfAttr(Expr):
    """`self.NAME` / `cls.NAME` inside the methods of class `cls` (`pkg.mod:Client`)."""

    cls: str
    name: str


@dataclass(frozen=True, slots=True)
class Attr(Expr):
    """Attribute of another value: `obj.NAME`."""

    value: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Param(Expr):
    """A parameter of function `function` (`pkg.mod:Client.get`)."""

    function: str
    name: str
    index: int  # position among the parameters, `self` included; -1 when keyword-only
    default: Expr | None = None
    annotation: str | None = None  # qualified name of the annotation, when it is a plain name


@dataclass(frozen=True, slots=True)
class GetAttr(Expr):
    """`getattr(value, name)`: an attribute whose name is itself a value (`getattr(requests, method)`)."""

    value: Expr
    name: Expr


@dataclass(frozen=True, slots=True)
class Alt(Expr):
    """One of several values (branches of an `if`, items of a loop)."""

    options: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Seq(Expr):
    """A literal list or tuple."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Dict(Expr):
    """A literal dict with string keys."""

    items: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class Index(Expr):
    """`value[key]`."""

    value: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class Each(Expr):
    """The loop variable of `for x in ITERABLE`."""

    iterable: Expr


@dataclass(frozen=True, slots=True)
class Format(Expr):
    """`template.format(*args, **kwargs)` or `template % args`."""

    template: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    style: str  # "{}" or "%"


@dataclass(frozen=True, slots=True)
class Join(Expr):
    """`sep.join(items)`."""

    sep: Expr
    items: Expr


@dataclass(frozen=True, slots=True)
class UrlJoin(Expr):
    """`urljoin(base, url)`."""

    base: Expr
    url: Expr


@dataclass(frozen=True, slots=True)
class Replace(Expr):
    """`value.replace(old, new)`: a URL template filled in, as old integrations did (`"MODULE"` -> module)."""

    value: Expr
    old: Expr
    new: Expr


@dataclass(frozen=True, slots=True)
class Strip(Expr):
    """`value.strip(chars)` / `lstrip` / `rstrip`."""

    value: Expr
    chars: str | None
    side: str  # "both" | "left" | "right"


@dataclass(frozen=True, slots=True)
class Result(Expr):
    """What a call returns: a project function's return value, or an instance of a project class."""

    callee: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    name: str  # how the code spells the callee, for holes
    state: tuple[tuple[str, Expr], ...] = ()  # `self.X = ...` set earlier in the calling method, as at the call


@dataclass(frozen=True, slots=True)
class Super(Expr):
    """`super()` inside the methods of class `cls`."""

    cls: str


@dataclass(frozen=True, slots=True)
class Range(Expr):
    """`range(...)` with a static length."""

    length: int


@dataclass(frozen=True, slots=True)
class RangeOf(Expr):
    """`range(RETRIES)`: a range over names; its length is static when every one is a known integer."""

    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Guard:
    """An `if` test a caller's value may decide: `method == "GET"`, `kind in (...)`, or plain `if path:`."""

    left: Expr
    right: Expr | None  # for `in`, a Seq; None for a truth test
    op: str  # "==" | "in" | "truthy"
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Cond(Expr):
    """A name assigned differently in the branches of an `if`: `then` when the guard holds, else `orelse`."""

    guard: Guard
    then: Expr
    orelse: Expr
