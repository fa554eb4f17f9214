#!/usr/bin/env python3
"""Rebuild scopeplan/data/zcrmsdk_legacy.json: what each method of the original zcrmsdk (1.x, 2.x) calls.

    python tools/build_zcrmsdk_legacy.py [--wheel-dir DIR] [--out FILE]

Stdlib only. Downloads (``pip download --no-deps``) the releases in RELEASES and reads them with ``ast``;
the SDK is never imported. In these SDKs a public method (``ZCRMRecord.update``) hands its object to a
handler (``EntityAPIHandler.get_instance(self).update_record()``), and the handler sets
``handler_ins.request_url_path`` and ``request_method`` before ``APIRequest(handler_ins)`` sends it to
``https://<apiBaseUrl>/crm/<apiVersion>/<path>``. So each public method of each class is executed
symbolically: constructor parameters and method arguments are symbols, SDK objects are built by running
their ``__init__``, a branch the symbols cannot decide is followed both ways, and every ``APIRequest(h)``
reached records ``h``'s method and path, each symbol of the path becoming a ``{placeholder}``. Rows name the
file and line of the public method and of the handler's ``request_url_path``. Anything the executor does
not understand inside a path is an error: a new release cannot silently produce a wrong table, and every
``APIRequest(...)`` in Handler.py must be reached by some public method.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "scopeplan" / "data" / "zcrmsdk_legacy.json"
# The last 1.0.x (2018) and 2.0.11, the 2.x release most 2019-2020 code pinned. Later 2.0.x releases are
# checked to make the same requests, so one table row stands for them (SAME_AS).
RELEASES = ("1.0.9", "2.0.11")
SAME_AS = {"2.0.14": "2.0.11"}
PUBLIC_FILES = ("Operations.py", "Org.py", "RestClient.py", "Handler.py")
MAX_PATHS = 4096

# Symbol name (a parameter of the SDK, possibly through attributes) -> placeholder kind, as in sdk_extract.py
# for the generated SDKs: an unknown name is an error, so that a human looks at it.
KINDS = {
    "module_apiname": "module", "module_api_name": "module", "parentmodule_apiname_or_parentrecord": "module",
    "related_list_apiname_or_junction_record": "related_list", "relatedlist_api_name": "related_list",
    "junction_record.api_name": "related_list",
    # The handlers themselves (EntityAPIHandler(record), MassEntityAPIHandler(module), ...), called directly:
    # the placeholder is an attribute of the SDK object given to the handler's constructor.
    "module_api_name": "module", "api_name": "module", "module_instance.api_name": "module",
    "related_lists.api_name": "related_list",
}
_ID = re.compile(r"(^|[._])(entity_?id|entityID|id|\w+_id|\w+id)$")


class ExtractionError(RuntimeError):
    """A construct the executor does not understand, where it matters."""


class Dead(Exception):
    """This path raises in the SDK (an attribute of None, an explicit raise): it makes no request."""


# -- values -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sym:
    """What the caller gives: `ctor.<param>` or `arg.<param>`, possibly followed by attributes."""

    name: str


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Cat:
    parts: tuple


@dataclass(frozen=True)
class Ref:
    """An SDK object on the heap."""

    cls: str
    oid: int


@dataclass(frozen=True)
class Cls:
    name: str


class _Unk:
    def __repr__(self) -> str:
        return "?"


UNK = _Unk()
FALL = "fall"  # a statement that does not return
BOUND, QUERY = "\0bound", "\0query"  # heap keys: the constructor's arguments; a handler's literal parameters
NONE = Lit("\0None")


@dataclass
class State:
    env: dict
    heap: dict  # oid -> {field: value}
    requests: list = field(default_factory=list)

    def fork(self) -> "State":
        return State(dict(self.env), {k: dict(v) for k, v in self.heap.items()}, list(self.requests))


# -- reading the wheel --------------------------------------------------------------------------------

@dataclass
class ClassDef:
    name: str
    file: str
    node: ast.ClassDef
    bases: list
    methods: dict  # name -> ast.FunctionDef
    attrs: dict  # class-level literal constants


def read_classes(root: Path) -> dict[str, ClassDef]:
    classes: dict[str, ClassDef] = {}
    for path in sorted(root.glob("*.py")):
        if path.name.startswith("Test"):
            continue
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name not in classes:
                methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
                attrs = {t.id: s.value.value for s in node.body if isinstance(s, ast.Assign)
                         for t in s.targets if isinstance(t, ast.Name) and isinstance(s.value, ast.Constant)}
                bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
                classes[node.name] = ClassDef(node.name, path.name, node, bases, methods, attrs)
    return classes


# -- the executor -------------------------------------------------------------------------------------

class Executor:
    """Runs SDK methods on symbols, path by path."""

    def __init__(self, classes: dict[str, ClassDef]):
        self.classes = classes
        self.next_oid = 0
        self.reached: set[int] = set()  # lines of APIRequest(...) some public method reaches
        self.depth = 0
        self.requesting, self.url_names = _requesting(classes)

    def method(self, cls: str, name: str) -> ast.FunctionDef | None:
        while cls in self.classes:
            found = self.classes[cls].methods.get(name)
            if found is not None:
                return found
            bases = self.classes[cls].bases
            cls = bases[0] if bases else ""
        return None

    def new(self, state: State, cls: str, args: list, kwargs: dict) -> list[tuple[State, object]]:
        self.next_oid += 1
        ref = Ref(cls, self.next_oid)
        state.heap[ref.oid] = {}
        init = self.method(cls, "__init__") if cls != "APIHandler" else None
        if cls == "APIHandler":
            state.heap[ref.oid] = {"request_url_path": NONE, "request_method": NONE, BOUND: {}, QUERY: ()}
        if init is None:
            return [(state, ref)]
        names = [a.arg for a in init.args.args[1:]]
        state.heap[ref.oid][BOUND] = {**dict(zip(names, args)), **{k: v for k, v in kwargs.items() if k in names}}
        return [(s, ref) for s, _ in self.call(state, init, ref, args, kwargs)]

    def call(self, state: State, fn: ast.FunctionDef, self_value, args: list, kwargs: dict):
        """Every (state, return value) of running `fn`."""
        self.depth += 1
        if self.depth > 30:
            raise ExtractionError(f"recursion in {fn.name}")
        try:
            saved = state.env
            params = [a.arg for a in fn.args.args]
            defaults = [None] * (len(params) - len(fn.args.defaults)) + list(fn.args.defaults)
            env = {}
            offset = 0
            if params and params[0] in ("self", "cls") and not _is_static(fn):
                env[params[0]] = self_value
                offset = 1
            for i, name in enumerate(params[offset:], offset):
                j = i - offset
                if j < len(args):
                    env[name] = args[j]
                elif name in kwargs:
                    env[name] = kwargs[name]
                elif defaults[i] is not None:
                    env[name] = self.literal(defaults[i])
                else:
                    env[name] = UNK
            state.env = env
            out = []
            for s, outcome in self.block(state, fn.body):
                s.env = dict(saved)  # forks must not share the caller's names
                out.append((s, outcome[1] if outcome is not FALL else NONE))
            return out
        finally:
            self.depth -= 1

    def literal(self, node) -> object:
        if isinstance(node, ast.Constant):
            return NONE if node.value is None else Lit(str(node.value)) if isinstance(node.value, str) else UNK
        return UNK

    # statements: every path yields (state, FALL) to go on, or (state, ("return", value))

    def block(self, state: State, body: list):
        """(state, outcome) for every path through `body`."""
        paths, done = [state], []
        for stmt in body:
            nxt = []
            for s in paths:
                try:
                    outcomes = self.stmt(s, stmt)
                except Dead:  # this path raises here: it sends nothing further
                    continue
                for s2, outcome in outcomes:
                    if outcome is FALL:
                        nxt.append(s2)
                    else:
                        done.append((s2, outcome))
            if len(nxt) > MAX_PATHS:
                raise ExtractionError(f"more than {MAX_PATHS} paths at line {stmt.lineno}")
            paths = nxt
        return done + [(s, FALL) for s in paths]

    def stmt(self, state: State, stmt):
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                return [(state, ("return", NONE))]
            return [(s, ("return", v)) for s, v in self.expr(state, stmt.value)]
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass, ast.FunctionDef, ast.ClassDef, ast.Global)):
            return [(state, FALL)]
        if isinstance(stmt, ast.Raise):
            return []
        if isinstance(stmt, ast.Expr):
            return [(s, FALL) for s, _ in self.expr(state, stmt.value)]
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            return self.assign(state, stmt)
        if isinstance(stmt, ast.Try):  # the handlers only re-raise or log
            return self.block(state, stmt.body)
        if isinstance(stmt, ast.If):
            out = []
            for s, verdict in self.test(state, stmt.test):
                if verdict is None and not self.relevant(stmt):
                    out.append((s, FALL))  # reading a response or building a body: no request either way
                elif verdict is None:
                    out.extend(self.block(s.fork(), stmt.body))
                    out.extend(self.block(s, stmt.orelse))
                else:
                    out.extend(self.block(s, stmt.body if verdict else stmt.orelse))
            return out
        if isinstance(stmt, (ast.For, ast.While, ast.With)):
            if any(_is_request(n) for n in ast.walk(stmt)):
                raise ExtractionError(f"an APIRequest inside a loop or with at line {stmt.lineno}")
            return [(state, FALL)]  # loops build request bodies or read responses: never the path
        raise ExtractionError(f"statement {type(stmt).__name__} at line {stmt.lineno}")

    def assign(self, state: State, stmt):
        value = stmt.value
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if value is None:
            return [(state, FALL)]
        out = []
        for s, v in self.expr(state, value):
            if isinstance(stmt, ast.AugAssign):
                v = UNK
            for target in targets:
                if isinstance(target, ast.Name):
                    s.env[target.id] = v
                elif isinstance(target, ast.Attribute):
                    for s2, obj in self.expr(s, target.value):
                        if isinstance(obj, Ref):
                            s2.heap[obj.oid][target.attr] = v
                        elif target.attr in ("request_url_path", "request_method"):
                            raise ExtractionError(f"cannot follow the handler at line {stmt.lineno}")
            out.append((s, FALL))
        return out

    def test(self, state: State, node) -> list[tuple[State, bool | None]]:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            out = []
            for s, v in self.expr(state, node.args[0]):
                kinds = node.args[1]
                names = [e.id for e in kinds.elts] if isinstance(kinds, ast.Tuple) else [getattr(kinds, "id", "")]
                if isinstance(v, Ref):
                    out.append((s, any(self.subclass(v.cls, n) for n in names)))
                elif isinstance(v, Sym) and any(n in self.classes for n in names):
                    out.append((s, None))  # the caller may give an SDK object or a name: both ways
                else:
                    out.append((s, False))
            return out
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)) \
                and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None:
            out = []
            for s, v in self.expr(state, node.left):
                is_none = True if v == NONE else False if isinstance(v, (Ref, Lit, Cat)) else None
                out.append((s, is_none if is_none is None or isinstance(node.ops[0], ast.Is) else not is_none))
            return out
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return [(s, None if v is None else not v) for s, v in self.test(state, node.operand)]
        return [(state, None)]

    def relevant(self, stmt: ast.If) -> bool:
        """Whether an undecided `if` may change a request: a type test, or branches that return, raise,
        may send a request, set a handler's path or method, or assign a name some path is built from."""
        if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "isinstance"
               for n in ast.walk(stmt.test)):
            return True
        for n in (n for part in (stmt.body, stmt.orelse) for b in part for n in ast.walk(b)):
            if isinstance(n, (ast.Return, ast.Raise)) or _is_request(n):
                return True
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in self.requesting:
                return True
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and n.attr.startswith("request_"):
                return True
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in self.url_names:
                return True
        return False

    def subclass(self, cls: str, name: str) -> bool:
        while cls:
            if cls == name:
                return True
            bases = self.classes[cls].bases if cls in self.classes else []
            cls = bases[0] if bases else ""
        return False

    # expressions

    def expr(self, state: State, node) -> list[tuple[State, object]]:
        if isinstance(node, ast.Constant):
            return [(state, self.literal(node))]
        if isinstance(node, ast.Name):
            if node.id in state.env:
                return [(state, state.env[node.id])]
            return [(state, Cls(node.id) if node.id in self.classes or node.id == "APIRequest" else UNK)]
        if isinstance(node, ast.Attribute):
            out = []
            for s, v in self.expr(state, node.value):
                out.append((s, self.attribute(s, v, node.attr)))
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            out = []
            for s, left in self.expr(state, node.left):
                for s2, right in self.expr(s, node.right):
                    out.append((s2, _cat(left, right)))
            return out
        if isinstance(node, ast.Call):
            return self.invoke(state, node)
        return [(state, UNK)]

    def attribute(self, state: State, value, name: str):
        if isinstance(value, Ref):
            fields = state.heap[value.oid]
            if name in fields:
                return fields[name]
            attrs = self.classes[value.cls].attrs if value.cls in self.classes else {}
            return Lit(attrs[name]) if isinstance(attrs.get(name), str) else UNK
        if isinstance(value, Sym):
            return Sym(f"{value.name}.{name}")
        if isinstance(value, Cls):
            attrs = self.classes[value.name].attrs if value.name in self.classes else {}
            return Lit(attrs[name]) if isinstance(attrs.get(name), str) else UNK
        if value == NONE:
            raise Dead()
        return UNK

    def invoke(self, state: State, node: ast.Call) -> list[tuple[State, object]]:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "str" and len(node.args) == 1:
            return self.expr(state, node.args[0])
        paths = [(state, [], {})]
        for arg in node.args:
            paths = [(s2, [*a, v], k) for s, a, k in paths for s2, v in self.expr(s, arg)]
        for kw in node.keywords:
            if kw.arg is not None:
                paths = [(s2, a, {**k, kw.arg: v}) for s, a, k in paths for s2, v in self.expr(s, kw.value)]
        out = []
        for s, args, kwargs in paths:
            if isinstance(func, ast.Name):
                target = s.env.get(func.id, Cls(func.id) if func.id in self.classes or func.id == "APIRequest" else UNK)
                out.extend(self.construct(s, target, args, kwargs, node))
                continue
            if not isinstance(func, ast.Attribute):
                out.append((s, UNK))
                continue
            for s2, receiver in self.expr(s, func.value):
                out.extend(self.method_call(s2, receiver, func.attr, args, kwargs))
        return out

    def construct(self, state: State, target, args, kwargs, node):
        if isinstance(target, Cls) and target.name == "APIRequest":
            handler = args[0] if args else None
            if not isinstance(handler, Ref):
                raise ExtractionError(f"APIRequest of an unknown handler at line {node.lineno}")
            fields = state.heap[handler.oid]
            state.requests.append((fields.get("request_method"), fields.get("request_url_path"), fields[QUERY],
                                   node.lineno))
            self.reached.add(node.lineno)
            return [(state, UNK)]
        if isinstance(target, Cls) and target.name in self.classes:
            return self.new(state, target.name, args, kwargs)
        return [(state, UNK)]

    def method_call(self, state: State, receiver, name: str, args, kwargs):
        if isinstance(receiver, Ref) and receiver.cls == "APIHandler" and name == "add_param":
            if len(args) == 2 and all(isinstance(a, Lit) and a != NONE for a in args):
                fields = state.heap[receiver.oid]
                fields[QUERY] = (*fields[QUERY], f"{args[0].text}={args[1].text}")
            return [(state, UNK)]
        if isinstance(receiver, Cls) and receiver.name in self.classes:
            fn = self.method(receiver.name, name)
            if fn is not None and _is_static(fn):
                return self.call(state, fn, None, args, kwargs)
            return [(state, UNK)]
        if isinstance(receiver, Ref):
            fn = self.method(receiver.cls, name)
            if fn is not None:
                return self.call(state, fn, receiver, args, kwargs)
        return [(state, UNK)]


