"""`evaluate(expr, ctx)`: every value an IR expression may have, memoised and budgeted.

The evaluator knows Python and nothing of HTTP: strings and their operations, containers, parameters
bound by callers, `getattr`, `if` branches a caller decides, and what calls return. Names, attributes and
calls between project functions are the index's (`program/project.py`).
"""

from __future__ import annotations

from itertools import product
from collections.abc import Sequence as Sequence_
from typing import TYPE_CHECKING

from scopeplan.model import Hole
from scopeplan.program.strings import MAX_ALTERNATIVES, Text, apply_format, concat, replace, strip, urljoin
from scopeplan.program.spelled import (
    as_text, constant_truth, dict_view, hole, is_none, literal, method_name, position, receiver, short, spelling,
    truth, unique, unknown,
)
from scopeplan.program.values import (
    EMPTY, ClassRef, Ctx, External, ExternalInstance, Instance, Mapping, Sequence, Span, SuperRef, Target, Value,
    Values, span_of,
)
from scopeplan.scanner.ir import (
    Alt, Attr, Cat, Cond, Dict, Each, Expr, Format, GetAttr, Glob, Guard, Index, Join, Lit, Param, Range, RangeOf,
    Replace, Result, SelfAttr, Seq, Strip, Super, Unknown, UrlJoin,
)

if TYPE_CHECKING:
    from scopeplan.scanner.facts import ClassFacts

MAX_DEPTH = 40
MAX_WORK = 20_000  # evaluation steps for one top-level question
Note = tuple[str, object]  # ("unbound" | "defaulted" | "expanded" | "read_on" | ..., what)


