"""Resolve the IR of every file against the whole project: constants, classes, clients, parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import product

from scopeplan.model import Hole
from scopeplan.models import http as clients
from scopeplan.scanner.facts import ClassFacts, FileFacts, FunctionFacts
from scopeplan.scanner.ir import (
    Alt, Attr, Cat, Cond, Dict, Each, Expr, Format, GetAttr, Glob, Guard, Index, Join, Lit, New, Param, Range, Result, SelfAttr,
    Seq, Strip, Super, Unknown, UrlJoin,
)
from scopeplan.program.strings import MAX_ALTERNATIVES, Text, apply_format, concat, strip, urljoin

MAX_DEPTH = 40
MAX_WORK = 20_000  # evaluation steps for one top-level question


@dataclass(frozen=True, slots=True)
class Obj:
    """A non-string value: a client, class, instance, function, module, external name, list or dict."""

    kind: str  # client | class | instance | function | module | external | seq | dict
    ref: object
    ctx: "Ctx | None" = None
    extra: object = None  # client: base-url Expr; function: the class `self` is bound to

    # Facts are shared, never copied: identity is equality for what an Obj refers to, and hashing a class's
    # facts (or a long list) again for every set of values would dominate the run.
    def __hash__(self) -> int:
        return hash((self.kind, id(self.ref), self.ctx, id(self.extra)))

    def __eq__(self, other) -> bool:
        return (isinstance(other, Obj) and self.kind == other.kind and self.ref is other.ref
                and self.ctx == other.ctx and self.extra is other.extra)


@dataclass(frozen=True, eq=False)
class Ctx:
    """Values bound to parameters when following a call, and the class `self` stands for.

    Two contexts are equal when they bind the same expressions (by identity: they come from the facts)
    in equal contexts; the hash is computed once, as contexts nest and serve as memo keys.
    """

    bindings: tuple = ()  # ((function, param name), (Expr, Ctx)) pairs
    self_cls: str | None = None
    lookup: dict = field(default_factory=dict, compare=False, hash=False)

    def __hash__(self) -> int:
        cached = self.lookup.get("hash")
        if cached is None:
            cached = self.lookup["hash"] = hash(
                (self.self_cls, tuple((key, id(expr), hash(ctx)) for key, (expr, ctx) in self.bindings)))
        return cached

    def __eq__(self, other) -> bool:
        if self is other:
            return True
        if not isinstance(other, Ctx) or hash(self) != hash(other) or self.self_cls != other.self_cls:
            return False
        return len(self.bindings) == len(other.bindings) and all(
            k1 == k2 and e1 is e2 and c1 == c2
            for (k1, (e1, c1)), (k2, (e2, c2)) in zip(self.bindings, other.bindings))

    def bound(self, function: str, name: str):
        for key, value in self.bindings:
            if key == (function, name):
                return value
        return None


EMPTY = Ctx()


@dataclass(frozen=True, slots=True)
class Target:
    """A project function a call reaches; `offset` skips `self`; `cls` is set for a constructor call."""

    function: FunctionFacts | None
    self_cls: str | None
    offset: int
    receiver: Ctx | None
    cls: ClassFacts | None
    via_self: bool = False  # called on `self` or `super()`: `self` stays the caller's object


class Project:
    """Every file's facts, indexed for lookups by qualified name."""

    def __init__(self, files: list[FileFacts]):
        self.files = [f for f in files if f.error is None]
        self.modules = {f.module: f for f in self.files}
        self.symbols = {f.module: dict(f.symbols) for f in self.files}
        self.classes: dict[str, ClassFacts] = {c.qualname: c for f in self.files for c in f.classes}
        self.functions: dict[str, FunctionFacts] = {fn.qualname: fn for f in self.files for fn in f.functions}
        self._suffix: dict[str, str | None] = {}
        for name in self.modules:
            parts = name.split(".")
            for i in range(1, len(parts)):
                tail = ".".join(parts[i:])
                self._suffix[tail] = None if tail in self._suffix else name  # None: ambiguous
        self.unbound: set[tuple[str, str]] = set()  # parameters met without a value, by the last evaluation
        self.defaulted: set[tuple[str, str]] = set()  # parameters that took their default value
        self.expanded: set = set()  # loop iterables whose items the last evaluation expanded
        self.callers: dict | None = None  # follow._callers' index, once built
        self._memo: dict = {}
        self._active: set = set()
        self._frames: list[list] = []
        self._work = 0

    def module(self, name: str) -> str | None:
        """The project module a dotted name refers to (`crm_sync.settings`, or its `src.`-less tail)."""
        if name in self.modules:
            return name
        return self._suffix.get(name)

    # -- names --------------------------------------------------------------------------------------

    def lookup(self, qualname: str, depth: int = 0) -> list[Text | Obj]:
        """What a dotted global name is: a constant's value, a class, a function, or an external name."""
        parts = qualname.split(".")
        for i in range(len(parts), 0, -1):
            module = self.module(".".join(parts[:i]))
            if module is not None:
                break
        else:
            return [Obj("external", clients.canonical(qualname))]
        rest = parts[i:]
        if not rest:
            return [Obj("module", module)]
        values = self._member(module, rest[0], depth)
        for name in rest[1:]:
            values = [v for value in values for v in self.attribute(value, name, depth + 1)]
        return values

    def _member(self, module: str, name: str, depth: int) -> list[Text | Obj]:
        dotted = f"{module}.{name}"
        if dotted in self.classes:
            return [Obj("class", self.classes[dotted])]
        function = self.functions.get(f"{module}:{name}")
        if function is not None:
            return [Obj("function", function)]
        symbols = self.symbols.get(module, {})
        if name in symbols:
            return self.evaluate(symbols[name], EMPTY, depth + 1)
        if self.module(dotted):
            return [Obj("module", self.module(dotted))]
        return [Text((Hole(name, f"`{dotted}` is not defined in the project"),))]

    def attribute(self, value: Text | Obj, name: str, depth: int) -> list[Text | Obj]:
        """`value.name`."""
        if isinstance(value, Text) and name == "value":
            return [value]  # `Module.LEADS.value`: an enum member's value is the constant it was given
        if isinstance(value, Obj):
            if value.kind == "module":
                return self.lookup(f"{value.ref}.{name}", depth)
            if value.kind == "external":
                return [Obj("external", clients.canonical(f"{value.ref}.{name}"))]
            if value.kind in ("class", "instance"):
                cls = value.ref
                found = self.class_member(cls.qualname, name, value.ctx or Ctx(self_cls=cls.qualname), depth,
                                          instance=value.kind == "instance")
                if found is not None:
                    return found
        return [Text((Hole(name, f"attribute `{name}` of a value scopeplan cannot follow"),))]

    def is_enum(self, cls: ClassFacts) -> bool:
        """A class deriving from enum.Enum (or StrEnum, IntEnum...)."""
        for base in cls.bases:
            if isinstance(base, Glob):
                for value in self.lookup(base.qualname):
                    if isinstance(value, Obj) and value.kind == "external" and str(value.ref).startswith("enum."):
                        return True
                    if isinstance(value, Obj) and value.kind == "class" and self.is_enum(value.ref):
                        return True
        return False

    def mro(self, qualname: str) -> list[ClassFacts]:
        """The class and its project bases, depth first, each once."""
        out, todo, seen = [], [qualname], set()
        while todo:
            name = todo.pop(0)
            cls = self.classes.get(name)
            if cls is None or name in seen:
                continue
            seen.add(name)
            out.append(cls)
            for base in cls.bases:
                if isinstance(base, Glob):
                    for value in self.lookup(base.qualname):
                        if isinstance(value, Obj) and value.kind == "class":
                            todo.append(value.ref.qualname)
        return out

    def external_bases(self, qualname: str) -> list[str]:
        """The classes from outside the project that a project class derives from (`requests.Session`)."""
        out = []
        for cls in self.mro(qualname):
            for base in cls.bases:
                if isinstance(base, Glob):
                    out.extend(clients.canonical(str(v.ref)) for v in self.lookup(base.qualname)
                               if isinstance(v, Obj) and v.kind == "external")
        return out

    def method_names(self, qualname: str, pattern: Text) -> list[str]:
        """Methods of a class (and its project bases) whose names fit a name with holes (`"generic_" + x`)."""
        regex = re.compile("".join(re.escape(p) if isinstance(p, str) else r"\w*" for p in pattern.parts))
        names = {m for cls in self.mro(qualname) for m in cls.methods if regex.fullmatch(m)}
        return sorted(names)

    def class_member(self, qualname: str, name: str, ctx: Ctx, depth: int, instance: bool = True,
                     after: str | None = None):
        """An attribute or method of a class as seen from `ctx.self_cls` (subclass overrides first).

        `after` skips the classes up to and including it: what `super()` inside that class sees.
        """
        start = ctx.self_cls or qualname
        chain = self.mro(start)
        if qualname not in {c.qualname for c in chain}:
            chain = self.mro(qualname)
        if after is not None:
            names = [c.qualname for c in chain]
            chain = chain[names.index(after) + 1:] if after in names else chain[1:]
        for cls in chain:
            if instance:
                attrs = dict(cls.instance)
                if name in attrs:
                    return self.evaluate(attrs[name], ctx, depth + 1)
            if name in cls.methods:
                module, _, local = cls.qualname.partition(".")
                function = self._method(cls.qualname, name)
                if function is not None:
                    return [Obj("function", function, ctx, extra=start)]
            attrs = dict(cls.attrs)
            if name in attrs:
                return self.evaluate(attrs[name], ctx, depth + 1)
        return None

    def _method(self, cls: str, name: str) -> FunctionFacts | None:
        for module in _prefixes(cls):
            if module in self.modules:
                local = cls[len(module) + 1:]
                return self.functions.get(f"{module}:{local}.{name}")
        return None

    # -- values -------------------------------------------------------------------------------------

    def evaluate(self, expr: Expr, ctx: Ctx = EMPTY, depth: int = 0) -> list[Text | Obj]:
        """Every value `expr` may have (at most MAX_ALTERNATIVES; past that, a hole).

        Memoised per (expression, context), with the parameters and loops the evaluation noted, so that
        helpers calling helpers cost each combination once; a value that needs itself, or more than
        MAX_WORK steps from one top-level question, becomes a hole instead of running away.
        """
        key = (id(expr), ctx)  # the expression by identity: hashing IR trees again and again is the cost
        hit = self._memo.get(key)
        if hit is not None and hit[0] is expr:
            for note in hit[2]:
                self._note(*note)
            return hit[1]
        if not self._frames:
            self._work = 0
        self._work += 1
        if depth > MAX_DEPTH or key in self._active or self._work > MAX_WORK:
            return [Text((Hole(_spelling(expr), "the value is defined too indirectly (or recursively) to follow"),))]
        self._active.add(key)
        self._frames.append([])
        try:
            values = self._evaluate(expr, ctx, depth)
        finally:
            self._active.discard(key)
            notes = self._frames.pop()
        if self._frames:
            self._frames[-1].extend(notes)
        if len(values) > MAX_ALTERNATIVES:
            values = [Text((Hole(_spelling(expr), f"it has more than {MAX_ALTERNATIVES} possible values"),))]
        if self._work <= MAX_WORK:  # a truncated answer is not worth remembering
            self._memo[key] = (expr, values, tuple(notes))  # holding `expr` keeps its id from being reused
        return values

    def _note(self, kind: str, item) -> None:
        """Remember that an evaluation met an unbound parameter, a default, or expanded a loop."""
        getattr(self, kind).add(item)
        if self._frames:
            self._frames[-1].append((kind, item))

    def _evaluate(self, expr: Expr, ctx: Ctx, depth: int) -> list[Text | Obj]:
        d = depth + 1
        if isinstance(expr, Lit):
            return [Text((expr.text,))]
        if isinstance(expr, Cat):
            return self.texts([self.evaluate(item, ctx, d) for item in expr.items], expr)
        if isinstance(expr, Unknown):
            return [Text((Hole(_short(expr.name), expr.origin or f"`{expr.name}` is only known at run time"),))]
        if isinstance(expr, Glob):
            return self.lookup(expr.qualname, d)
        if isinstance(expr, SelfAttr):
            if not expr.name:
                cls = self.classes.get(ctx.self_cls or expr.cls)
                return [Obj("instance", cls, ctx)] if cls else [_hole("self")]
            found = self.class_member(expr.cls, expr.name, ctx, d)
            if found is None:
                return [Text((Hole(expr.name, f"`self.{expr.name}` is never assigned a value scopeplan can see"),))]
            return found
        if isinstance(expr, Attr):
            return [v for base in self.evaluate(expr.value, ctx, d) for v in self.attribute(base, expr.name, d)]
        if isinstance(expr, GetAttr):
            return self.getattr(expr, ctx, d)
        if isinstance(expr, Param):
            return self.parameter(expr, ctx, d)
        if isinstance(expr, Alt):
            return _unique(v for option in expr.options for v in self.evaluate(option, ctx, d))
        if isinstance(expr, Seq):
            return [Obj("seq", expr.items, ctx)]
        if isinstance(expr, Dict):
            return [Obj("dict", expr.items, ctx)]
        if isinstance(expr, Each):
            return self.each(expr, ctx, d)
        if isinstance(expr, Index):
            return self.index(expr, ctx, d)
        if isinstance(expr, Format):
            return self.format(expr, ctx, d)
        if isinstance(expr, Join):
            return self.join(expr, ctx, d)
        if isinstance(expr, UrlJoin):
            return [urljoin(b, u) for b in self.strings(expr.base, ctx, d) for u in self.strings(expr.url, ctx, d)]
        if isinstance(expr, Strip):
            return [strip(t, expr.chars, expr.side) for t in self.strings(expr.value, ctx, d)]
        if isinstance(expr, New):
            return [Obj("client", expr.cls, ctx, extra=expr)]
        if isinstance(expr, Result):
            return self.result(expr, ctx, d)
        if isinstance(expr, Cond):
            verdict = self.decide(expr.guard, ctx, d)
            if verdict is None:
                return _unique([*self.evaluate(expr.then, ctx, d), *self.evaluate(expr.orelse, ctx, d)])
            return self.evaluate(expr.then if verdict else expr.orelse, ctx, d)
        if isinstance(expr, Super):
            return [Obj("super", self.classes.get(expr.cls), ctx, extra=expr.cls)] if expr.cls in self.classes else [
                _hole("super()")]
        if isinstance(expr, Range):
            return [Obj("range", expr.length)]
        return [_hole("value")]

    def getattr(self, expr: GetAttr, ctx: Ctx, depth: int) -> list[Text | Obj]:
        """`getattr(value, name)`: the attribute for each static name; a name known only at run time is a hole."""
        names = [_literal(t) for t in self.strings(expr.name, ctx, depth)]
        out: list[Text | Obj] = []
        for base in self.evaluate(expr.value, ctx, depth):
            for name in names:
                if name is not None and name.isidentifier():
                    out.extend(self.attribute(base, name, depth))
                else:
                    out.append(Text((Hole(_spelling(expr.name), "an attribute named at run time (`getattr`)"),)))
        return _unique(out)

    def decide(self, guard: Guard, ctx: Ctx, depth: int = 0) -> bool | None:
        """True or False when every value the guard can see agrees; None when run time decides."""
        if guard.op == "truthy":
            outcomes = {_truth(v) for v in self.evaluate(guard.left, ctx, depth + 1)}
        else:
            lefts = [_literal(t) for t in self.strings(guard.left, ctx, depth + 1)]
            if guard.op == "in":
                rights = [_literal(t) for seq in self.evaluate(guard.right, ctx, depth + 1)
                          if isinstance(seq, Obj) and seq.kind == "seq"
                          for item in seq.ref for t in self.strings(item, seq.ctx, depth + 1)]
            else:
                rights = [_literal(t) for t in self.strings(guard.right, ctx, depth + 1)]
            if not rights or None in lefts or None in rights:
                return None
            outcomes = {left.lower() in {r.lower() for r in rights} for left in lefts}
        if len(outcomes) != 1 or None in outcomes:
            return None
        return outcomes.pop() != guard.negate

    # -- calls between project functions --------------------------------------------------------------

    def targets(self, callee: Expr, ctx: Ctx = EMPTY, depth: int = 0) -> list[Target]:
        """The project functions (or classes, for constructors) a call may reach."""
        if isinstance(callee, Glob):
            values = self.lookup(callee.qualname, depth)
            receiver = None
        elif isinstance(callee, SelfAttr) and callee.name:
            values = self.class_member(callee.cls, callee.name, ctx, depth) or []
            return [replace(t, via_self=True) for v in values for t in self._target(v, ctx)]
        elif isinstance(callee, GetAttr):  # `getattr(self, "generic_" + action)(...)`: each method it may name
            out = []
            for name in self.strings(callee.name, ctx, depth + 1):
                literal = _literal(name)
                for base in self.evaluate(callee.value, ctx, depth + 1):
                    if not (isinstance(base, Obj) and base.kind in ("instance", "class")):
                        continue
                    members = [literal] if literal is not None else self.method_names(base.ref.qualname, name)
                    own = isinstance(callee.value, SelfAttr) and not callee.value.name
                    for member in members:
                        named = SelfAttr(callee.value.cls, member) if own else Attr(callee.value, member)
                        out.extend(self.targets(named, ctx, depth + 1))
            return list(dict.fromkeys(out))
        elif isinstance(callee, Attr):
            values, supers = [], []
            for base in self.evaluate(callee.value, ctx, depth + 1):
                if isinstance(base, Obj) and base.kind == "super":
                    found = self.class_member(base.extra, callee.name, base.ctx or EMPTY, depth + 1, after=base.extra)
                    supers.extend(replace(t, via_self=True) for v in found or [] for t in self._target(v, base.ctx))
                elif isinstance(base, Obj) and base.kind in ("instance", "class"):
                    found = self.class_member(base.ref.qualname, callee.name, base.ctx or Ctx(self_cls=base.ref.qualname),
                                              depth + 1, instance=base.kind == "instance")
                    values.extend((v, base.ctx) for v in found or [])
            return supers + [t for v, rctx in values for t in self._target(v, rctx)]
        else:
            return []
        return [t for v in values for t in self._target(v, receiver)]

    def _target(self, value, receiver: Ctx | None) -> list[Target]:
        if not isinstance(value, Obj):
            return []
        if value.kind == "function":
            fn: FunctionFacts = value.ref
            bound = bool(fn.params) and fn.params[0].name in ("self", "cls") and fn.cls is not None
            return [Target(fn, value.extra or (receiver.self_cls if receiver else None), int(bound), receiver, None)]
        if value.kind == "class":
            cls: ClassFacts = value.ref
            init = self.class_member(cls.qualname, "__init__", Ctx(self_cls=cls.qualname), 0, instance=False)
            fn = init[0].ref if init and isinstance(init[0], Obj) and init[0].kind == "function" else None
            return [Target(fn, cls.qualname, 1, None, cls)]
        return []

    def bind(self, target: Target, args, kwargs, caller: Ctx) -> Ctx:
        """The context a call creates: parameters bound to the caller's arguments, `self` to its class."""
        pairs = list(target.receiver.bindings) if target.receiver is not None else []
        if target.function is not None:
            params = target.function.params
            positional = [p for p in params if p.index >= 0][target.offset:]
            for param, arg in zip(positional, args):
                pairs.append(((param.function, param.name), (arg, caller)))
            names = {p.name: p for p in params if p.index != -2}
            extra = []
            for key, arg in kwargs:
                if key in names:
                    pairs.append(((names[key].function, key), (arg, caller)))
                else:
                    extra.append((key, arg))
            rest = next((p for p in params if p.index == -2), None)
            if rest is not None:  # `def _request(self, method, path, **kw)` collects `json=...`
                pairs.append(((rest.function, rest.name), (Dict(tuple(extra)), caller)))
        self_cls = caller.self_cls if target.via_self and caller.self_cls else target.self_cls
        return Ctx(bindings=tuple(pairs), self_cls=self_cls)

    def result(self, expr: Result, ctx: Ctx, depth: int) -> list[Text | Obj]:
        out: list[Text | Obj] = []
        method = method_name(expr.callee)
        if method in ("items", "keys", "values") and not expr.args:
            base = _receiver(expr.callee)
            tables = [v for v in self.evaluate(base, ctx, depth + 1) if isinstance(v, Obj) and v.kind == "dict"]
            if tables:
                return [_dict_view(t, method) for t in tables]
        for target in self.targets(expr.callee, ctx, depth + 1):
            inner = self.bind(target, expr.args, expr.kwargs, ctx)
            if target.cls is not None:
                out.append(Obj("instance", target.cls, inner))
            elif target.function.returns is not None:
                out.extend(self.evaluate(target.function.returns, inner, depth + 1))
        if not out and isinstance(expr.callee, Glob):
            for value in self.lookup(expr.callee.qualname, depth + 1):
                if isinstance(value, Obj) and value.kind == "external":  # e.g. an SDK class: kept for sdk.py
                    out.append(Obj("foreign", value.ref, ctx, extra=(expr.args, expr.kwargs)))
        if not out:
            name = _short(expr.name)
            out.append(Text((Hole(name, f"return value of `{expr.name}()`"),)))
        return _unique(out)

    def strings(self, expr: Expr, ctx: Ctx, depth: int) -> list[Text]:
        """The string values of an expression; non-strings become holes."""
        return [v if isinstance(v, Text) else _as_text(v, expr) for v in self.evaluate(expr, ctx, depth)]

    def texts(self, groups: list[list[Text | Obj]], expr: Expr) -> list[Text]:
        options = [[v if isinstance(v, Text) else _as_text(v, expr) for v in group] for group in groups]
        total = 1
        for group in options:
            total *= len(group)
        if total > MAX_ALTERNATIVES:
            return [Text((Hole(_spelling(expr), f"it has more than {MAX_ALTERNATIVES} possible values"),))]
        return _unique(Text(concat(p for t in combo for p in t.parts)) for combo in product(*options))

    def parameter(self, param: Param, ctx: Ctx, depth: int) -> list[Text | Obj]:
        bound = ctx.bound(param.function, param.name)
        if bound is not None:
            expr, outer = bound
            return self.evaluate(expr, outer, depth)
        if param.annotation:
            for value in self.lookup(param.annotation, depth):
                if isinstance(value, Obj) and value.kind == "external":
                    name = clients.canonical(value.ref)
                    if name in clients.CLIENT_CLASSES:
                        return [Obj("client", name, ctx, extra=New(name))]
                if isinstance(value, Obj) and value.kind == "class":
                    return [Obj("instance", value.ref, Ctx(self_cls=value.ref.qualname))]
        if param.default is not None and not _is_none(param.default):
            self._note("defaulted", (param.function, param.name))
            return self.evaluate(param.default, EMPTY, depth)
        self._note("unbound", (param.function, param.name))
        return [Text((Hole(param.name, f"a parameter of `{param.function}`"),))]

    def each(self, expr: Each, ctx: Ctx, depth: int) -> list[Text | Obj]:
        out = []
        for value in self.evaluate(expr.iterable, ctx, depth):
            if isinstance(value, Obj) and value.kind == "seq":
                out.extend(v for item in value.ref for v in self.evaluate(item, value.ctx, depth))
            elif isinstance(value, Obj) and value.kind == "dict":
                out.extend(Text((key,)) for key, _ in value.ref)
            elif isinstance(value, Obj) and value.kind == "class" and self.is_enum(value.ref):
                out.extend(v for _, item in value.ref.attrs for v in self.evaluate(item, EMPTY, depth)
                           if isinstance(v, Text))
            else:
                out.append(Text((Hole(_spelling(expr.iterable), "a loop over values only known at run time"),)))
                continue
            self._note("expanded", expr.iterable)  # one site per item: the loop does not multiply them
        return _unique(out)

    def index(self, expr: Index, ctx: Ctx, depth: int) -> list[Text | Obj]:
        keys = self.strings(expr.key, ctx, depth)
        out = []
        for value in self.evaluate(expr.value, ctx, depth):
            if isinstance(value, Obj) and value.kind == "dict":
                table = dict(value.ref)
                for key in keys:
                    literal = _literal(key)
                    if literal is not None and literal in table:
                        out.extend(self.evaluate(table[literal], value.ctx, depth))
                    elif literal is None:  # unknown key: any of the values
                        out.extend(v for _, item in value.ref for v in self.evaluate(item, value.ctx, depth))
                    else:
                        out.append(_hole(literal))
            elif isinstance(value, Obj) and value.kind == "seq":
                for key in keys:
                    literal = _literal(key)
                    if literal is not None and re.fullmatch(r"-?\d+", literal) and -len(value.ref) <= int(literal) < len(value.ref):
                        out.extend(self.evaluate(value.ref[int(literal)], value.ctx, depth))
                    else:
                        out.append(_hole(_spelling(expr)))
            else:
                out.append(Text((Hole(_spelling(expr), "an item of a value scopeplan cannot follow"),)))
        return _unique(out)

    def format(self, expr: Format, ctx: Ctx, depth: int) -> list[Text]:
        args = [self.strings(a, ctx, depth) for a in expr.args]
        kwargs = {k: self.strings(v, ctx, depth) for k, v in expr.kwargs}
        out = []
        for template in self.strings(expr.template, ctx, depth):
            out.extend(apply_format(template, args, kwargs, expr.style, _spelling(expr)))
        return _unique(out)[: MAX_ALTERNATIVES + 1]

    def join(self, expr: Join, ctx: Ctx, depth: int) -> list[Text]:
        out = []
        for sep in self.strings(expr.sep, ctx, depth):
            for items in self.evaluate(expr.items, ctx, depth):
                if isinstance(items, Obj) and items.kind == "seq":
                    groups = []
                    for i, item in enumerate(items.ref):
                        if i:
                            groups.append([sep])
                        groups.append(self.strings(item, items.ctx, depth))
                    out.extend(self.texts(groups, expr))
                else:
                    out.append(Text((Hole(_spelling(expr), "a join of values only known at run time"),)))
        return _unique(out)