def _requesting(classes: dict[str, ClassDef]) -> tuple[set[str], set[str]]:
    """Method names that may reach an APIRequest (by name, to a fixpoint), and names paths are built from."""
    bodies = [(name, fn) for c in classes.values() for name, fn in c.methods.items()]
    names: set[str] = set()
    url_names: set[str] = set()
    for _, fn in bodies:
        for n in ast.walk(fn):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "request_url_path"
                                                 for t in n.targets):
                url_names.update(m.id for m in ast.walk(n.value) if isinstance(m, ast.Name))
    while True:
        more = {name for name, fn in bodies if name not in names and any(
            _is_request(n) or isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in names
            for n in ast.walk(fn))}
        if not more:
            return names, url_names
        names |= more


def _is_static(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)


def _is_request(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "APIRequest"


def _cat(left, right):
    if NONE in (left, right):
        raise Dead()  # None + "/" raises TypeError in the SDK
    if UNK in (left, right) or isinstance(left, (Ref, Cls)) or isinstance(right, (Ref, Cls)):
        return UNK
    parts = (left.parts if isinstance(left, Cat) else (left,)) + (right.parts if isinstance(right, Cat) else (right,))
    return Cat(parts)


# -- rows ---------------------------------------------------------------------------------------------

def kind(symbol: str) -> str:
    bare = symbol.split(".", 1)[1]
    for name in (bare, bare.split(".", 1)[-1], bare.rsplit(".", 1)[-1]):
        if name in KINDS:
            return KINDS[name]
    if _ID.search(bare):
        return "id"
    raise ExtractionError(f"unknown SDK path symbol {symbol!r}: add it to KINDS")


def path_of(value, where: str) -> tuple[str, str, list[dict]]:
    """(raw path with {symbol}, __apis-style template, placeholders) of a request_url_path value."""
    parts = value.parts if isinstance(value, Cat) else (value,)
    raw, template, holes = "", "", []
    for part in parts:
        if isinstance(part, Lit) and part != NONE:
            raw += part.text
            template += part.text
        elif isinstance(part, Sym):
            raw += "{%s}" % part.name
            template += "{{%s}}" % kind(part.name)
            holes.append({"name": part.name, "kind": kind(part.name)})
        else:
            raise ExtractionError(f"{where}: a path piece scopeplan's table cannot name: {part!r}")
    return raw, template, holes


def class_rows(classes: dict[str, ClassDef], executor: Executor, version: str) -> dict:
    out = {}
    for cls in sorted(classes.values(), key=lambda c: c.name):
        if cls.file not in PUBLIC_FILES or cls.name == "APIHandler":
            continue
        init = cls.methods.get("__init__")
        ctor = [a.arg for a in init.args.args[1:]] if init is not None else []
        factories = {}
        for name, fn in cls.methods.items():
            if _is_static(fn) and name.startswith("get_instance"):
                made = returned_instance(executor, cls, ctor, fn, [a.arg for a in fn.args.args], True)
                if made is not None and made["class"] == cls.name:
                    factories[name] = {"params": [a.arg for a in fn.args.args], "binds": made["binds"]}
        fields = {}
        for st, ref in executor.new(State({}, {}), cls.name, [Sym(f"ctor.{p}") for p in ctor], {}):
            for key, value in st.heap[ref.oid].items():
                if isinstance(value, Sym) and value.name.count(".") == 1 and fields.get(key, value.name) == value.name:
                    fields[key] = value.name  # a path through `obj.<field>` of an object the caller passes
        methods, returns = {}, {}
        for name, fn in sorted(cls.methods.items()):
            if name.startswith("_") or _is_static(fn):
                continue
            params = [a.arg for a in fn.args.args[1:]]
            requests = run_method(executor, cls, ctor, fn, params, f"{version} {cls.name}.{name}")
            if requests:
                methods[name] = {"line": fn.lineno, "params": params, "requests": requests}
                continue
            made = returned_instance(executor, cls, ctor, fn, params, False)
            if made is not None and made["class"] in executor.classes:
                returns[name] = {"line": fn.lineno, "params": params, **made}
        if methods or returns or fields:  # fields alone: an object passed to a method (ZCRMJunctionRecord)
            out[cls.name] = {"file": cls.file, "line": cls.node.lineno, "constructor": ctor, "factories": factories,
                             "fields": fields, "methods": methods, "returns": returns}
    for row in out.values():  # only factories of classes whose methods call something
        row["returns"] = {k: v for k, v in row["returns"].items() if v["class"] in out}
    return out


def run_method(executor: Executor, cls: ClassDef, ctor: list, fn, params: list, where: str) -> list[dict]:
    state = State({}, {})
    made = executor.new(state, cls.name, [Sym(f"ctor.{p}") for p in ctor], {})
    found = {}
    for s, self_ref in made:
        if not ctor:  # `v = ZCRMVariable.get_instance(); v.id = ...`: the caller sets what __init__ leaves None
            fields = s.heap[self_ref.oid]
            fields.update({k: Sym(f"attr.{k}") for k, v in fields.items() if v == NONE})
        try:
            results = executor.call(s, fn, self_ref, [Sym(f"arg.{p}") for p in params], {})
        except Dead:
            continue
        for s2, _ in results:
            for method, url, query, line in s2.requests:
                if not isinstance(method, Lit) or method == NONE:
                    raise ExtractionError(f"{where}: no HTTP method for the request at Handler.py:{line}")
                raw, template, holes = path_of(url, where)
                found[(method.text, raw, query)] = {
                    "http_method": method.text, "path": raw, "path_template": template, "placeholders": holes,
                    "query": "&".join(query), "handler_line": line}
    return [found[k] for k in sorted(found)]


def returned_instance(executor: Executor, cls: ClassDef, ctor: list, fn, params: list, static: bool) -> dict | None:
    """`ZCRMRestClient.get_module_instance(m)` -> ZCRMModule(m): the class made and what binds its constructor."""
    state = State({}, {})
    if static:
        made = [(state, None)]
    else:
        made = executor.new(state, cls.name, [Sym(f"ctor.{p}") for p in ctor], {})
    classes = set()
    binds = []
    for s, self_ref in made:
        try:
            results = executor.call(s, fn, self_ref, [Sym(f"arg.{p}") for p in params], {})
        except Dead:
            continue
        for s2, value in results:
            if not isinstance(value, Ref) or s2.requests or value.cls not in executor.classes:
                return None
            classes.add(value.cls)
            binds.append({k: _symbol(v) for k, v in s2.heap[value.oid].get(BOUND, {}).items()})
    if len(classes) != 1 or any(b != binds[0] for b in binds) or "?" in binds[0].values():
        return None
    return {"class": classes.pop(), "binds": {k: v for k, v in binds[0].items() if v is not None}}


def _symbol(value) -> str | None:
    if isinstance(value, Sym):
        return value.name
    if isinstance(value, Lit) and value != NONE:
        return "=" + value.text  # a literal the SDK passes itself, e.g. ZCRMModuleRelation(self, "Notes")
    return None if value == NONE else "?"  # "?": built from a response, not from the caller


def package_table(version: str, wheel_dir: Path) -> dict:
    wheel = fetch(version, wheel_dir)
    with tempfile.TemporaryDirectory(prefix=f"zcrmsdk-{version}-") as tmp:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp)
        return _table(version, Path(tmp) / "zcrmsdk")


