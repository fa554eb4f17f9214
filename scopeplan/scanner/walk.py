"""One read-only pass over a libcst module: fold names, classes, functions and calls into FileFacts."""

from __future__ import annotations

import builtins
import codecs
import re
from dataclasses import fields, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from scopeplan.scanner import hints, positions
from scopeplan.scanner.facts import ClassFacts, FileFacts, FunctionFacts, Invoke, Loop
from scopeplan.scanner.ir import (
    Alt, Attr, Cat, Cond, Dict, Each, Expr, Format, GetAttr, Glob, Guard, Index, Join, Lit, Param, Range, Replace, Result, SelfAttr,
    Seq, Strip, Super, Unknown, UrlJoin,
)

_TRIVIA = {"lpar", "rpar", "comma", "semicolon", "leading_lines", "trailing_whitespace", "header", "footer",
           "lines_after_decorators", "empty_lines", "newline", "dot", "colon", "equal", "star", "asynchronous",
           "operator", "whitespace_before", "whitespace_after"}
_FIELDS: dict[type, tuple[str, ...]] = {}
_URLJOIN = {"urllib.parse.urljoin", "urlparse.urljoin", "six.moves.urllib.parse.urljoin", "posixpath.join",
            "requests.compat.urljoin"}
_BUILTINS = frozenset(dir(builtins))
_STRING_METHODS = frozenset({"format", "join", "strip", "rstrip", "lstrip", "replace"})


def walk(module: cst.Module, path: str, name: str, text: str, package: bool = False) -> FileFacts:
    """Fold one parsed module into FileFacts; `text` is its source, for positions and hint comments."""
    walker = _Walker(module, name, package)
    walker.module_body(module.body)
    lines = [line.rstrip("\r") for line in text.split("\n")]  # numbered as Python numbers them
    where = _positions(module, text, walker) if walker.pending else {}

    def line_of(index: int) -> int:
        return where.get(id(walker.line_nodes[index]), (0, 0, 0))[0]

    def fix(loop: Loop) -> Loop:
        line = line_of(loop.line)
        bound = hints.loop_bound(lines, line)
        return replace(loop, line=line, bound=bound)

    invokes = []
    for node, function, callee, args, kwargs, loops, guards, state in walker.pending:
        line, column, end = where[id(node)]
        found = hints.on_lines(lines, line, end)
        invokes.append(Invoke(line, column, function, callee, args, kwargs,
                              tuple(fix(loop) for loop in loops), found, guards, state))
    functions = tuple(replace(f, line=line_of(f.line)) for f in walker.functions)
    problems = tuple(hints.problems(lines))
    signs = _signs(lines)
    return FileFacts(
        path=path,
        module=name,
        symbols=tuple(sorted(walker.module_env.items())),
        classes=tuple(walker.classes),
        functions=functions,
        invokes=tuple(invokes),
        problems=problems,
        signs=signs,
    )


_SDK_IMPORT = re.compile(r"^\s*(?:from|import)\s+(zcrmsdk|zohocrmsdk\w*)\b")
_CRM_PATH = re.compile(r"(?:zohoapis\.[a-z.]+)?/crm/(?:v\d[\d.]*|bulk|email|private)/[\w{}/.-]*")


def _signs(lines: list[str]) -> tuple[str, ...]:
    """The first import of a Zoho CRM SDK and the first CRM path the file names, with their lines."""
    out = []
    for number, line in enumerate(lines, 1):
        found = _SDK_IMPORT.match(line)
        if found:
            out.append(f"imports {found.group(1)} (line {number})")
            break
    for number, line in enumerate(lines, 1):
        found = _CRM_PATH.search(line)
        if found:
            out.append(f"names {found.group(0)[:60]} (line {number})")
            break
    return tuple(out)


_STATE = "self."  # env keys for `self.X` set in the current method: never an identifier


class _Scope:
    """Where the walker is: the function (or module) and class it is in, and local names."""

    def __init__(self, function: str, cls: str | None, env: dict[str, Expr], is_function: bool):
        self.function = function
        self.cls = cls
        self.env = env
        self.is_function = is_function
        self.returns: list[Expr] = []
        self.loops: tuple[Loop, ...] = ()
        self.guards: tuple[Guard, ...] = ()