class Evaluator:
    """The evaluation half of the Project: values of expressions in contexts."""

    classes: dict[str, ClassFacts]
    unbound: set[tuple[str, str]]
    defaulted: set[tuple[str, str]]
    expanded: set[int]
    optional: set[str]
    keyed: set[tuple[str, str]]
    read_on: set[str]

    def __init__(self) -> None:
        self.unbound = set()  # parameters met without a value, by the last evaluation
        self.defaulted = set()  # parameters that took their default value
        self.expanded = set()  # ids of the loop iterables whose items the last evaluation expanded
        self.optional = set()  # values a truth test (`if self.org_id:`) could not decide: both branches taken
        self.keyed = set()  # parameters used as the key of a literal table, where any entry was taken
        self.read_on = set()  # classes whose members (or whose `self`) the last evaluation read
        self._memo: dict[tuple[int, Ctx], tuple[Expr, Values, tuple[Note, ...]]] = {}
        self._active: set[tuple[int, Ctx]] = set()
        self._frames: list[set[Note]] = []  # the notes of each evaluation in progress, each once
        self._work = 0

    # what the index provides
    def lookup(self, qualname: str, depth: int = 0) -> Values:
        raise NotImplementedError

    def attribute(self, value: Value, name: str, depth: int) -> Values:
        raise NotImplementedError

    def class_member(self, qualname: str, name: str, ctx: Ctx, depth: int, instance: bool = True,
                     after: str | None = None) -> Values | None:
        raise NotImplementedError

    def targets(self, callee: Expr, ctx: Ctx = EMPTY, depth: int = 0) -> list[Target]:
        raise NotImplementedError

    def bind(self, target: Target, args: tuple[Expr, ...], kwargs: tuple[tuple[str, Expr], ...],
             caller: Ctx, state: tuple[tuple[str, Expr], ...] = ()) -> Ctx:
        raise NotImplementedError

    def is_enum(self, cls: ClassFacts) -> bool:
        raise NotImplementedError

    # -- the memo -----------------------------------------------------------------------------------

    def evaluate(self, expr: Expr, ctx: Ctx = EMPTY, depth: int = 0) -> Values:
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
            return [Text((Hole(spelling(expr), "the value is defined too indirectly (or recursively) to follow"),))]
        self._active.add(key)
        self._frames.append(set())
        try:
            values = self._evaluate(expr, ctx, depth)
        finally:
            self._active.discard(key)
            notes = self._frames.pop()
        if self._frames:
            self._frames[-1].update(notes)
        if len(values) > MAX_ALTERNATIVES:
            values = [Text((Hole(spelling(expr), f"it has more than {MAX_ALTERNATIVES} possible values"),))]
        if self._work <= MAX_WORK:  # a truncated answer is not worth remembering
            self._memo[key] = (expr, values, tuple(notes))  # holding `expr` keeps its id from being reused
        return values

    def _note(self, kind: str, item: object) -> None:
        """Remember that an evaluation met an unbound parameter, a default, or expanded a loop."""
        getattr(self, kind).add(item)
        if self._frames:
            self._frames[-1].add((kind, item))

    # -- expressions --------------------------------------------------------------------------------

    def _evaluate(self, expr: Expr, ctx: Ctx, depth: int) -> Values:
        d = depth + 1
        if isinstance(expr, Lit):
            return [Text((expr.text,))]
        if isinstance(expr, Cat):
            return list(self.texts([self.evaluate(item, ctx, d) for item in expr.items], expr))
        if isinstance(expr, Unknown):
            return [unknown(expr)]
        if isinstance(expr, Glob):
            return self.lookup(expr.qualname, d)
        if isinstance(expr, SelfAttr):
            if not expr.name:  # `self` itself (a named member is noted by class_member)
                self._note("read_on", expr.cls)
                cls = self.classes.get(ctx.self_cls or expr.cls)
                return [Instance(cls, ctx)] if cls else [hole("self")]
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
            return unique(v for option in expr.options for v in self.evaluate(option, ctx, d))
        if isinstance(expr, Seq):
            return [Sequence(expr.items, ctx)]
        if isinstance(expr, Dict):
            return [Mapping(expr.items, ctx)]
        if isinstance(expr, Each):
            return self.each(expr, ctx, d)
        if isinstance(expr, Index):
            return self.index(expr, ctx, d)
        if isinstance(expr, Format):
            return list(self.format(expr, ctx, d))
        if isinstance(expr, Join):
            return list(self.join(expr, ctx, d))
        if isinstance(expr, UrlJoin):
            return [urljoin(b, u) for b in self.strings(expr.base, ctx, d) for u in self.strings(expr.url, ctx, d)]
        if isinstance(expr, Replace):
            olds = [literal(t) for t in self.strings(expr.old, ctx, d)]
            if None in olds:  # what is replaced is only known at run time: the whole value is
                return [Text((Hole(spelling(expr.value), "a `str.replace` of a value only known at run time"),))]
            return unique(replace(t, old or "", new) for t in self.strings(expr.value, ctx, d) for old in olds
                          for new in self.strings(expr.new, ctx, d))
        if isinstance(expr, Strip):
            return [strip(t, expr.chars, expr.side) for t in self.strings(expr.value, ctx, d)]
        if isinstance(expr, Result):
            return self.result(expr, ctx, d)
        if isinstance(expr, Cond):
            verdict = self.decide(expr.guard, ctx, d)
            if verdict is None:
                if expr.guard.op == "truthy":  # set or not set: an optional value; sites may assume either
                    self._note("optional", spelling(expr.guard.left))
                    self._key_of(expr.guard.left, ctx)  # `... if upsert else ...`: each caller's argument decides
                return unique([*self.evaluate(expr.then, ctx, d), *self.evaluate(expr.orelse, ctx, d)])
            return self.evaluate(expr.then if verdict else expr.orelse, ctx, d)
        if isinstance(expr, Super):
            cls = self.classes.get(expr.cls)
            return [SuperRef(cls, expr.cls, ctx)] if cls is not None else [hole("super()")]
        if isinstance(expr, Range):
            return [Span(expr.length)]
        if isinstance(expr, RangeOf):  # `range(RETRIES)`: static when each argument is one known integer
            span = span_of([[literal(t) for t in self.strings(a, ctx, d)] for a in expr.args])
            return [span if span is not None else Text((Hole("range", "return value of `range()`"),))]
        return [hole("value")]

    def getattr(self, expr: GetAttr, ctx: Ctx, depth: int) -> Values:
        """`getattr(value, name)`: the attribute for each static name; a name known only at run time is a hole."""
        names = [literal(t) for t in self.strings(expr.name, ctx, depth)]
        out: Values = []
        for base in self.evaluate(expr.value, ctx, depth):
            for name in names:
                if name is not None and name.isidentifier():
                    out.extend(self.attribute(base, name, depth))
                else:
                    out.append(Text((Hole(spelling(expr.name), "an attribute named at run time (`getattr`)"),)))
        return unique(out)

    def decide(self, guard: Guard, ctx: Ctx, depth: int = 0) -> bool | None:
        """True or False when every value the guard can see agrees; None when run time decides."""
        if guard.op == "truthy":
            constant = constant_truth(guard.left, ctx)  # `if object_id:` where the caller left `object_id=None`
            if constant is not None:
                return constant != guard.negate
            constants = not isinstance(guard.left, Param)
            outcomes = {truth(v, constants) for v in self.evaluate(guard.left, ctx, depth + 1)}
        else:
            lefts = [literal(t) for t in self.strings(guard.left, ctx, depth + 1)]
            if guard.op == "in" and guard.right is not None:
                rights = [literal(t) for seq in self.evaluate(guard.right, ctx, depth + 1)
                          if isinstance(seq, Sequence) for item in seq.items
                          for t in self.strings(item, seq.ctx, depth + 1)]
            elif guard.right is not None:
                rights = [literal(t) for t in self.strings(guard.right, ctx, depth + 1)]
            else:
                return None
            if not rights or None in lefts or None in rights:
                return None
            wanted = {r.lower() for r in rights if r is not None}
            outcomes = {left.lower() in wanted for left in lefts if left is not None}
        if len(outcomes) != 1 or None in outcomes:
            return None
        return outcomes.pop() != guard.negate

    def result(self, expr: Result, ctx: Ctx, depth: int) -> Values:
        """What a call returns: a project function's return value, an instance, or an external's result."""
        out: Values = []
        method = method_name(expr.callee)
        if method in ("items", "keys", "values") and not expr.args:
            base = receiver(expr.callee)
            tables = [v for v in self.evaluate(base, ctx, depth + 1) if isinstance(v, Mapping)]
            if tables:
                return [dict_view(t, method) for t in tables]
        if method == "get" and isinstance(expr.callee, Attr) and 1 <= len(expr.args) <= 2 and not expr.kwargs:
            tables = [v for v in self.evaluate(expr.callee.value, ctx, depth + 1) if isinstance(v, Mapping)]
            if tables and all(t.items for t in tables):  # `REGION_URLS.get(region, REGION_URLS["com"])`; an
                # empty dict is filled at run time (`self._by_module = {}`): what it holds is unknown
                return self._lookup_in(tables, expr.args, ctx, depth)
        if isinstance(expr.callee, Unknown) and expr.callee.name == "type" and len(expr.args) == 3:
            made = self._made_class(expr, ctx, depth + 1)  # `type(name, (Stream,), {"path": p})`
            if made:
                return made
        for target in self.targets(expr.callee, ctx, depth + 1):
            inner = self.bind(target, expr.args, expr.kwargs, ctx, expr.state)
            if target.cls is not None:
                out.append(Instance(target.cls, inner))
            elif target.function is not None and target.function.returns is not None:
                out.extend(self.evaluate(target.function.returns, inner, depth + 1))
        if not out and isinstance(expr.callee, Glob):
            for value in self.lookup(expr.callee.qualname, depth + 1):
                if isinstance(value, External):  # `requests.Session()`, an SDK class: the models read it
                    out.append(ExternalInstance(value.name, expr.args, expr.kwargs, ctx))
        if not out and isinstance(expr.callee, Attr):  # `requests.Request(...).prepare()`: the models read it
            for value in self.evaluate(expr.callee.value, ctx, depth + 1):
                if isinstance(value, ExternalInstance):
                    out.append(ExternalInstance(f"{value.name}.{expr.callee.name}", expr.args, expr.kwargs, ctx, value))
        if not out:
            out.append(Text((Hole(short(expr.name), f"return value of `{expr.name}()`"),)))
        return unique(out)

    def _made_class(self, expr: Result, ctx: Ctx, depth: int) -> Values:
        """A class made at run time from project bases and a literal dict of attributes."""
        attrs = [v for v in self.evaluate(expr.args[2], ctx, depth) if isinstance(v, Mapping)]
        bases = [b for seq in self.evaluate(expr.args[1], ctx, depth) if isinstance(seq, Sequence)
                 for item in seq.items[:1] for b in self.evaluate(item, seq.ctx, depth) if isinstance(b, ClassRef)]
        return [ClassRef(base.facts, table) for base in bases for table in attrs]

    def _lookup_in(self, tables: list[Mapping], args: tuple[Expr, ...], ctx: Ctx, depth: int) -> Values:
        """`table.get(key[, default])`: the value for a static key, else any value or the default."""
        out: Values = []
        default = self.evaluate(args[1], ctx, depth) if len(args) > 1 else [hole("None")]
        for key in self.strings(args[0], ctx, depth):
            name = literal(key)
            if name is None:
                self._key_of(args[0], ctx)
            for table in tables:
                found = dict(table.items)
                if name is not None and name in found:
                    out.extend(self.evaluate(found[name], table.ctx, depth))
                    continue
                if name is None:  # a key known only at run time: any of the values, or the default
                    out.extend(v for _, item in table.items for v in self.evaluate(item, table.ctx, depth))
                out.extend(default)
        return unique(out)

    def _key_of(self, key: Expr, ctx: Ctx) -> None:
        """A table looked up by a parameter only the callers know: which entry it is is theirs to fix.

        The parameter noted is the outermost one a chain of forwarding callers passes the key through.
        """
        while isinstance(key, Param):
            bound = ctx.bound(key.function, key.name)
            if bound is None:
                self._note("keyed", (key.function, key.name))
                return
            key, ctx = bound

    def strings(self, expr: Expr, ctx: Ctx, depth: int) -> list[Text]:
        """The string values of an expression; non-strings become holes."""
        return [v if isinstance(v, Text) else as_text(v, expr) for v in self.evaluate(expr, ctx, depth)]

    def texts(self, groups: Sequence_[Sequence_[Value]], expr: Expr) -> list[Text]:
        """Every concatenation of one value from each group (or a hole past MAX_ALTERNATIVES)."""
        options = [[v if isinstance(v, Text) else as_text(v, expr) for v in group] for group in groups]
        total = 1
        for group in options:
            total *= len(group)
        if total > MAX_ALTERNATIVES:
            return [Text((Hole(spelling(expr), f"it has more than {MAX_ALTERNATIVES} possible values"),))]
        return unique(Text(concat(p for t in combo for p in t.parts)) for combo in product(*options))

    def parameter(self, param: Param, ctx: Ctx, depth: int) -> Values:
        """A parameter: what the caller bound, else what its annotation or default says, else a hole."""
        bound = ctx.bound(param.function, param.name)
        if bound is not None:
            expr, outer = bound
            return self.evaluate(expr, outer, depth)
        if param.annotation:
            for value in self.lookup(param.annotation, depth):
                if isinstance(value, External):
                    return [ExternalInstance(value.name)]  # `def f(session: requests.Session)`
                if isinstance(value, ClassRef):
                    return [Instance(value.facts, Ctx(self_cls=value.facts.qualname))]
        if param.default is not None and not is_none(param.default):
            self._note("defaulted", (param.function, param.name))
            return self.evaluate(param.default, EMPTY, depth)
        self._note("unbound", (param.function, param.name))
        return [Text((Hole(param.name, f"a parameter of `{param.function}`"),))]

    def each(self, expr: Each, ctx: Ctx, depth: int) -> Values:
        """The items a `for` loop variable takes."""
        out: Values = []
        for value in self.evaluate(expr.iterable, ctx, depth):
            if isinstance(value, Sequence):
                out.extend(v for item in value.items for v in self.evaluate(item, value.ctx, depth))
            elif isinstance(value, Mapping):
                out.extend(Text((key,)) for key, _ in value.items)
            elif isinstance(value, ClassRef) and self.is_enum(value.facts):
                out.extend(v for _, item in value.facts.attrs for v in self.evaluate(item, EMPTY, depth)
                           if isinstance(v, Text))
            else:
                out.append(Text((Hole(spelling(expr.iterable), "a loop over values only known at run time"),)))
                continue
            # one site per item: the loop does not multiply them; by identity, as the loop's facts hold the same object
            self._note("expanded", id(expr.iterable))
        return unique(out)

    def index(self, expr: Index, ctx: Ctx, depth: int) -> Values:
        """`value[key]` for dicts and lists the code spells out."""
        keys = self.strings(expr.key, ctx, depth)
        if any(literal(key) is None for key in keys):
            self._key_of(expr.key, ctx)
        out: Values = []
        for value in self.evaluate(expr.value, ctx, depth):
            if isinstance(value, Mapping):
                table = dict(value.items)
                for key in keys:
                    name = literal(key)
                    if name is not None and name in table:
                        out.extend(self.evaluate(table[name], value.ctx, depth))
                    elif name is None:  # unknown key: any of the values
                        out.extend(v for _, item in value.items for v in self.evaluate(item, value.ctx, depth))
                    else:
                        out.append(hole(name))
            elif isinstance(value, Sequence):
                for key in keys:
                    at = position(literal(key), len(value.items))
                    out.extend(self.evaluate(value.items[at], value.ctx, depth) if at is not None
                               else [hole(spelling(expr))])
            else:
                out.extend(_item_of(value, keys, expr))
        return unique(out)

    def format(self, expr: Format, ctx: Ctx, depth: int) -> list[Text]:
        """`template.format(...)` and `template % args`."""
        args = [self.strings(a, ctx, depth) for a in expr.args]
        kwargs = {k: self.strings(v, ctx, depth) for k, v in expr.kwargs}
        out: list[Text] = []
        for template in self.strings(expr.template, ctx, depth):
            out.extend(apply_format(template, args, kwargs, expr.style, spelling(expr)))
        return unique(out)[: MAX_ALTERNATIVES + 1]

    def join(self, expr: Join, ctx: Ctx, depth: int) -> list[Text]:
        """`sep.join(items)` of a list the code spells out."""
        out: list[Text] = []
        for sep in self.strings(expr.sep, ctx, depth):
            for items in self.evaluate(expr.items, ctx, depth):
                if isinstance(items, Sequence):
                    groups: list[Values] = []
                    for i, item in enumerate(items.items):
                        if i:
                            groups.append([sep])
                        groups.append(list(self.strings(item, items.ctx, depth)))
                    out.extend(self.texts(groups, expr))
                else:
                    out.append(Text((Hole(spelling(expr), "a join of values only known at run time"),)))
        return unique(out)


