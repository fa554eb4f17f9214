"""The whole program: every file's facts indexed by qualified name, with names, attributes and calls.

Python semantics only: module lookup (with `src/` layouts by suffix), class attributes and methods
through the MRO (which continues into external bases such as `requests.Session`), `super()`, and
the project functions a call may reach. What an HTTP library or a Zoho SDK means is the models' part.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace

from scopeplan.model import Hole
from scopeplan.program.evaluate import Evaluator
from scopeplan.program import binding
from scopeplan.program.spelled import distinctive, hosts_only, literal, method_name
from scopeplan.program.strings import Text
from scopeplan.program.values import (
    EMPTY, ClassRef, Ctx, External, ExternalInstance, Function, Instance, Mapping, Module, Sequence, Span, SuperRef, Target,
    Value, Values,
)
from scopeplan.scanner.facts import ClassFacts, FileFacts, FunctionFacts, Invoke
from scopeplan.scanner.ir import Attr, Expr, GetAttr, Glob, Index, Lit, Param, Result, SelfAttr, Seq

Construction = tuple[FileFacts, Invoke, Target]  # a call `Cls(...)`, where, and the `__init__` it reaches

__all__ = ["EMPTY", "ClassRef", "Ctx", "External", "ExternalInstance", "Function", "Instance", "Mapping", "Module",
           "Project", "Sequence", "Span", "SuperRef", "Target", "Text", "Value", "Values", "method_name"]


class Project(Evaluator):
    """Every file's facts, indexed for lookups by qualified name."""

    def __init__(self, files: list[FileFacts], package: str | None = None):
        super().__init__()
        self.package = package  # the name of the scanned folder when it is a package itself (`zoho/__init__.py`)
        self.files = [f for f in files if f.error is None]
        self.modules = {f.module: f for f in self.files}
        self.symbols = {f.module: dict(f.symbols) for f in self.files}
        self.imported = {f.module: dict(f.imports) for f in self.files if f.imports}  # re-exports, by module
        self.stars = {f.module: f.star_imports for f in self.files if f.star_imports}  # `from .client import *`
        self.classes: dict[str, ClassFacts] = {c.qualname: c for f in self.files for c in f.classes}
        self.functions: dict[str, FunctionFacts] = {fn.qualname: fn for f in self.files for fn in f.functions}
        self._instance = {name: dict(c.instance) for name, c in self.classes.items()}  # what `__init__` sets on self
        self._attrs = {name: dict(c.attrs) for name, c in self.classes.items()}  # class attributes
        self._suffix: dict[str, str | None] = {}
        for name in self.modules:
            parts = name.split(".")
            for i in range(1, len(parts)):
                tail = ".".join(parts[i:])
                self._suffix[tail] = None if tail in self._suffix else name  # None: ambiguous
        self.callers: object = None  # sites.follow's index of callers, once built
        self.chosen: object = None  # models.zoho_sdk's choice of SDK package per import root, once made
        self._constructions: dict[str, list[Construction]] | None = None  # `__init__` -> the calls reaching it
        self._building = False
        self._named: dict[str, list[str]] | None = None  # method name -> the classes defining it
        self._by_names: dict[str, list[Target]] = {}  # method name -> what a call of it on an untyped object reaches
        self._mro: dict[str, list[ClassFacts]] = {}
        self._mro_names: dict[str, frozenset[str]] = {}
        self._method_prefix: dict[str, str] = {}  # class -> "module:Class." its methods are named by ("": none)
        self._subclasses: dict[str, list[str]] | None = None  # class -> its project subclasses
        self._constructor: dict[str, Target | None] = {}  # class -> `_static_init`
        self._split: dict[str, tuple[str | None, tuple[str, ...]]] = {}  # dotted name -> its module and the names after
        self._star_sources: dict[str, tuple[list[str], list[str]]] = {}  # module -> what `_stars_of` says
        self._exported: dict[str, frozenset[str] | None] = {}  # module -> its literal `__all__` (None: none)

    def module(self, name: str) -> str | None:
        """The project module a dotted name refers to (`crm_sync.settings`, or its `src.`-less tail)."""
        if name in self.modules:
            return name
        found = self._suffix.get(name)
        if found is None and self.package and name.split(".", 1)[0] == self.package:
            # the scanned folder is the package: `zoho.crm.client` is its `crm/client.py`, `zoho` its `__init__`
            rest = name[len(self.package) + 1:] or "__init__"
            return rest if rest in self.modules else self._suffix.get(rest)
        return found

    # -- names --------------------------------------------------------------------------------------

    def lookup(self, qualname: str, depth: int = 0) -> Values:
        """What a dotted global name is: a constant's value, a class, a function, or an external name."""
        known = self._split.get(qualname)
        if known is None:
            known = self._split[qualname] = self._module_of(qualname)
        module, rest = known
        if module is None:
            return [External(qualname)]
        if not rest:
            return [Module(module)]
        values = self._member(module, rest[0], depth)
        for name in rest[1:]:
            values = [v for value in values for v in self.attribute(value, name, depth + 1)]
        return values

    def _module_of(self, qualname: str) -> tuple[str | None, tuple[str, ...]]:
        """The project module of the longest prefix of a dotted name that is one, and the names after it."""
        parts = qualname.split(".")
        for i in range(len(parts), 0, -1):
            module = self.module(".".join(parts[:i]))
            if module is not None:
                return module, tuple(parts[i:])
        return None, ()

    def _member(self, module: str, name: str, depth: int) -> Values:
        found = self._defined(module, name, depth, frozenset())
        if found is not None:
            return found
        dotted = f"{module}.{name}"
        inner = self.module(dotted)
        if inner:
            return [Module(inner)]
        return [Text((Hole(name, f"`{dotted}` is not defined in the project"),))]

    def _defined(self, module: str, name: str, depth: int, seen: frozenset[str]) -> Values | None:
        """What the top level of `module` binds `name` to: a class, a function, a constant, an import, or a
        name `from M import *` takes from M (the last M that exports it); None when nothing binds it."""
        dotted = f"{module}.{name}"
        if dotted in self.classes:
            return [ClassRef(self.classes[dotted])]
        function = self.functions.get(f"{module}:{name}")
        if function is not None:
            return [Function(function)]
        symbols = self.symbols.get(module, {})
        if name in symbols:
            return self.evaluate(symbols[name], EMPTY, depth + 1)
        bound = self.imported.get(module, {}).get(name)
        if bound is not None:  # `from .client import fetch` in `crm/__init__.py`: `crm.fetch` is that function
            return self.evaluate(bound, EMPTY, depth + 1)
        sources, outside = self._star_sources.get(module) or self._stars_of(module)
        for source in sources:  # `from .client import *`: a later one binds over an earlier one
            if source not in seen and source != module and self._exports(source, name):
                found = self._defined(source, name, depth + 1, seen | {module})
                if found is not None:
                    return found
        if len(outside) == 1 and not name.startswith("_"):  # `from zcrmsdk import *`: that library's name
            return [External(f"{outside[0]}.{name}")]
        return None

    def _stars_of(self, module: str) -> tuple[list[str], list[str]]:
        """The project modules `module` star-imports, last first, and the star imports from outside the project."""
        stars = [(star, self.module(star)) for star in self.stars.get(module, ())]
        found = self._star_sources[module] = ([source for _, source in reversed(stars) if source is not None],
                                              [star for star, source in stars if source is None])
        return found

    def _exports(self, module: str, name: str) -> bool:
        """Whether `from module import *` binds `name`: listed in its `__all__` when that is a literal list,
        else any name not starting with `_`."""
        if module not in self._exported:
            listed = self.symbols.get(module, {}).get("__all__")
            self._exported[module] = (frozenset(item.text for item in listed.items if isinstance(item, Lit))
                                      if isinstance(listed, Seq) and all(isinstance(i, Lit) for i in listed.items)
                                      else None)
        exported = self._exported[module]
        return name in exported if exported is not None else not name.startswith("_")

    def attribute(self, value: Value, name: str, depth: int) -> Values:
        """`value.name`."""
        if isinstance(value, Text) and name == "value":
            return [value]  # `Module.LEADS.value`: an enum member's value is the constant it was given
        if isinstance(value, Module):
            return self.lookup(f"{value.name}.{name}", depth)
        if isinstance(value, External):
            return [External(f"{value.name}.{name}")]
        if isinstance(value, (ClassRef, Instance)):
            qualname = value.facts.qualname
            ctx = value.ctx if isinstance(value, Instance) else Ctx(self_cls=qualname)
            found = self.class_member(qualname, name, ctx, depth, instance=isinstance(value, Instance))
            if found is not None:
                return found
        return [Text((Hole(name, f"attribute `{name}` of a value scopeplan cannot follow"),))]

    # -- classes ------------------------------------------------------------------------------------

    def is_enum(self, cls: ClassFacts) -> bool:
        """A class deriving from enum.Enum (or StrEnum, IntEnum...)."""
        for base in cls.bases:
            if isinstance(base, Glob):
                for value in self.lookup(base.qualname):
                    if isinstance(value, External) and value.name.startswith("enum."):
                        return True
                    if isinstance(value, ClassRef) and self.is_enum(value.facts):
                        return True
        return False

    def mro(self, qualname: str) -> list[ClassFacts]:
        """The class and its project bases, depth first, each once."""
        known = self._mro.get(qualname)
        if known is not None:
            return known
        out: list[ClassFacts] = []
        todo, seen = [qualname], set()
        while todo:
            name = todo.pop(0)
            cls = self.classes.get(name)
            if cls is None or name in seen:
                continue
            seen.add(name)
            out.append(cls)
            for base in cls.bases:
                if isinstance(base, Glob):
                    todo.extend(v.facts.qualname for v in self.lookup(base.qualname) if isinstance(v, ClassRef))
        self._mro[qualname] = out
        return out

    def mro_names(self, qualname: str) -> frozenset[str]:
        """The qualified names of `mro(qualname)`."""
        known = self._mro_names.get(qualname)
        if known is None:
            known = self._mro_names[qualname] = frozenset(c.qualname for c in self.mro(qualname))
        return known

    def external_bases(self, qualname: str) -> list[str]:
        """The classes from outside the project that a project class derives from (`requests.Session`)."""
        return [v.name for cls in self.mro(qualname) for base in cls.bases if isinstance(base, Glob)
                for v in self.lookup(base.qualname) if isinstance(v, External)]

    def method_names(self, qualname: str, pattern: Text) -> list[str]:
        """Methods of a class (and its project bases) whose names fit a name with holes (`"generic_" + x`).

        A name wholly known only at run time reaches the public methods: a private one (`_send`) is named
        by the code that calls it, not looked up by a name from outside.
        """
        regex = re.compile("".join(re.escape(p) if isinstance(p, str) else r"\w*" for p in pattern.parts))
        public = not any(isinstance(p, str) and p for p in pattern.parts)
        return sorted({m for cls in self.mro(qualname) for m in cls.methods
                       if regex.fullmatch(m) and not (public and m.startswith("_"))})

    def class_member(self, qualname: str, name: str, ctx: Ctx, depth: int, instance: bool = True,
                     after: str | None = None) -> Values | None:
        """An attribute or method of a class as seen from `ctx.self_cls` (subclass overrides first).

        `after` skips the classes up to and including it: what `super()` inside that class sees.
        """
        self._note("read_on", qualname)  # a subclass or a caller's object may answer otherwise
        start = ctx.self_cls or qualname
        chain = self.mro(start)
        if qualname not in self.mro_names(start):
            chain = self.mro(qualname)
        if after is not None:
            names = [c.qualname for c in chain]
            chain = chain[names.index(after) + 1:] if after in names else chain[1:]
        if instance:
            set_by_caller = ctx.attribute(name)
            if set_by_caller is not None:  # `self.method = "getRecords"` just before `self._call()`
                return self.evaluate(set_by_caller[0], set_by_caller[1], depth + 1)
        for cls in chain:
            if instance:
                attrs = self._instance[cls.qualname]
                if name in attrs:
                    return (self.stored(attrs[name], start, ctx, depth + 1)
                            or self.evaluate(attrs[name], ctx, depth + 1))
            if name in cls.methods:
                function = self._method(cls.qualname, name)
                if function is not None and instance and _is_property(function):
                    if function.returns is None:  # a property that returns nothing scopeplan can see
                        return [Text((Hole(name, f"property `{name}` returns nothing scopeplan can follow"),))]
                    return self.evaluate(function.returns, Ctx(ctx.bindings, start, ctx.state), depth + 1)
                if function is not None:
                    return [Function(function, ctx, start)]
            attrs = self._attrs[cls.qualname]
            if name in attrs:
                mine = self.evaluate(attrs[name], ctx, depth + 1)
                overriding = self._overriding(start, name) if instance else []
                if not overriding:
                    return mine
                # `self.BASE` or `self._module_name` in a base class whose subclasses set it too: any of them
                # may be the object. Hosts of one API (`zohoapis.com`, `.eu`) are alternatives; anything else
                # depends on the object's class, which the code using the classes decides
                values = mine + [v for c in overriding
                                 for v in self.evaluate(self._attrs[c][name], ctx, depth + 1)]
                if hosts_only(values):
                    return list(dict.fromkeys(values))
                return [Text((Hole(name, f"`self.{name}` depends on which subclass of `{start.rsplit('.', 1)[-1]}` "
                                   f"the object is ({len(overriding)} set it)"),))]
        return None

    def _overriding(self, qualname: str, name: str) -> list[str]:
        """The project subclasses of a class that set the class attribute `name` themselves."""
        if self._subclasses is None:
            below: dict[str, list[str]] = defaultdict(list)
            for cls in self.classes:
                for base in self.mro(cls)[1:]:
                    below[base.qualname].append(cls)
            self._subclasses = dict(below)
        return [c for c in self._subclasses.get(qualname, []) if name in self._attrs[c]]

    def stored(self, expr: Expr, cls: str, ctx: Ctx, depth: int) -> Values:
        """The objects an `__init__` parameter kept on `self` (`self._request = request`) may be, when `ctx`
        does not bind it: what the project's calls constructing a `cls` (or a subclass) pass to it (a bound
        method, a function, an instance); a sibling subclass sharing the `__init__` is another object.

        Only objects: a string kept from a parameter is still decided by the callers of the method that reads it,
        where the site is placed. Empty when no constructor call passes an object.
        """
        if not (isinstance(expr, Param) and expr.function.endswith(".__init__")) or ctx.bound(expr.function, expr.name):
            return []
        out: Values = []
        for _facts, invoke, target in self.constructions(expr.function):
            if target.cls is None or cls not in self.mro_names(target.cls.qualname):
                continue
            inner = self.bind(target, invoke.args, invoke.kwargs, EMPTY, invoke.state)
            if inner.bound(expr.function, expr.name) is not None:  # a caller relying on the default adds nothing
                out.extend(v for v in self.evaluate(expr, inner, depth + 1) if not isinstance(v, Text))
        return list(dict.fromkeys(out))

    def constructions(self, init: str) -> list[Construction]:
        """The calls `Cls(...)` of the project that run the `__init__` named `init` (`pkg.mod:Client.__init__`)."""
        if self._constructions is None:
            if self._building:
                return []  # asked while the index is built: nothing is known yet
            self._constructions = self._index_constructions()
        return self._constructions.get(init, [])

    def _index_constructions(self) -> dict[str, list[Construction]]:
        """Every constructor call by the `__init__` it runs, built once, outside any evaluation in progress:
        its evaluations count no work against the question being asked, note nothing, and are forgotten."""
        saved = (self._frames, self._work, set(self.unbound), set(self.defaulted), set(self.expanded),
                 set(self.read_on))
        self._frames, self._building = [], True
        index: dict[str, list[Construction]] = defaultdict(list)
        try:
            for facts in self.files:
                for invoke in facts.invokes:
                    if not isinstance(invoke.callee, Glob):
                        continue
                    for value in self.lookup(invoke.callee.qualname):
                        if isinstance(value, ClassRef):
                            for target in self._target(value, None):
                                if target.function is not None:
                                    index[target.function.qualname].append((facts, invoke, target))
        finally:
            self._frames, self._work = saved[0], saved[1]
            self.unbound, self.defaulted, self.expanded, self.read_on = saved[2], saved[3], saved[4], saved[5]
            self._building = False
            self._memo.clear()  # answers given while the index was missing are not the final ones
        return dict(index)

    def _method(self, cls: str, name: str) -> FunctionFacts | None:
        prefix = self._method_prefix.get(cls)
        if prefix is None:
            module = next((m for m in _prefixes(cls) if m in self.modules), None)
            prefix = self._method_prefix[cls] = "" if module is None else f"{module}:{cls[len(module) + 1:]}."
        return self.functions.get(prefix + name) if prefix else None

    # -- calls between project functions --------------------------------------------------------------

    def targets(self, callee: Expr, ctx: Ctx = EMPTY, depth: int = 0) -> list[Target]:
        """The project functions (or classes, for constructors) a call may reach."""
        if isinstance(callee, Glob):
            return [t for v in self.lookup(callee.qualname, depth) for t in self._target(v, None)]
        if isinstance(callee, SelfAttr) and callee.name:
            values = self.class_member(callee.cls, callee.name, ctx, depth) or []
            return self._callees(values, ctx.self_cls or callee.cls, ctx, via_self=True)
        if isinstance(callee, GetAttr):  # `getattr(self, "generic_" + action)(...)`: each method it may name
            out: list[Target] = []
            own = isinstance(callee.value, SelfAttr) and not callee.value.name
            for name in self.strings(callee.name, ctx, depth + 1):
                fixed = literal(name)
                for base in self.evaluate(callee.value, ctx, depth + 1):
                    if not isinstance(base, (Instance, ClassRef)):
                        continue
                    members = [fixed] if fixed is not None else self.method_names(base.facts.qualname, name)
                    for member in members:
                        named: Expr = (SelfAttr(callee.value.cls, member) if own and isinstance(callee.value, SelfAttr)
                                       else Attr(callee.value, member))
                        out.extend(self.targets(named, ctx, depth + 1))
            return list(dict.fromkeys(out))
        if isinstance(callee, Attr):
            found: list[Target] = []
            bases = self.evaluate(callee.value, ctx, depth + 1)
            for base in bases:
                if isinstance(base, SuperRef):
                    values = self.class_member(base.cls, callee.name, base.ctx, depth + 1, after=base.cls) or []
                    found.extend(replace(t, via_self=True) for v in values for t in self._target(v, base.ctx))
                elif isinstance(base, (Instance, ClassRef)):
                    own_ctx = base.ctx if isinstance(base, Instance) else Ctx(self_cls=base.facts.qualname)
                    values = self.class_member(base.facts.qualname, callee.name, own_ctx, depth + 1,
                                               instance=isinstance(base, Instance)) or []
                    found.extend(self._callees(values, own_ctx.self_cls or base.facts.qualname,
                                               base.ctx if isinstance(base, Instance) else None))
            if not found and bases and all(isinstance(b, Text) for b in bases):  # `client.api_fetch(...)`, untyped
                found = self._by_name(callee.name)
            return found
        if isinstance(callee, (Index, Result)):  # `STREAMS[name](client)`, `type(name, bases, attrs)(client)`
            return list(dict.fromkeys(t for v in self.evaluate(callee, ctx, depth + 1) for t in self._target(v, None)))
        return []

    def _by_name(self, name: str) -> list[Target]:
        """The method a call on an object of unknown type reaches when one project class hierarchy alone
        defines a method of that distinctive name (`api_fetch`, not `get`): the object's class is the one
        the callers of the code were written for."""
        if self._named is None:
            named: dict[str, set[str]] = defaultdict(set)
            for cls in self.classes.values():
                for method in cls.methods:
                    named[method].add(cls.qualname)
            self._named = {m: sorted(c) for m, c in named.items()}
        if name in self._by_names:
            return self._by_names[name]
        owners = self._named.get(name, []) if distinctive(name) else []
        mine = set(owners)
        roots = [c for c in owners if not any(k.qualname in mine for k in self.mro(c)[1:])]
        function = self._method(roots[0], name) if len(roots) == 1 else None
        found = []
        if function is not None:
            bound = bool(function.params) and function.params[0].name in ("self", "cls")
            found = [Target(function, roots[0], int(bound), None, None)]
        self._by_names[name] = found
        return found

    def _callees(self, values: Values, cls: str, receiver: Ctx | None, via_self: bool = False) -> list[Target]:
        """The targets of calling `obj.name` where `obj.name` is `values`: a method of `cls` is called on the
        object; a callable the object only holds (`self._request = client._request_crm`) keeps its own `self`."""
        out: list[Target] = []
        for value in values:
            if isinstance(value, Function) and value.self_cls != cls:
                out.extend(replace(t, held=True) for t in self._target(value, value.ctx))
            else:
                out.extend(replace(t, via_self=True) if via_self else t for t in self._target(value, receiver))
        return out

    def _target(self, value: Value, receiver: Ctx | None) -> list[Target]:
        if isinstance(value, Function):
            fn = value.facts
            bound = bool(fn.params) and fn.params[0].name in ("self", "cls") and fn.cls is not None
            return [Target(fn, value.self_cls or (receiver.self_cls if receiver else None), int(bound), receiver, None)]
        if isinstance(value, ClassRef):
            cls = value.facts
            if value.extra is None and self.classes.get(cls.qualname) is cls:
                if cls.qualname not in self._constructor:
                    self._constructor[cls.qualname] = self._static_init(cls)
                made_by = self._constructor[cls.qualname]
                if made_by is not None:  # what class_member would find, and the one note it would make
                    self._note("read_on", cls.qualname)
                    return [made_by]
            init = self.class_member(cls.qualname, "__init__", Ctx(self_cls=cls.qualname), 0, instance=False)
            init_fn = init[0].facts if init and isinstance(init[0], Function) else None
            made = None if value.extra is None else Ctx(self_cls=cls.qualname, state=tuple(
                ((cls.qualname, key), (expr, value.extra.ctx)) for key, expr in value.extra.items))
            return [Target(init_fn, cls.qualname, 1, made, cls)]
        return []

    def _static_init(self, cls: ClassFacts) -> Target | None:
        """The target of calling a class of the project whose `__init__` is a method (or that has none), as
        class_member finds it; None when a class attribute named `__init__` comes first (its value is evaluated)."""
        for base in self.mro(cls.qualname):
            if "__init__" in base.methods:
                function = self._method(base.qualname, "__init__")
                if function is not None:
                    break
            if "__init__" in self._attrs[base.qualname]:
                return None
        else:
            function = None
        return Target(function, cls.qualname, 1, None, cls)

    def bind(self, target: Target, args: tuple[Expr, ...], kwargs: tuple[tuple[str, Expr], ...],
             caller: Ctx, state: tuple[tuple[str, Expr], ...] = ()) -> Ctx:
        """The context a call creates (`program/binding.py`)."""
        return binding.bind(target, args, kwargs, caller, state)


_PROPERTIES = ("property", "functools.cached_property", "cached_property", "builtins.property")


def _is_property(function: FunctionFacts) -> bool:
    """`@property` (or `cached_property`): reading the attribute calls the method and gives its value."""
    return any(d in _PROPERTIES for d in function.decorators)


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