def _truth(value: Text | Obj) -> bool | None:
    if isinstance(value, Obj):
        return bool(value.ref) if value.kind in ("seq", "dict") else None if value.kind == "external" else True
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


def _receiver(callee: Expr) -> Expr:
    return callee.value if isinstance(callee, Attr) else Glob(callee.qualname.rpartition(".")[0])


def _dict_view(table: Obj, method: str) -> Obj:
    if method == "keys":
        return Obj("seq", tuple(Lit(k) for k, _ in table.ref), table.ctx)
    if method == "values":
        return Obj("seq", tuple(v for _, v in table.ref), table.ctx)
    return Obj("seq", tuple(Seq((Lit(k), v)) for k, v in table.ref), table.ctx)


def _prefixes(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:i])


def _unique(values):
    return list(dict.fromkeys(values))


def _hole(name: str) -> Text:
    return Text((Hole(name, f"`{name}` is only known at run time"),))


def _short(name: str) -> str:
    name = name.rstrip("()") if name.endswith("()") else name
    return name if len(name) <= 40 else name[:37] + "..."


def _spelling(expr: Expr) -> str:
    for attr in ("name", "qualname"):
        if hasattr(expr, attr) and isinstance(getattr(expr, attr), str) and getattr(expr, attr):
            return getattr(expr, attr).rsplit(".", 1)[-1]
    if isinstance(expr, Each):
        return _spelling(expr.iterable)
    return "value"


def _as_text(value: Obj, expr: Expr) -> Text:
    name = _spelling(expr)
    if value.kind == "external":
        return Text((Hole(str(value.ref).rsplit(".", 1)[-1], f"`{value.ref}` comes from outside the project"),))
    if value.kind == "foreign":
        return Text((Hole(name, f"return value of `{value.ref}()`"),))
    return Text((Hole(name, f"`{name}` is a {value.kind}, not a string"),))


def _literal(text: Text) -> str | None:
    return text.parts[0] if len(text.parts) == 1 and isinstance(text.parts[0], str) else (
        "" if not text.parts else None)


def _is_none(expr: Expr) -> bool:
    return isinstance(expr, Unknown) and expr.name == "None"
