"""Line and column of libcst nodes, read from the stdlib `ast` of the same text.

libcst's PositionProvider re-renders the whole module to count positions: about three quarters of a
scan's time. `ast.parse` of the same text costs a tenth of a libcst parse and carries positions, so the
two trees are walked side by side: statements pair one to one, and inside a statement the calls pair in
source order, checked by the name they call. Any disagreement returns None, and the caller falls back
to PositionProvider: a wrong line is worse than a slow one.
"""

from __future__ import annotations

import ast
import dataclasses

import libcst as cst

Positions = dict[int, tuple[int, int, int]]  # id(libcst node) -> (line, 1-based column, end line)

_COMPOUND = {
    cst.If: (ast.If,), cst.For: (ast.For, ast.AsyncFor), cst.While: (ast.While,),
    cst.With: (ast.With, ast.AsyncWith), cst.Try: (ast.Try,), cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
}
_BLOCKS = {"body", "orelse", "handlers", "finalbody"}


class _Mismatch(Exception):
    """The two trees disagree: use PositionProvider for this file."""


def of(module: cst.Module, text: str, wanted: set[int], needed: list) -> Positions:
    """Positions of the `needed` nodes (and more): from the stdlib ast when it locates every one of them, else
    from libcst's PositionProvider (which renders the module again)."""
    found = locate(module, text, wanted)
    if found is not None and all(id(node) in found for node in needed):
        return found
    from libcst.metadata import MetadataWrapper, PositionProvider

    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    out = {id(node): (r.start.line, r.start.column + 1, r.end.line) for node, r in ranges.items()}
    for node in ranges:
        if isinstance(node, cst.CompFor):  # a comprehension's clause is where its target is, as `_clauses` says
            out[id(node)] = out[id(node.target)]
    return out