def _table(version: str, sdk: Path) -> dict:
    classes = read_classes(sdk)
    executor = Executor(classes)
    table = class_rows(classes, executor, version)
    handler = (sdk / "Handler.py").read_text("utf-8")
    every = {n.lineno for n in ast.walk(ast.parse(handler)) if _is_request(n)}
    missed = sorted(every - executor.reached)
    if missed:
        raise ExtractionError(f"{version}: APIRequest at Handler.py lines {missed} is reached by no public method")
    utility = (sdk / "Utility.py").read_text("utf-8")
    default_version = re.search(r'API_VERSION\]\s*=\s*"(v[\d.]+)"', utility)
    default_host = re.search(r'API_BASEURL\]\s*=\s*"([^"]+)"', utility)
    oauth = (sdk / "OAuthClient.py").read_text("utf-8")
    metadata = next(sdk.parent.glob("zcrmsdk-*.dist-info/METADATA")).read_text("utf-8")
    # The SDK's own error message (2.x) or its README (both lines) names the scope the user lookup needs.
    scope = re.compile(r"(?i)(aaaserver\.profile\.read)")
    profile_scope = scope.search(oauth) or scope.search(metadata)
    return {
        "version": version,
        "api_version_default": default_version.group(1) if default_version else None,
        "api_host_default": default_host.group(1) if default_host else None,
        "classes": table,
        "counts": {"classes": len(table), "methods": sum(len(c["methods"]) for c in table.values()),
                   "method_path_pairs": len({(r["http_method"], r["path_template"]) for c in table.values()
                                             for m in c["methods"].values() for r in m["requests"]})},
        "implicit_calls": implicit_calls(oauth, profile_scope.group(1) if profile_scope else None),
    }