def _item_of(value: Value, keys: list[Text], expr: Index) -> list[Text]:
    """`value[key]` of a value that is no table the code spells out, as a hole that says where it comes from: the
    environment (`os.environ["API_BASE"]`), a library, or the hole `value` is itself (a parameter's origin)."""
    known = [name for name in map(literal, keys) if name]
    shown = known or [spelling(expr)]
    if isinstance(value, External) and value.name == "os.environ":
        return [Text((Hole(name, f"the environment variable `{name}`, only known at run time"),)) for name in shown]
    if isinstance(value, External):
        return [Text((Hole(name, f"`{value.name}[...]` comes from outside the project"),)) for name in shown]
    if isinstance(value, ExternalInstance):
        what = f"an item of what `{value.name}()` returns, only known at run time"
        return [Text((Hole(name, what),)) for name in shown]
    if isinstance(value, Text) and len(value.parts) == 1 and isinstance(value.parts[0], Hole):
        base = value.parts[0]
        return [Text((Hole(base.name + _subscript(name), base.origin),)) for name in known] or [value]
    return [Text((Hole(spelling(expr), "an item of a value scopeplan cannot follow"),))]


def _subscript(key: str) -> str:
    """How a literal key is written after a value: `[0]`, `['id']`."""
    return f"[{key}]" if key.lstrip("-").isdigit() else f"[{key!r}]"
