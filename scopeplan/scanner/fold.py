"""Expressions to IR: one libcst expression folds into an `Expr`, recording the calls inside it."""

from __future__ import annotations

import builtins
import codecs

import libcst as cst

from scopeplan.scanner import hints, spell
from scopeplan.scanner.facts import Loop
from scopeplan.scanner.ir import (
    Alt, Attr, Cat, Cond, Dict, Each, Expr, Format, GetAttr, Glob, Guard, Index, Join, Lit, Param, Range, RangeOf, Replace,
    Result, SelfAttr, Seq, Strip, Super, Unknown, UrlJoin,
)

_URLJOIN = {"urllib.parse.urljoin", "urlparse.urljoin", "six.moves.urllib.parse.urljoin", "posixpath.join",
            "os.path.join",
            "requests.compat.urljoin"}
_BUILTINS = frozenset(dir(builtins))
_STRING_METHODS = frozenset({"format", "join", "strip", "rstrip", "lstrip", "replace"})
STATE = "self."  # env keys for `self.X` set in the current method: never an identifier


class Folder:
    """The expression half of the walker; the statement half (`walk._Walker`) supplies scope and statements."""

    def generic(self, node) -> None:
        raise NotImplementedError

    def assign(self, target, value: Expr) -> None:
        raise NotImplementedError

    def guard(self, test, record: bool = True) -> Guard | None:
        raise NotImplementedError

    def fold(self, node, record: bool = True) -> Expr:
        """Fold an expression into IR; calls inside it are recorded as Invokes on the way."""
        kind = _KINDS.get(type(node)) or _kind(type(node))
        if kind is cst.SimpleString:
            value = spell.plain_string(node.value)
            if value is None:
                value = node.evaluated_value
            return Lit(value.decode("latin-1") if isinstance(value, bytes) else value)
        if kind is cst.ConcatenatedString:
            return Cat((self.fold(node.left, record), self.fold(node.right, record)))
        if kind is cst.FormattedString:
            return self.fstring(node, record)
        if kind is cst.Name:
            return self.name_(node.value)
        if kind is cst.Integer:
            return Lit(node.value)
        if kind is cst.Attribute:
            value = self.fold(node.value, record)
            attr = node.attr.value
            if isinstance(value, Glob):
                return Glob(f"{value.qualname}.{attr}")
            if isinstance(value, SelfAttr) and value.name == "":
                return SelfAttr(value.cls, attr)
            return Attr(value, attr)
        if kind is cst.Call:
            return self.call(node, record)
        if kind is cst.BinaryOperation:
            left, right = self.fold(node.left, record), self.fold(node.right, record)
            if isinstance(node.operator, cst.Add):
                return Cat((left, right))
            if isinstance(node.operator, cst.Modulo) and _stringish(left):
                args = right.items if isinstance(right, Seq) else (right,)
                kwargs = right.items if isinstance(right, Dict) else ()
                return Format(left, () if kwargs else args, kwargs, "%")
            return Unknown(self.code(node))
        if kind in (cst.List, cst.Tuple, cst.Set):
            return Seq(tuple(self.fold(e.value, record) for e in node.elements))
        if kind is cst.Dict:
            items = []
            for e in node.elements:
                if isinstance(e, cst.DictElement):
                    key, value = self.fold(e.key, record), self.fold(e.value, record)
                    if isinstance(key, Lit):
                        items.append((key.text, value))
            return Dict(tuple(items))
        if kind is cst.Subscript:
            value = self.fold(node.value, record)
            first = node.slice[0].slice if node.slice else None
            if len(node.slice) == 1 and isinstance(first, cst.Index):
                return Index(value, self.fold(first.value, record))
            self.generic(node)
            return Unknown(self.code(node))
        if kind is cst.IfExp:  # `a if object_id else b`: a caller's argument may decide it
            guard = self.guard(node.test, record)
            then, orelse = self.fold(node.body, record), self.fold(node.orelse, record)
            return Cond(guard, then, orelse) if guard is not None else _alt(then, orelse)
        if kind is cst.BooleanOperation:
            left, right = self.fold(node.left, record), self.fold(node.right, record)
            if isinstance(node.operator, cst.Or):  # `base_url or DEFAULT`: the left unless it is falsy
                if isinstance(left, (Unknown, Param)) or isinstance(right, Unknown):
                    # a name scopeplan cannot see on one side: the other, as spelled; a parameter: either, as
                    # each caller may pass one (`user_type or "AllUsers"` is no choice of endpoint)
                    return _alt(left, right)
                return Cond(Guard(left, None, "truthy"), left, right)
            return Unknown(self.code(node))
        if kind is cst.Await:
            return self.fold(node.expression, record)
        if kind in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            return self.comprehension(node, record)
        if record:
            self.generic(node)
        return Unknown(self.code(node))

    def fstring(self, node: cst.FormattedString, record: bool) -> Expr:
        raw = "r" in node.prefix.lower()
        items: list[Expr] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text = part.value.replace("{{", "{").replace("}}", "}")
                if not raw and "\\" in text:
                    text = codecs.decode(text, "unicode_escape")
                items.append(Lit(text))
            else:
                value = self.fold(part.expression, record)
                items.append(value if part.format_spec is None else Unknown(self.code(part.expression)))
        return Cat(tuple(items))

    def name_(self, name: str) -> Expr:
        scope = self.scope
        if name in scope.env:
            return scope.env[name]
        if name in self.imports:
            return Glob(self.imports[name])
        if name in self.module_names:
            return Glob(f"{self.name}.{name}")
        if len(self.star_imports) == 1 and name not in _BUILTINS:
            return Glob(f"{self.star_imports[0]}.{name}")
        return Unknown(name)

    def call(self, node: cst.Call, record: bool) -> Expr:
        func = self.fold(node.func, record)
        args, kwargs, star = [], [], False
        for arg in node.args:
            value = self.fold(arg.value, record)
            if arg.star == "**":
                star = True
                kwargs.append(("**", value))  # keyword arguments passed on, e.g. `json=` through a wrapper
            elif arg.star:
                star = True
                kwargs.append(("*", value))  # positional arguments passed on: which parameters they fill is unknown
            elif arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            else:
                args.append(value)
        if isinstance(func, Glob):
            name = func.qualname
            if name in _URLJOIN and len(args) >= 2:
                return UrlJoin(args[0], args[1]) if not name.endswith("path.join") else Join(Lit("/"), Seq(tuple(args)))
            if name == "builtins.str" or func.qualname == "str":
                return args[0] if len(args) == 1 else Unknown(self.code(node))
        if isinstance(func, Unknown) and func.name == "str" and len(args) == 1:
            return args[0]
        if isinstance(func, Unknown) and func.name == "getattr" and len(args) in (2, 3) and not star:
            return GetAttr(args[0], args[1])  # a call of it is recorded: `getattr(requests, method)(url)`
        if isinstance(func, (Attr, SelfAttr)) and func.name == "__getattribute__" and len(args) == 1 and not star:
            value = func.value if isinstance(func, Attr) else SelfAttr(func.cls, "")
            return GetAttr(value, args[0])  # `session.__getattribute__(http_method)(url)`
        if isinstance(func, Unknown) and func.name == "type" and len(args) == 3 and not star:
            return Result(func, tuple(args), (), "type", ())  # a class made at run time: `type(name, bases, attrs)`
        if isinstance(func, Unknown) and func.name == "super" and self.scope.cls:
            return Super(self.scope.cls)
        if isinstance(func, Unknown) and func.name == "range" and args and all(isinstance(a, Lit) for a in args):
            numbers = [int(a.text) for a in args if hints.small_int(a.text.removeprefix("-"))]
            if len(numbers) == len(args) <= 3 and (numbers[-1] if len(numbers) == 3 else 1) != 0:
                return Range(max(0, len(range(*numbers))))  # 12 digits at most: no OverflowError
        if isinstance(func, Unknown) and func.name == "range" and 1 <= len(args) <= 3 and not star and not kwargs \
                and not all(isinstance(a, Lit) for a in args):
            return RangeOf(tuple(args))  # `range(RETRIES)`: the evaluator may know the names
        if isinstance(func, Glob) and func.qualname.rpartition(".")[2] in _STRING_METHODS:
            head, _, method = func.qualname.rpartition(".")
            func = Attr(Glob(head), method)  # `URL.format(...)` on a module constant
        if isinstance(func, Attr) and func.name in ("upper", "lower") and not args:
            return func.value  # matching ignores case: `method.upper()` is still `method`
        if isinstance(func, Attr) and not star:
            method = func.name
            if method == "format" and _stringish(func.value):
                return Format(func.value, tuple(args), tuple(kwargs), "{}")
            if method == "join" and len(args) == 1 and _stringish(func.value):
                return Join(func.value, args[0])
            if method == "replace" and len(args) == 2 and _stringish(func.value):
                return Replace(func.value, args[0], args[1])
            if method in ("strip", "rstrip", "lstrip") and len(args) <= 1 and _stringish(func.value):
                chars = args[0].text if args and isinstance(args[0], Lit) else None
                if not args or chars is not None:
                    return Strip(func.value, chars, {"strip": "both", "rstrip": "right", "lstrip": "left"}[method])
        if _worth_recording(func):  # `**kwargs` only hides arguments scopeplan does not read
            if record:
                self.calls.append(node)
                self.wanted.add(id(self.current))
                state = self.state()
                self.pending.append((node, self.scope.function, func, tuple(args), tuple(kwargs), self.scope.loops,
                                     self.scope.guards, state))
                return Result(func, tuple(args), tuple(kwargs), self.code(node.func), state)
            return Result(func, tuple(args), tuple(kwargs), self.code(node.func), self.state())
        return Unknown(self.code(node.func) + "()", f"return value of `{self.code(node.func)}()`")

    def state(self) -> tuple[tuple[str, Expr], ...]:
        """The `self.X` this method has set so far, as a call here sees them (flow-sensitive)."""
        if not self.scope.is_function or self.scope.cls is None:
            return ()
        return tuple(sorted((k[len(STATE):], v) for k, v in self.scope.env.items() if k.startswith(STATE)))

    def comprehension(self, node, record: bool) -> Expr:
        scope = self.scope
        self.wanted.add(id(self.current))  # its loops' lines are read with the statement's calls
        before, loops = dict(scope.env), scope.loops
        comp = node.for_in
        while comp is not None:
            items = self.fold(comp.iter, record)
            scope.loops = scope.loops + (Loop("comprehension", self.line(comp), items),)
            self.assign(comp.target, Each(items))
            for cond in comp.ifs:
                self.fold(cond.test, record)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self.fold(node.key, record)
            self.fold(node.value, record)
        else:
            self.fold(node.elt, record)
        scope.env.clear()
        scope.env.update(before)
        scope.loops = loops
        return Unknown(self.code(node))

    # -- helpers ------------------------------------------------------------------------------------

    def code(self, node) -> str:
        return spell.code(self.module, node)

    def line(self, node) -> int:
        """A placeholder: the index of the node, replaced by its line once positions are known."""
        self.line_nodes.append(node)
        return len(self.line_nodes) - 1