def locate(module: cst.Module, text: str, wanted: set[int] | None = None) -> Positions | None:
    """Positions of every statement, and of the calls and loops in the `wanted` statements (ids; None: all).

    None when they cannot be trusted.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = text.split("\n")
    out: Positions = {}
    try:
        _block(module.body, tree.body, out, lines, wanted)
    except (_Mismatch, IndexError, AttributeError, TypeError, RecursionError):
        return None
    return out


def _block(statements, nodes: list, out: Positions, lines: list[str], wanted) -> None:
    i = 0
    for stmt in statements:
        kind = type(stmt)  # compared by identity first: isinstance on libcst's abstract classes is slow
        if kind is cst.SimpleStatementLine:
            smalls = stmt.body
            for small in smalls:
                if wanted is None or id(stmt) in wanted:
                    _calls(small, [nodes[i]], out, lines)
                i += 1
            out[id(stmt)] = _where(nodes[i - len(smalls)], lines)
        elif kind not in _COMPOUND and isinstance(stmt, cst.BaseSmallStatement):  # inside a one-line suite: `if x: y; z`
            if wanted is None or id(stmt) in wanted:
                _calls(stmt, [nodes[i]], out, lines)
            i += 1
        else:
            _compound(stmt, nodes[i], out, lines, wanted)
            i += 1
    if i != len(nodes):
        raise _Mismatch


def _compound(stmt, node, out: Positions, lines: list[str], wanted, header: bool = False) -> None:
    kinds = _COMPOUND.get(type(stmt))
    if kinds is None or not isinstance(node, kinds):
        raise _Mismatch
    out[id(stmt)] = _where(node, lines)
    header = header or wanted is None or id(stmt) in wanted  # an elif's test is read with its first `if`
    if header:
        _header(stmt, node, out, lines)
    _suite(stmt.body, node.body, out, lines, wanted)
    kind = type(stmt)
    if kind is cst.If:
        if type(stmt.orelse) is cst.If:
            if len(node.orelse) != 1:
                raise _Mismatch
            _compound(stmt.orelse, node.orelse[0], out, lines, wanted, header)
        elif stmt.orelse is not None:
            _suite(stmt.orelse.body, node.orelse, out, lines, wanted)
        elif node.orelse:
            raise _Mismatch
    elif (kind is cst.For or kind is cst.While) and stmt.orelse is not None:
        _suite(stmt.orelse.body, node.orelse, out, lines, wanted)
    elif kind is cst.Try:
        if len(stmt.handlers) != len(node.handlers):
            raise _Mismatch
        for handler, h in zip(stmt.handlers, node.handlers):
            _suite(handler.body, h.body, out, lines, wanted)
        if stmt.orelse is not None:
            _suite(stmt.orelse.body, node.orelse, out, lines, wanted)
        if stmt.finalbody is not None:
            _suite(stmt.finalbody.body, node.finalbody, out, lines, wanted)


def _header(stmt, node, out: Positions, lines: list[str]) -> None:
    header_ast = [child for name, value in ast.iter_fields(node) if name not in _BLOCKS
                  for child in (value if isinstance(value, list) else [value]) if isinstance(child, ast.AST)]
    if isinstance(node, ast.Try):
        header_ast += [h.type for h in node.handlers if h.type is not None]
    header_cst = [getattr(stmt, name) for name in _content(type(stmt)) if name not in _BLOCKS]
    if isinstance(stmt, cst.Try):
        header_cst += [h.type for h in stmt.handlers if h.type is not None]
    _calls(header_cst, header_ast, out, lines)


def _suite(body, nodes: list, out: Positions, lines: list[str], wanted) -> None:
    _block(body.body, nodes, out, lines, wanted)


def _calls(cst_part, ast_part: list, out: Positions, lines: list[str]) -> None:
    """Pair the calls, and the comprehensions' `for` clauses, of one statement (or header) in source order."""
    mine: list = []
    comps: list = []
    for node in cst_part if isinstance(cst_part, list) else [cst_part]:
        _source_order(node, mine, comps)
    nodes = [n for part in ast_part if part is not None for n in ast.walk(part)]
    theirs = sorted((n for n in nodes if isinstance(n, ast.Call)),
                    key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
    if len(mine) != len(theirs):
        raise _Mismatch
    if comps:
        _clauses(comps, [n for n in nodes if isinstance(n, ast.comprehension)], out, lines)
    for call, node in zip(mine, theirs):
        if _name(call.func) != _ast_name(node.func):
            raise _Mismatch
        out[id(call)] = _where(node, lines)
        if node.keywords:  # `path="/crm/v2/Leads"` on its own line: where an endpoint is written
            named = {k.arg: k for k in node.keywords if k.arg is not None}
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in named:
                    out[id(arg)] = _where(named[arg.keyword.value], lines)


def _clauses(comps: list, theirs: list, out: Positions, lines: list[str]) -> None:
    """A comprehension's `for` clause is where its target is (`for m in MODULES`: `m`): the stdlib ast does not
    place the clause itself, and libcst starts it before the blanks and line break ahead of its `for`."""
    theirs.sort(key=lambda n: (n.target.lineno, n.target.col_offset))
    if len(comps) != len(theirs):
        raise _Mismatch
    for comp, clause in zip(comps, theirs):
        if type(comp.target).__name__ != type(clause.target).__name__:
            raise _Mismatch
        out[id(comp)] = _where(clause.target, lines)


def _source_order(node, found: list, comps: list) -> None:
    role = _ROLES.get(type(node))
    if role is None:
        role = _role(type(node))
    if role is _SEQUENCE:
        for item in node:
            _source_order(item, found, comps)
        return
    if role is _OTHER:
        return
    if role is _CALL:
        found.append(node)
    elif role is _COMP_FOR:
        comps.append(node)
    if role is _IF_EXP:  # `body if test else orelse`: fields are listed test first
        children = (node.body, node.test, node.orelse)
    else:
        children = [getattr(node, name) for name in _content(type(node))]
    for child in children:
        _source_order(child, found, comps)


_SEQUENCE, _OTHER, _CALL, _COMP_FOR, _IF_EXP, _NODE = range(6)
_ROLES: dict[type, int] = {}


def _role(kind: type) -> int:
    """What `_source_order` does with a value of this type, found once per type (isinstance on libcst's
    abstract classes is slow)."""
    if issubclass(kind, (list, tuple)):
        role = _SEQUENCE
    elif not issubclass(kind, cst.CSTNode):
        role = _OTHER
    elif issubclass(kind, cst.Call):
        role = _CALL
    elif issubclass(kind, cst.CompFor):
        role = _COMP_FOR
    elif issubclass(kind, cst.IfExp):
        role = _IF_EXP
    else:
        role = _NODE if _content(kind) else _OTHER  # a name, a number: nothing inside
    _ROLES[kind] = role
    return role


_CONTENT: dict[type, tuple[str, ...]] = {}


def _content(kind: type) -> tuple[str, ...]:
    """A node type's fields that can hold expressions: whitespace, commas and brackets cannot hold a call, nor
    can text (a name's or a number's `value`), nor the `__slots__` that libcst lists among its class variables."""
    names = _CONTENT.get(kind)
    if names is None:
        names = _CONTENT[kind] = tuple(
            f.name for f in dataclasses.fields(kind)
            if f.type is not str and not f.name.startswith((
                "whitespace", "lpar", "rpar", "comma", "leading_lines", "trailing", "header", "footer", "semicolon",
                "lines_after", "newline", "equal", "colon", "dot", "star", "operator", "asynchronous", "lbrace",
                "rbrace", "lbracket", "rbracket")))
    return names


def _name(func) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _ast_name(func) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _where(node, lines: list[str]) -> tuple[int, int, int]:
    """(line, 1-based column in characters, end line): ast counts columns in UTF-8 bytes."""
    text = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ""
    column = len(text.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore"))
    return node.lineno, column + 1, node.end_lineno or node.lineno


def keyword_lines(call, where: Positions, line: int) -> tuple[tuple[str, int], ...]:
    """The keyword arguments of a located call that start on a later line than `line`, with their lines."""
    return tuple((arg.keyword.value, where[id(arg)][0]) for arg in call.args
                 if arg.keyword is not None and id(arg) in where and where[id(arg)][0] != line)
