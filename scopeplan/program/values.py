"""What an expression may be at run time, as a typed union, and the contexts values are evaluated in.

Facts (classes, functions, IR) are shared, never copied: values that refer to them compare and hash by
identity, since hashing a class's facts (or a long list) again for every set of values would dominate a run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Union

from scopeplan.program.strings import Text
from scopeplan.scanner.facts import ClassFacts, FunctionFacts
from scopeplan.scanner.ir import Expr

Binding = tuple[tuple[str, str], tuple[Expr, "Ctx"]]  # ((function, parameter), (argument, caller's context))
Kwargs = tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, eq=False)
class Ctx:
    """Values bound to parameters when following a call, and the class `self` stands for.

    Two contexts are equal when they bind the same expressions (by identity: they come from the facts)
    in equal contexts; the hash is computed once, as contexts nest and serve as memo keys. A context found
    equal to another keeps it as its representative, so that the next comparison of either (as a memo key,
    or nested in another context) is one identity test instead of a walk down both.
    """

    bindings: tuple[Binding, ...] = ()
    self_cls: str | None = None
    state: tuple[Binding, ...] = ()  # `self.X` as the calling method set it: ((class, attribute), value)
    lookup: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # "same"
    digest: int = field(init=False, repr=False, compare=False, hash=False)  # the hash, made once: contexts nest

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hash(
            (self.self_cls, tuple((key, id(expr), ctx.digest) for key, (expr, ctx) in self.bindings),
             tuple((key, id(expr), ctx.digest) for key, (expr, ctx) in self.state))))

    def __hash__(self) -> int:
        return self.digest

    def __reduce__(self) -> tuple[object, ...]:  # a hash is per process: a copy makes its own
        return Ctx, (self.bindings, self.self_cls, self.state)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Ctx) or self.digest != other.digest or self.self_cls != other.self_cls:
            return False
        mine, theirs = self.lookup.get("same", self), other.lookup.get("same", other)
        if mine is theirs:
            return True
        if not (_same(self.bindings, other.bindings) and _same(self.state, other.state)):
            return False
        theirs.lookup["same"] = other.lookup["same"] = mine  # equality is transitive: one representative
        return True

    def attribute(self, name: str) -> tuple[Expr, Ctx] | None:
        """What the calling method last set `self.name` to, if it did."""
        for (_, attr), value in self.state:
            if attr == name:
                return value
        return None

    def bound(self, function: str, name: str) -> tuple[Expr, Ctx] | None:
        """What the caller gave a parameter, if it is bound."""
        for key, value in self.bindings:
            if key == (function, name):
                return value
        return None


def _same(a: tuple[Binding, ...], b: tuple[Binding, ...]) -> bool:
    return len(a) == len(b) and all(k1 == k2 and e1 is e2 and c1 == c2 for (k1, (e1, c1)), (k2, (e2, c2)) in zip(a, b))


EMPTY = Ctx()


class _Identity:
    """Equality and hash by the identity of the facts a value refers to, and its context."""

    __slots__ = ()

    def _key(self) -> tuple[object, ...]:
        raise NotImplementedError

    def __hash__(self) -> int:
        return hash(tuple(id(k) if not isinstance(k, (str, int, Ctx, type(None))) else k for k in self._key()))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        mine, theirs = self._key(), other._key()
        return all(a is b or (isinstance(a, (str, int, Ctx)) and a == b) for a, b in zip(mine, theirs))


@dataclass(frozen=True, slots=True)
class Module:
    """A module of the project."""

    name: str


@dataclass(frozen=True, slots=True)
class External:
    """A name from outside the project: a library function or class (`requests.get`, `requests.Session`)."""

    name: str


@dataclass(frozen=True, slots=True, eq=False)
class ExternalInstance(_Identity):
    """What calling an external name returned: `requests.Session()`, `RecordOperations("Leads")`."""

    name: str  # the external callee, canonical (`requests.Session`); a method's is `requests.Request.prepare`
    args: tuple[Expr, ...] = ()
    kwargs: Kwargs = ()
    ctx: Ctx = EMPTY  # where the arguments are evaluated
    of: ExternalInstance | None = None  # for a method's result, the object it was called on

    def _key(self) -> tuple[object, ...]:
        return (self.name, self.args, self.kwargs, self.ctx, self.of)


@dataclass(frozen=True, slots=True, eq=False)
class ClassRef(_Identity):
    """A class of the project, as a value (`Leads`, not `Leads()`); `extra` holds the class attributes of a class
    made at run time from it (`type(name, (Stream,), {"path": p})`)."""

    facts: ClassFacts
    extra: Mapping | None = None

    def _key(self) -> tuple[object, ...]:
        return (self.facts, self.extra)


@dataclass(frozen=True, slots=True, eq=False)
class Instance(_Identity):
    """An instance of a project class; `ctx` binds its constructor's parameters and names its class."""

    facts: ClassFacts
    ctx: Ctx

    def _key(self) -> tuple[object, ...]:
        return (self.facts, self.ctx)