_FOLDED = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Name, cst.Integer, cst.Attribute, cst.Call, cst.BinaryOperation, cst.List, cst.Tuple, cst.Set, cst.Dict, cst.Subscript, cst.IfExp, cst.BooleanOperation, cst.Await, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_KINDS: dict[type, type] = {}


def _kind(node_type: type) -> type:
    """The first of the types `fold` tells apart that this type is (or `object`), found once per type:
    isinstance on libcst's classes goes through ABCMeta."""
    kind = next((k for k in _FOLDED if issubclass(node_type, k)), object)
    _KINDS[node_type] = kind
    return kind


def _worth_recording(func: Expr) -> bool:
    """HTTP functions, methods with HTTP verb names, and calls of names that may be project functions."""
    if isinstance(func, Glob):
        return True
    # `Index`: `VERBS[verb](url)`, a table of functions; `Result`: `cls(...)` of a class made by `type(...)`
    return isinstance(func, (Attr, SelfAttr, GetAttr, Index, Result))


def _stringish(expr: Expr) -> bool:
    return not isinstance(expr, (Seq, Dict))


def _alt(*options: Expr) -> Expr:
    known = [o for o in options if not isinstance(o, Unknown)]
    if not known:
        return options[0]
    unique = tuple(dict.fromkeys(known))
    return unique[0] if len(unique) == 1 else Alt(unique)