class _Walker:
    def __init__(self, module: cst.Module, name: str, package: bool):
        self.module = module
        self.name = name
        self.package = name if package else name.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.star_imports: list[str] = []
        self.module_names: set[str] = set()
        self.module_env: dict[str, Expr] = {}
        self.classes: list[ClassFacts] = []
        self.functions: list[FunctionFacts] = []
        self.calls: list[cst.Call] = []
        self.line_nodes: list = []
        self.current = None
        self.wanted: set[int] = set()  # statements holding recorded calls: only those need call positions
        self.pending: list[tuple[cst.Call, str, Expr, tuple, tuple, tuple[Loop, ...]]] = []
        self.instance: dict[str, dict[str, list[Expr]]] = {}
        self.scope = _Scope(f"{name}:<module>", None, self.module_env, False)

    # -- statements ---------------------------------------------------------------------------------

    def module_body(self, body) -> None:
        for stmt in body:  # names defined anywhere at top level resolve as module globals
            self._declare(stmt)
        self.block(body)

    def _declare(self, stmt) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            self.module_names.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name):
                            self.module_names.add(t.target.value)
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    self.module_names.add(small.target.value)
                elif isinstance(small, (cst.Import, cst.ImportFrom)):
                    self.import_(small)
        elif isinstance(stmt, (cst.If, cst.Try)):  # `try: import x except ImportError: ...`
            for child in _blocks(stmt):
                for s in child:
                    self._declare(s)

    def block(self, body) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt) -> None:
        self.current = stmt  # calls found from here on belong to this statement (its header, if compound)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small)
        elif isinstance(stmt, cst.FunctionDef):
            self.function(stmt)
        elif isinstance(stmt, cst.ClassDef):
            self.class_(stmt)
        elif isinstance(stmt, cst.If):
            self.if_(stmt)
        elif isinstance(stmt, cst.For):
            items = self.fold(stmt.iter)
            self.branch([stmt.body.body, *_else(stmt)], loop=Loop("for", self.line(stmt), items),
                        target=(stmt.target, Each(items)))
        elif isinstance(stmt, cst.While):
            self.fold(stmt.test)
            self.branch([stmt.body.body, *_else(stmt)], loop=Loop("while", self.line(stmt)))
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                value = self.fold(item.item)
                if item.asname is not None:
                    self.assign(item.asname.name, value)
            self.block(_body(stmt.body))
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            self.block(_body(stmt.body))
            self.branch([_body(h.body) for h in stmt.handlers] + _else(stmt))
            if stmt.finalbody:
                self.block(_body(stmt.finalbody.body))
        else:
            self.generic(stmt)

    def small(self, small) -> None:
        if isinstance(small, cst.Assign):
            value = self.fold(small.value)
            for target in small.targets:
                self.assign(target.target, value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.fold(small.value))
        elif isinstance(small, cst.AugAssign):
            value = self.fold(small.value)
            if isinstance(small.operator, cst.AddAssign):
                self.assign(small.target, Cat((self.fold(small.target, record=False), value)))
            else:
                self.assign(small.target, Unknown(self.code(small.target)))
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self.scope.returns.append(self.fold(small.value))
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            self.import_(small)
        elif isinstance(small, cst.Expr):
            self.fold(small.value)
            self.mutation(small.value)
        else:
            self.generic(small)

    def mutation(self, value) -> None:
        """`items.append(x)` / `items.extend([...])` on a local list keeps the list's value up to date."""
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                and isinstance(value.func.value, cst.Name)):
            return
        name = value.func.value.value
        current = self.scope.env.get(name)
        method = value.func.attr.value
        if current is None or method in ("count", "index", "copy"):
            return
        args = [self.fold(a.value, record=False) for a in value.args]
        if method == "append" and len(args) == 1:
            changed = _map_lists(current, lambda items: items + (args[0],))
        elif method == "extend" and len(args) == 1 and isinstance(args[0], Seq):
            changed = _map_lists(current, lambda items: items + args[0].items)
        else:
            changed = None
        if changed is None:
            if _map_lists(current, lambda items: items) is not None:  # a list changed in ways not followed
                self.scope.env[name] = Unknown(name, f"the list `{name}` is changed in ways scopeplan does not follow")
            return
        self.scope.env[name] = changed

    def assign(self, target, value: Expr) -> None:
        if isinstance(target, cst.Name):
            self.scope.env[target.value] = value
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and self.scope.cls:
            if target.value.value in ("self", "cls") and self.scope.is_function:
                attrs = self.instance.setdefault(self.scope.cls, {})
                attrs.setdefault(target.attr.value, []).append(value)
                self.scope.env[_STATE + target.attr.value] = value  # what calls after it in this method see
        elif isinstance(target, (cst.Tuple, cst.List)):
            items = value.items if isinstance(value, Seq) and len(value.items) == len(target.elements) else None
            for i, element in enumerate(target.elements):
                if items:
                    self.assign(element.value, items[i])
                elif isinstance(value, (Each, Index, Result, Glob)):  # `for name, api in MAP.items():`
                    self.assign(element.value, Index(value, Lit(str(i))))
                else:
                    self.assign(element.value, Unknown(self.code(element.value)))

    def branch(self, bodies, loop: Loop | None = None, target=None, guards=None, tests=None) -> None:
        """Walk alternative bodies from the same starting names; afterwards a name is any of its values."""
        scope = self.scope
        before = dict(scope.env)
        outer_loops, outer_guards = scope.loops, scope.guards
        if loop is not None:
            scope.loops = outer_loops + (loop,)
        ends = []
        for i, body in enumerate(bodies):
            scope.env = dict(before)
            scope.guards = outer_guards + (guards[i] if guards else ())
            if target is not None and i == 0:
                self.assign(target[0], target[1])
            self.block(body)
            if i == 0:
                scope.loops = outer_loops
            ends.append(None if loop is None and _terminates(body) else scope.env)
        scope.guards = outer_guards
        if tests and all(tests):  # an if/elif chain a caller's value may decide: keep which branch gave what
            merged = _merge_conditional(before, ends, tests)
        else:
            merged = _merge(before, ends, keep_before=loop is not None or len(bodies) < 2)
        if scope.function.endswith(":<module>"):
            self.module_env.clear()  # the module's names stay one dict: FileFacts.symbols reads it
            self.module_env.update(merged)
            merged = self.module_env
        scope.env = merged

    def if_(self, stmt: cst.If) -> None:
        tests = [self.guard(stmt.test)]
        bodies = [stmt.body.body]
        orelse = stmt.orelse
        while isinstance(orelse, cst.If):
            tests.append(self.guard(orelse.test))
            bodies.append(orelse.body.body)
            orelse = orelse.orelse
        bodies.append(orelse.body.body if orelse is not None else ())
        guards, earlier = [], ()
        for test in tests + [None]:  # each branch: every earlier test false, its own true
            guards.append(earlier + ((test,) if test else ()))
            earlier += (replace(test, negate=not test.negate),) if test else ()
        self.branch(bodies, guards=guards, tests=tests)

    def guard(self, test) -> Guard | None:
        """Fold an `if` test; keep it as a Guard when it compares a value with strings."""
        folded = self.fold(test)
        negate = False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negate = test.expression, True
        if isinstance(test, (cst.Name, cst.Attribute, cst.Subscript)):
            return Guard(self.fold(test, record=False), None, "truthy", negate)
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        del folded
        comparison = test.comparisons[0]
        op = comparison.operator
        kinds = {cst.Equal: ("==", False), cst.NotEqual: ("==", True), cst.In: ("in", False),
                 cst.NotIn: ("in", True)}
        if type(op) not in kinds:
            return None
        name, flip = kinds[type(op)]
        left, right = self.fold(test.left, record=False), self.fold(comparison.comparator, record=False)
        return Guard(left, right, name, negate != flip)

    def function(self, node: cst.FunctionDef) -> None:
        outer = self.scope
        prefix = outer.function.split(":", 1)[1]
        local = node.name.value if prefix == "<module>" else f"{prefix}.{node.name.value}"
        qualname = f"{self.name}:{local}"
        in_class = outer.cls is not None and not outer.is_function
        params = []
        ps = node.params
        ordered = [*ps.posonly_params, *ps.params]
        for i, p in enumerate(ordered):
            params.append(self.param(qualname, p, i))
        for p in ps.kwonly_params:
            params.append(self.param(qualname, p, -1))
        if isinstance(ps.star_kwarg, cst.Param):
            params.append(Param(qualname, ps.star_kwarg.name.value, -2))  # **kwargs
        decorators = []
        for d in node.decorators:
            folded = self.fold(d.decorator)
            callee = folded.callee if isinstance(folded, Result) else folded
            decorators.append(callee.qualname if isinstance(callee, Glob) else self.code(
                d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator))
        env: dict[str, Expr] = {p.name: p for p in params}
        static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators)
        if in_class and params and not static:
            env.pop(params[0].name)  # self / cls: attribute access is SelfAttr
            env[params[0].name] = SelfAttr(outer.cls, "")
        self.scope = _Scope(qualname, outer.cls, env, True)
        self.scope.loops = ()
        self.block(_body(node.body))
        returns = self.scope.returns
        self.scope = outer
        self.functions.append(FunctionFacts(
            qualname=qualname, params=tuple(params), line=self.line(node),
            returns=(returns[0] if len(returns) == 1 else Alt(tuple(returns))) if returns else None,
            cls=outer.cls if in_class else None, decorators=tuple(decorators),
        ))
        if outer.is_function or outer.cls is None:
            outer.env[node.name.value] = Glob(qualname.replace(":", "."))

    def param(self, function: str, p: cst.Param, index: int) -> Param:
        default = self.fold(p.default) if p.default is not None else None
        annotation = None
        if p.annotation is not None:
            ann = self.fold(p.annotation.annotation, record=False)
            if isinstance(ann, Glob):
                annotation = ann.qualname
            elif isinstance(ann, Lit):  # "Client" as a string annotation
                resolved = self.fold(cst.parse_expression(ann.text), record=False) if ann.text.isidentifier() else None
                annotation = resolved.qualname if isinstance(resolved, Glob) else None
        return Param(function, p.name.value, index, default, annotation)

    def class_(self, node: cst.ClassDef) -> None:
        outer = self.scope
        prefix = outer.function.split(":", 1)[1]
        local = node.name.value if prefix == "<module>" else f"{prefix}.{node.name.value}"
        dotted = f"{self.name}.{local}"
        bases = tuple(self.fold(arg.value, record=False) for arg in node.bases if not arg.keyword)
        self.scope = _Scope(f"{self.name}:{local}", dotted, {}, False)
        self.block(_body(node.body))
        attrs = self.scope.env
        self.scope = outer
        methods = tuple(f.qualname.split(":", 1)[1].rsplit(".", 1)[1] for f in self.functions
                        if f.cls == dotted)
        instance = {k: (v[0] if len(v) == 1 else Alt(tuple(dict.fromkeys(v))))
                    for k, v in self.instance.pop(dotted, {}).items()}
        self.classes.append(ClassFacts(dotted, bases, tuple(sorted((k, v) for k, v in attrs.items()
                                                                    if not isinstance(v, Glob) or k not in methods)),
                                       tuple(sorted(instance.items())), methods))
        outer.env[node.name.value] = Glob(dotted)

    def import_(self, node) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = self.code(alias.name)
                if alias.asname is not None:
                    self.imports[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    self.imports[head] = head
            return
        base = self.code(node.module) if node.module is not None else ""
        if node.relative:
            package = self.package
            for _ in range(len(node.relative) - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}".strip(".") if base else package
        if isinstance(node.names, cst.ImportStar):
            if base not in self.star_imports:  # `from zohocrmsdk...record import *`, as the SDK's README does
                self.star_imports.append(base)
            return
        for alias in node.names:
            name = self.code(alias.name)
            local = alias.asname.name.value if alias.asname is not None else name
            self.imports[local] = f"{base}.{name}" if base else name

    def generic(self, node) -> None:
        """Find calls inside a node the walker has no rule for."""
        for child in _children(node):
            if isinstance(child, cst.BaseExpression):
                self.fold(child)
            elif isinstance(child, (cst.BaseStatement, cst.BaseSmallStatement)):
                self.statement(child) if isinstance(child, cst.BaseStatement) else self.small(child)
            else:
                self.generic(child)

    # -- expressions --------------------------------------------------------------------------------

    def fold(self, node, record: bool = True) -> Expr:
        """Fold an expression into IR; calls inside it are recorded as Invokes on the way."""
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            return Lit(value.decode("latin-1") if isinstance(value, bytes) else value)
        if isinstance(node, cst.ConcatenatedString):
            return Cat((self.fold(node.left, record), self.fold(node.right, record)))
        if isinstance(node, cst.FormattedString):
            return self.fstring(node, record)
        if isinstance(node, cst.Name):
            return self.name_(node.value)
        if isinstance(node, cst.Integer):
            return Lit(node.value)
        if isinstance(node, cst.Attribute):
            value = self.fold(node.value, record)
            attr = node.attr.value
            if isinstance(value, Glob):
                return Glob(f"{value.qualname}.{attr}")
            if isinstance(value, SelfAttr) and value.name == "":
                return SelfAttr(value.cls, attr)
            return Attr(value, attr)
        if isinstance(node, cst.Call):
            return self.call(node, record)
        if isinstance(node, cst.BinaryOperation):
            left, right = self.fold(node.left, record), self.fold(node.right, record)
            if isinstance(node.operator, cst.Add):
                return Cat((left, right))
            if isinstance(node.operator, cst.Modulo) and _stringish(left):
                args = right.items if isinstance(right, Seq) else (right,)
                kwargs = right.items if isinstance(right, Dict) else ()
                return Format(left, () if kwargs else args, kwargs, "%")
            return Unknown(self.code(node))
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return Seq(tuple(self.fold(e.value, record) for e in node.elements))
        if isinstance(node, cst.Dict):
            items = []
            for e in node.elements:
                if isinstance(e, cst.DictElement):
                    key, value = self.fold(e.key, record), self.fold(e.value, record)
                    if isinstance(key, Lit):
                        items.append((key.text, value))
            return Dict(tuple(items))
        if isinstance(node, cst.Subscript):
            value = self.fold(node.value, record)
            first = node.slice[0].slice if node.slice else None
            if len(node.slice) == 1 and isinstance(first, cst.Index):
                return Index(value, self.fold(first.value, record))
            self.generic(node)
            return Unknown(self.code(node))
        if isinstance(node, cst.IfExp):
            self.fold(node.test, record)
            return _alt(self.fold(node.body, record), self.fold(node.orelse, record))
        if isinstance(node, cst.BooleanOperation):
            left, right = self.fold(node.left, record), self.fold(node.right, record)
            if isinstance(node.operator, cst.Or):
                return _alt(left, right)
            return Unknown(self.code(node))
        if isinstance(node, cst.Await):
            return self.fold(node.expression, record)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
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
            elif arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            else:
                args.append(value)
        if isinstance(func, Glob):
            name = func.qualname
            if name in _URLJOIN and len(args) >= 2:
                return UrlJoin(args[0], args[1]) if name != "posixpath.join" else Join(Lit("/"), Seq(tuple(args)))
            if name == "builtins.str" or func.qualname == "str":
                return args[0] if len(args) == 1 else Unknown(self.code(node))
        if isinstance(func, Unknown) and func.name == "str" and len(args) == 1:
            return args[0]
        if isinstance(func, Unknown) and func.name == "getattr" and len(args) in (2, 3) and not star:
            return GetAttr(args[0], args[1])  # a call of it is recorded: `getattr(requests, method)(url)`
        if isinstance(func, (Attr, SelfAttr)) and func.name == "__getattribute__" and len(args) == 1 and not star:
            value = func.value if isinstance(func, Attr) else SelfAttr(func.cls, "")
            return GetAttr(value, args[0])  # `session.__getattribute__(http_method)(url)`
        if isinstance(func, Unknown) and func.name == "super" and self.scope.cls:
            return Super(self.scope.cls)
        if isinstance(func, Unknown) and func.name == "range" and args and all(isinstance(a, Lit) for a in args):
            numbers = [int(a.text) for a in args if hints.small_int(a.text.removeprefix("-"))]
            if len(numbers) == len(args) <= 3 and (numbers[-1] if len(numbers) == 3 else 1) != 0:
                return Range(max(0, len(range(*numbers))))  # 12 digits at most: no OverflowError
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
        return tuple(sorted((k[len(_STATE):], v) for k, v in self.scope.env.items() if k.startswith(_STATE)))

    def comprehension(self, node, record: bool) -> Expr:
        scope = self.scope
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
        text = self.module.code_for_node(node)
        return text if len(text) <= 60 else text[:57] + "..."

    def line(self, node) -> int:
        """A placeholder: the index of the node, replaced by its line once positions are known."""
        self.line_nodes.append(node)
        return len(self.line_nodes) - 1


def _worth_recording(func: Expr) -> bool:
    """HTTP functions, methods with HTTP verb names, and calls of names that may be project functions."""
    if isinstance(func, Glob):
        return True
    return isinstance(func, (Attr, SelfAttr, GetAttr))


def _stringish(expr: Expr) -> bool:
    return not isinstance(expr, (Seq, Dict))


def _alt(*options: Expr) -> Expr:
    known = [o for o in options if not isinstance(o, Unknown)]
    if not known:
        return options[0]
    unique = tuple(dict.fromkeys(known))
    return unique[0] if len(unique) == 1 else Alt(unique)


def _merge_conditional(before: dict, ends: list[dict | None], tests: list[Guard]) -> dict:
    """Names after `if t0: ... elif t1: ... else: ...`: Cond(t0, v0, Cond(t1, v1, v_else)).

    A branch that ends in `raise`/`return` (None in `ends`) gives no value afterwards.
    """
    live = [(test, env) for test, env in zip([*tests, None], ends) if env is not None]
    if not live:
        return dict(before)
    out = dict(before)
    for name in {k for _, env in live for k in env}:
        values = [env.get(name, before.get(name)) for _, env in live]
        if all(v == values[0] for v in values):
            if values[0] is not None:
                out[name] = values[0]
            continue
        value = values[-1] if values[-1] is not None else Unknown(name, f"`{name}` is not set on every branch")
        for (test, _), then in zip(reversed(live[:-1]), reversed(values[:-1])):
            value = Cond(test, then if then is not None else Unknown(name), value)
        out[name] = value
    return out


def _positions(module: cst.Module, text: str, walker: _Walker) -> dict[int, tuple[int, int, int]]:
    """Node positions from the stdlib ast (cheap), else from libcst's PositionProvider (re-renders the file)."""
    found = positions.locate(module, text, walker.wanted)
    needed = [id(node) for node in walker.calls] + [id(node) for node in walker.line_nodes]
    if found is not None and all(n in found for n in needed):
        return found
    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {id(node): (r.start.line, r.start.column + 1, r.end.line) for node, r in ranges.items()}


def _map_lists(value: Expr, change) -> Expr | None:
    """Apply `change` to the items of every list a value may be (through Alt and Cond); None if not lists."""
    if isinstance(value, Seq):
        return Seq(change(value.items))
    if isinstance(value, Alt):
        options = [_map_lists(o, change) for o in value.options]
        return None if None in options else Alt(tuple(options))
    if isinstance(value, Cond):
        then, orelse = _map_lists(value.then, change), _map_lists(value.orelse, change)
        return None if then is None or orelse is None else Cond(value.guard, then, orelse)
    return None


def _terminates(body) -> bool:
    """Whether a block always leaves: its last statement is `raise`, `return`, `continue` or `break`."""
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return isinstance(last.body[-1], (cst.Raise, cst.Return, cst.Continue, cst.Break))
    return False


def _merge(before: dict, ends: list[dict | None], keep_before: bool) -> dict:
    ends = [e for e in ends if e is not None]
    out = dict(before)
    names = {k for e in ends for k in e} | set(before)
    for name in names:
        values = [e.get(name) for e in ends]
        if keep_before:
            values.append(before.get(name))
        values = [v for v in values if v is not None]
        unique = tuple(dict.fromkeys(values))
        if unique:
            out[name] = unique[0] if len(unique) == 1 else Alt(unique)
    return out


def _body(body):
    return body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else body


def _else(stmt) -> list:
    return [_body(stmt.orelse.body)] if stmt.orelse is not None else []


def _blocks(stmt):
    if isinstance(stmt, cst.If):
        yield _body(stmt.body)
        if stmt.orelse is not None:
            yield from _blocks(stmt.orelse) if isinstance(stmt.orelse, cst.If) else [_body(stmt.orelse.body)]
    elif isinstance(stmt, cst.Try):
        yield _body(stmt.body)
        for h in stmt.handlers:
            yield _body(h.body)


def _children(node):
    names = _FIELDS.get(type(node))
    if names is None:
        names = tuple(f.name for f in fields(node) if f.name not in _TRIVIA and not f.name.startswith("whitespace"))
        _FIELDS[type(node)] = names
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, cst.CSTNode))