@dataclass(frozen=True, slots=True, eq=False)
class Function(_Identity):
    """A project function or method; a method looked up on an object is bound to `self_cls`."""

    facts: FunctionFacts
    ctx: Ctx = EMPTY
    self_cls: str | None = None

    def _key(self) -> tuple[object, ...]:
        return (self.facts, self.ctx, self.self_cls)


@dataclass(frozen=True, slots=True, eq=False)
class Sequence(_Identity):
    """A literal list or tuple, its items evaluated in `ctx`."""

    items: tuple[Expr, ...]
    ctx: Ctx = EMPTY

    def _key(self) -> tuple[object, ...]:
        return (self.items, self.ctx)


@dataclass(frozen=True, slots=True, eq=False)
class Mapping(_Identity):
    """A literal dict with string keys, its values evaluated in `ctx`."""

    items: tuple[tuple[str, Expr], ...]
    ctx: Ctx = EMPTY

    def _key(self) -> tuple[object, ...]:
        return (self.items, self.ctx)


@dataclass(frozen=True, slots=True, eq=False)
class SuperRef(_Identity):
    """`super()` inside the methods of class `cls`, for the object `ctx.self_cls` names."""

    facts: ClassFacts
    cls: str
    ctx: Ctx

    def _key(self) -> tuple[object, ...]:
        return (self.facts, self.cls, self.ctx)


@dataclass(frozen=True, slots=True)
class Span:
    """`range(...)` with a static length."""

    length: int


def span_of(arguments: list[list[str | None]]) -> Span | None:
    """The Span of `range(*arguments)` when each argument has one value, a small integer; None otherwise."""
    if not all(len(values) == 1 and values[0] is not None and re.fullmatch(r"-?\d{1,12}", values[0])
               for values in arguments):
        return None
    numbers = [int(values[0]) for values in arguments if values[0] is not None]
    if len(numbers) == 3 and numbers[2] == 0:
        return None  # range(a, b, 0) raises
    return Span(max(0, len(range(*numbers))))


Value = Union[Text, Module, External, ExternalInstance, ClassRef, Instance, Function, Sequence, Mapping, SuperRef,
              Span]
Values = list[Value]


@dataclass(frozen=True, slots=True)
class Target:
    """A project function a call reaches; `offset` skips `self`; `cls` is set for a constructor call."""

    function: FunctionFacts | None
    self_cls: str | None
    offset: int
    receiver: Ctx | None
    cls: ClassFacts | None
    via_self: bool = False  # called on `self` or `super()`: `self` stays the caller's object
    prefix: tuple[Expr, ...] = ()  # arguments the function receives before the call's own (`Session.get` -> `request("GET", ...)`)
    held: bool = False  # a callable the object holds (`self._send = send`), which depends on how it was built
