"""Control flow for the walker: names after branches and loops, the blocks of a statement, node children."""

from __future__ import annotations

from dataclasses import fields

import libcst as cst

from scopeplan.scanner.ir import Alt, Cond, Expr, Guard, Seq, Unknown

_TRIVIA = {"lpar", "rpar", "comma", "semicolon", "leading_lines", "trailing_whitespace", "header", "footer",
           "lines_after_decorators", "empty_lines", "newline", "dot", "colon", "equal", "star", "asynchronous",
           "operator", "whitespace_before", "whitespace_after"}
_FIELDS: dict[type, tuple[str, ...]] = {}


def merge_conditional(before: dict, ends: list[dict | None], tests: list[Guard]) -> dict:
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


MAX_LIST_SHAPES = 32  # as many as the evaluator keeps alternatives of one value (program/strings.py)


def list_shapes(value: Expr, limit: int = MAX_LIST_SHAPES) -> int | None:
    """How many lists (or unknowns) a value may be, through Alt and Cond, counting past `limit` no further;
    None if not lists.

    Each `if x: items.append(...)` doubles them: twenty in a row made one function's facts 50 MB.
    """
    if isinstance(value, (Seq, Unknown)):
        return 1
    if isinstance(value, (Alt, Cond)):
        total = 0
        for option in (value.options if isinstance(value, Alt) else (value.then, value.orelse)):
            count = list_shapes(option, limit - total)
            if count is None:
                return None
            total += count
            if total > limit:
                break
        return total
    return None


def bounded(name: str, value: Expr) -> Expr:
    """A list's value after an append, or unknown once it may be more than MAX_LIST_SHAPES lists."""
    shapes = list_shapes(value)
    if shapes is not None and shapes > MAX_LIST_SHAPES:
        return Unknown(name, f"the list `{name}` may be built in more than {MAX_LIST_SHAPES} ways")
    return value


def map_lists(value: Expr, change) -> Expr | None:
    """Apply `change` to the items of every list a value may be (through Alt and Cond); None if not lists.

    An unknown alternative stays unknown (`if x: parts = load()` then `parts.append(p)`).
    """
    if isinstance(value, Seq):
        return Seq(change(value.items))
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Alt):
        options = [map_lists(o, change) for o in value.options]
        return None if None in options else Alt(tuple(options))
    if isinstance(value, Cond):
        then, orelse = map_lists(value.then, change), map_lists(value.orelse, change)
        return None if then is None or orelse is None else Cond(value.guard, then, orelse)
    return None


def terminates(body) -> bool:
    """Whether a block always leaves: its last statement is `raise`, `return`, `continue` or `break`."""
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return isinstance(last.body[-1], (cst.Raise, cst.Return, cst.Continue, cst.Break))
    return False


def merge(before: dict, ends: list[dict | None], keep_before: bool) -> dict:
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


def body_of(body):
    return body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else body


def else_of(stmt) -> list:
    return [body_of(stmt.orelse.body)] if stmt.orelse is not None else []


def blocks(stmt):
    if isinstance(stmt, cst.If):
        yield body_of(stmt.body)
        if stmt.orelse is not None:
            yield from blocks(stmt.orelse) if isinstance(stmt.orelse, cst.If) else [body_of(stmt.orelse.body)]
    elif isinstance(stmt, cst.Try):
        yield body_of(stmt.body)
        for h in stmt.handlers:
            yield body_of(h.body)


def children(node):
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
