"""Whether a loop is a retry: it leaves early on success, and counts its attempts, swallows failures or checks `ok`.

A retry's worst case is every attempt (its `range(N)` bound, or unbounded for `while True`), but it is no
per-record loop: the credits say "retry", and the advice does not suggest batching records it never had.
A pagination loop (`while True: ... if not more_records: break`) leaves early too, but on data, not success.
"""

from __future__ import annotations

import re

import libcst as cst

_COUNTER = re.compile(r"(?i)attempt|retr(?:y|ies)|tries")  # attempt, n_attempts, retries, max_tries, tries_left
_STATUS = ("status_code", "status")
_NESTED = (cst.For, cst.While, cst.FunctionDef, cst.ClassDef, cst.Lambda)


def is_retry(loop: cst.For | cst.While) -> bool:
    """True for a loop that can leave early (`break`/`return`) and looks like a retry of the calls in it."""
    if not _exits(loop.body):
        return False
    if isinstance(loop, cst.For) and not _counts(loop.iter):
        return False  # `for lead in leads`: one pass per item of data, whatever it does on a failure
    counted = loop.target if isinstance(loop, cst.For) else loop.test
    if any(_COUNTER.search(n.value) for n in _names(counted)):
        return True
    return any(_swallows(t) for t in _level(loop.body, cst.Try)) or any(
        _on_success(i.test) and _exits(i.body) for i in _level(loop.body, cst.If))


def _counts(items: cst.BaseExpression) -> bool:
    """`range(...)`, `itertools.count()`, `itertools.repeat(...)`: a loop that counts, not one over data."""
    if not isinstance(items, cst.Call):
        return False
    func = items.func
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    return name in ("range", "count", "repeat")


def _level(node: cst.CSTNode, kind: type) -> list:
    """Nodes of `kind` in this loop's own body: not inside a nested loop, function or class."""
    out = []

    def visit(n: cst.CSTNode) -> None:
        for child in n.children:
            if isinstance(child, kind):
                out.append(child)
            if not isinstance(child, _NESTED):
                visit(child)

    visit(node)
    return out


def _exits(node: cst.CSTNode) -> bool:
    return bool(_level(node, cst.Break) or _level(node, cst.Return))


def _names(node: cst.CSTNode) -> list[cst.Name]:
    found = [node] if isinstance(node, cst.Name) else []
    for child in node.children:
        found.extend(_names(child))
    return found


def _swallows(node: cst.Try) -> bool:
    """An `except` that does not re-raise: a failed attempt goes round the loop again."""
    return any(not _level(h.body, cst.Raise) for h in node.handlers)


def _on_success(test: cst.BaseExpression) -> bool:
    """`r.ok`, `r.status_code == 200`, `resp.status in (200, 201)`: a test that the call succeeded."""
    if isinstance(test, cst.UnaryOperation):
        return False  # `if not r.ok: break` gives up on a failure
    for node in [test, *_all(test)]:
        if isinstance(node, cst.Attribute) and node.attr.value == "ok":
            return True
        if isinstance(node, cst.Comparison) and any(
                isinstance(n, cst.Attribute) and n.attr.value in _STATUS for n in [node.left, *_all(node.left)]) \
                and all(isinstance(c.operator, (cst.Equal, cst.In)) for c in node.comparisons) \
                and any(isinstance(n, cst.Integer) and n.value in ("200", "201") for n in _all(node)):
            return True
    return False


def _all(node: cst.CSTNode) -> list[cst.CSTNode]:
    out = []
    for child in node.children:
        out.append(child)
        out.extend(_all(child))
    return out