def implicit_calls(oauth: str, profile_scope: str | None) -> list[dict]:
    """The calls the SDK makes on its own (OAuthClient.py): Zoho Accounts, never a CRM endpoint."""
    calls = []
    for fn, method, path, when, scope in (
            ("refresh_access_token", "POST", "/oauth/v2/token", "an access token expired (ZCRMConfigUtil.get_access_token)", None),
            ("generate_access_token", "POST", "/oauth/v2/token", "ZohoOAuthClient.generate_access_token(grant_token)", None),
            ("get_user_email_from_iam", "GET", "/oauth/user/info", "after generate_access_token: the token's user e-mail", profile_scope)):
        match = re.search(rf"def {fn}\(", oauth)
        if match is None:
            continue
        calls.append({"function": f"ZohoOAuthClient.{fn}", "file": "OAuthClient.py",
                      "line": oauth[:match.start()].count("\n") + 1, "http_method": method,
                      "host": "accounts (iamURL, default https://accounts.zoho.com)", "path": path, "when": when,
                      "scope": scope})
    return calls


def _requests(table: dict) -> set:
    return {(c, m, r["http_method"], r["path"], r["query"]) for c, row in table["classes"].items()
            for m, spec in row["methods"].items() for r in spec["requests"]}


def fetch(version: str, wheel_dir: Path) -> Path:
    name = f"zcrmsdk-{version}-py2.py3-none-any.whl"
    wheel = wheel_dir / name
    if not wheel.is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"zcrmsdk=={version}",
                        "-d", str(wheel_dir)], check=True)
    if not wheel.is_file():
        raise ExtractionError(f"pip download did not produce {name}")
    return wheel


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", type=Path, default=None, help="reuse/keep downloaded wheels here")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    wheel_dir = args.wheel_dir or Path(tempfile.mkdtemp(prefix="zcrmsdk-wheels-"))
    wheel_dir.mkdir(parents=True, exist_ok=True)
    packages = {}
    for version in RELEASES:
        try:
            packages[version] = package_table(version, wheel_dir)
        except ExtractionError as exc:
            raise SystemExit(f"FAILED zcrmsdk {version}: {exc}; no output written")
    for version, same in SAME_AS.items():
        try:
            other = package_table(version, wheel_dir)
        except ExtractionError as exc:
            raise SystemExit(f"FAILED zcrmsdk {version}: {exc}; no output written")
        if _requests(other) != _requests(packages[same]):
            raise SystemExit(f"zcrmsdk {version} makes other requests than {same}: give it its own table")
        packages[same]["same_requests_as_versions"] = [version]
    doc = {
        "source": ("Generated by tools/build_zcrmsdk_legacy.py from the PyPI wheels "
                   + ", ".join(f"zcrmsdk=={v}" for v in RELEASES)
                   + ". Each public method of the SDK's classes is executed symbolically with ast (never imported); "
                     "every APIRequest(handler) it reaches gives one request: the handler's request_method and "
                     "request_url_path, relative to https://<apiBaseUrl>/crm/<apiVersion>/ (Request.py "
                     "construct_api_url). {ctor.x} is the constructor's parameter x, {arg.x} the method's; "
                     "attributes after it are read off the object the caller passes. 'line' is the public method's "
                     "line in 'file'; 'handler_line' the APIRequest line in Handler.py."),
        "packages": packages,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for version, table in packages.items():
        print(f"zcrmsdk {version}: {table['counts']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
