"""Contexts as memo keys: equal when they bind the same expressions in equal contexts, however often compared."""

from __future__ import annotations

from scopeplan.program.values import Ctx
from scopeplan.scanner.ir import Lit

A, B = Lit("a"), Lit("b")


def _ctx(expr, inner=None, cls="m.C"):
    inner = inner if inner is not None else Ctx(self_cls=cls)
    return Ctx(bindings=((("m:f", "x"), (expr, inner)),), self_cls=cls)


def test_contexts_built_apart_are_equal_and_stay_equal():
    first, second, third = _ctx(A), _ctx(A), _ctx(A)
    assert first == second and hash(first) == hash(second)
    assert third == second and third == first  # through the representative the first comparison left
    assert {first: 1}[third] == 1


def test_a_context_found_equal_to_one_is_not_equal_to_another_that_differs():
    one, same = _ctx(A), _ctx(A)
    assert one == same
    assert one != _ctx(B) and same != _ctx(B)
    assert _ctx(A, inner=_ctx(A)) == _ctx(A, inner=_ctx(A))
    assert _ctx(A, inner=_ctx(A)) != _ctx(A, inner=_ctx(B))
    assert _ctx(A, cls="m.C") != _ctx(A, cls="m.D")
