"""One read-only pass over a libcst module: fold names, classes, functions and calls into FileFacts."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from scopeplan.scanner import hints, positions
from scopeplan.scanner.facts import ClassFacts, FileFacts, FunctionFacts, Invoke, Loop
from scopeplan.scanner.flow import (
    blocks, body_of, bounded, children, else_of, map_lists, merge, merge_conditional, terminates)
from scopeplan.scanner.fold import STATE, Folder
from scopeplan.scanner.ir import Alt, Cat, Each, Expr, Glob, Guard, Index, Lit, Param, Result, SelfAttr, Seq, Unknown
from scopeplan.scanner.retry import is_retry
from scopeplan.scanner.signs import signs as _signs


def walk(module: cst.Module, path: str, name: str, text: str, package: bool = False) -> FileFacts:
    """Fold one parsed module into FileFacts; `text` is its source, for positions and hint comments."""
    walker = _Walker(module, name, package)
    walker.modulebody_of(module.body)
    lines = [line.rstrip("\r") for line in text.split("\n")]  # numbered as Python numbers them
    needed = [*walker.calls, *walker.line_nodes]
    where = positions.of(module, text, walker.wanted, needed) if walker.pending or walker.functions else {}

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
        invokes.append(Invoke(line, column, function, callee, args, kwargs, tuple(fix(loop) for loop in loops),
                              found, guards, state, positions.keyword_lines(node, where, line)))
    functions = tuple(replace(f, line=line_of(f.line), return_line=line_of(f.return_line) if f.return_line >= 0 else 0)
                      for f in walker.functions)
    problems = tuple(hints.problems(lines))
    signs = _signs(lines)
    return FileFacts(
        path=path,
        module=name,
        symbols=tuple(sorted(walker.module_env.items())),
        imports=tuple(sorted((local, Glob(dotted)) for local, dotted in walker.exported.items()
                             if local not in walker.module_env)),
        star_imports=tuple(walker.star_imports),
        classes=tuple(walker.classes),
        functions=functions,
        invokes=tuple(invokes),
        problems=problems,
        signs=signs,
    )




class _Scope:
    """Where the walker is: the function (or module) and class it is in, and local names."""

    def __init__(self, function: str, cls: str | None, env: dict[str, Expr], is_function: bool):
        self.function = function
        self.cls = cls
        self.env = env
        self.is_function = is_function
        self.returns: list[Expr] = []
        self.return_line: int | None = None  # an index into the walker's line nodes
        self.loops: tuple[Loop, ...] = ()
        self.guards: tuple[Guard, ...] = ()


class _Walker(Folder):
    """The statement half of the walk: scopes, assignments, branches, definitions, imports."""

    def __init__(self, module: cst.Module, name: str, package: bool):
        self.module = module
        self.name = name
        self.package = name if package else name.rpartition(".")[0]
        self.imports: dict[str, str] = {}
        self.exported: dict[str, str] = {}  # the imports at module level, which other modules may import again
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

    def modulebody_of(self, body) -> None:
        for stmt in body:  # names defined anywhere at top level resolve as module globals
            self._declare(stmt)
        self.exported = dict(self.imports)  # what the module's own imports bind: `from .client import Client`
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
            for child in blocks(stmt):
                for s in child:
                    self._declare(s)

    def block(self, body) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt) -> None:
        self.current = stmt  # calls found from here on belong to this statement (its header, if compound)
        kind = type(stmt)  # the parser's node types, compared by identity: isinstance on libcst's ABCs is slow
        if kind is cst.SimpleStatementLine:
            for small in stmt.body:
                self.small(small)
        elif kind is cst.FunctionDef:
            self.function(stmt)
        elif kind is cst.ClassDef:
            self.class_(stmt)
        elif kind is cst.If:
            self.if_(stmt)
        elif kind is cst.For:
            items = self.fold(stmt.iter)
            loop = Loop("for", self.line(stmt), items, retry=is_retry(stmt))
            self.branch([stmt.body.body, *else_of(stmt)], loop=loop, target=(stmt.target, Each(items)))
        elif kind is cst.While:
            self.fold(stmt.test)
            self.branch([stmt.body.body, *else_of(stmt)], loop=Loop("while", self.line(stmt), retry=is_retry(stmt)))
        elif kind is cst.With:
            for item in stmt.items:
                value = self.fold(item.item)
                if item.asname is not None:
                    self.assign(item.asname.name, value)
            self.block(body_of(stmt.body))
        elif kind is cst.Try or kind is cst.TryStar:
            self.block(body_of(stmt.body))
            self.branch([body_of(h.body) for h in stmt.handlers] + else_of(stmt))
            if stmt.finalbody:
                self.block(body_of(stmt.finalbody.body))
        else:
            self.generic(stmt)

    def small(self, small) -> None:
        kind = type(small)
        if kind is cst.Assign:
            value = self.fold(small.value)
            for target in small.targets:
                self.assign(target.target, value)
        elif kind is cst.AnnAssign:
            if small.value is not None:
                self.assign(small.target, self.fold(small.value))
        elif kind is cst.AugAssign:
            value = self.fold(small.value)
            if isinstance(small.operator, cst.AddAssign):
                self.assign(small.target, Cat((self.fold(small.target, record=False), value)))
            else:
                self.assign(small.target, Unknown(self.code(small.target)))
        elif kind is cst.Return:
            if small.value is not None:
                if not self.scope.returns:
                    self.scope.return_line = self.line(self.current)
                self.scope.returns.append(self.fold(small.value))
        elif kind is cst.Import or kind is cst.ImportFrom:
            self.import_(small)
        elif kind is cst.Expr:
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
        if current is None or isinstance(current, Unknown) or method in ("count", "index", "copy"):
            return
        args = [self.fold(a.value, record=False) for a in value.args]
        if method == "append" and len(args) == 1:
            changed = map_lists(current, lambda items: items + (args[0],))
        elif method == "extend" and len(args) == 1 and isinstance(args[0], Seq):
            changed = map_lists(current, lambda items: items + args[0].items)
        else:
            changed = None
        if changed is None:
            if map_lists(current, lambda items: items) is not None:  # a list changed in ways not followed
                self.scope.env[name] = Unknown(name, f"the list `{name}` is changed in ways scopeplan does not follow")
            return
        self.scope.env[name] = bounded(name, changed)

    def assign(self, target, value: Expr) -> None:
        if isinstance(target, cst.Name):
            self.scope.env[target.value] = value
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and self.scope.cls:
            if target.value.value in ("self", "cls") and self.scope.is_function:
                attrs = self.instance.setdefault(self.scope.cls, {})
                attrs.setdefault(target.attr.value, []).append(value)
                self.scope.env[STATE + target.attr.value] = value  # what calls after it in this method see
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
            ends.append(None if loop is None and terminates(body) else scope.env)
        scope.guards = outer_guards
        if tests and all(tests):  # an if/elif chain a caller's value may decide: keep which branch gave what
            merged = merge_conditional(before, ends, tests)
        else:
            merged = merge(before, ends, keep_before=loop is not None or len(bodies) < 2)
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

    def guard(self, test, record: bool = True) -> Guard | None:
        """Fold an `if` test; keep it as a Guard when it compares a value with strings."""
        folded = self.fold(test, record)
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
        self.block(body_of(node.body))
        returns, return_line = self.scope.returns, self.scope.return_line
        self.scope = outer
        self.functions.append(FunctionFacts(
            qualname=qualname, params=tuple(params), line=self.line(node),
            returns=(returns[0] if len(returns) == 1 else Alt(tuple(returns))) if returns else None,
            cls=outer.cls if in_class else None, decorators=tuple(decorators),
            return_line=-1 if return_line is None else return_line,
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
        self.block(body_of(node.body))
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
        for child in children(node):
            if isinstance(child, cst.BaseExpression):
                self.fold(child)
            elif isinstance(child, (cst.BaseStatement, cst.BaseSmallStatement)):
                self.statement(child) if isinstance(child, cst.BaseStatement) else self.small(child)
            else:
                self.generic(child)
