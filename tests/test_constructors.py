"""constructors.install: libcst's nodes built by the rebuilt constructors are the nodes libcst builds."""

from __future__ import annotations

import dataclasses
import inspect

import libcst as cst
import pytest

from scopeplan.scanner import constructors
from scopeplan.scanner.source import parse_unvalidated
from tests.test_source import SOURCES

MORE = [
    "print(f'{a!r:>{width}} {b=}')\nx: list[int] = [*a, *b]\n",
    "def f():\n    nonlocal_ = 1\n    return (yield)\n",
    "assert x, 'message'\nimport a.b as c, d\nfrom . import (e as f, g)\n",
    "x = a @ b ** -c // d % e << f >> g & h | i ^ ~j\nx @= 1\nx **= 2\nx //= 3\n",
    "type X[T: int] = list[T]\ndef g[T, *Ts, **P](): ...\n",
]


@pytest.fixture
def libcst_own():
    """libcst's own constructors; those a test installs are put back to them after it (only workers install
    them, so this process starts with libcst's)."""
    assert not constructors._installed
    own = {cls: cls.__dict__["__init__"] for cls in constructors._node_classes(cst.CSTNode)}
    try:
        yield own
    finally:
        for cls, init in own.items():
            cls.__init__ = init
        constructors._installed.clear()


@pytest.mark.parametrize("text", SOURCES + MORE)
def test_a_parse_builds_the_same_tree(text, libcst_own):
    expected = cst.parse_module(text)
    assert constructors.install() > 150  # nearly all of libcst 1.x's node classes: a libcst that changed shows
    for tree in (cst.parse_module(text), parse_unvalidated(text)):
        assert tree.deep_equals(expected) and expected.deep_equals(tree)
        assert tree.code == text and repr(tree) == repr(expected)


def test_the_same_parameters_and_defaults(libcst_own):
    constructors.install()
    assert constructors._installed
    for cls in constructors._installed:
        theirs, mine = inspect.signature(libcst_own[cls]), inspect.signature(cls.__init__)
        assert list(theirs.parameters) == list(mine.parameters), cls
        for name, parameter in theirs.parameters.items():
            if parameter.default is not inspect.Parameter.empty:  # a factory's default is made per node: see below
                assert mine.parameters[name].default in (parameter.default, constructors._NO_DEFAULT), (cls, name)


def test_a_node_built_by_hand_gets_its_defaults_and_checks(libcst_own):
    constructors.install()
    assert cst.Name in constructors._installed
    comma, other = cst.Comma(), cst.Comma()
    assert comma.whitespace_before.deep_equals(cst.SimpleWhitespace(""))
    assert comma.whitespace_after is not other.whitespace_after  # a factory's default: one per node
    assert cst.Module([]).code_for_node(cst.Name("x", lpar=[cst.LeftParen()], rpar=[cst.RightParen()])) == "(x)"
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
    with pytest.raises(TypeError):
        cst.Name()
    with pytest.raises(TypeError):
        cst.Name("x", nonsense=1)
    assert cst.Name("x").with_changes(value="y").value == "y"


@dataclasses.dataclass(frozen=True, slots=True)
class _KeywordOnly:
    a: int
    b: int = dataclasses.field(default=0, kw_only=True)


@dataclasses.dataclass(frozen=True)
class _NoSlots:
    a: int


@pytest.mark.parametrize("cls", [_KeywordOnly, _NoSlots])
def test_a_class_it_cannot_rebuild_keeps_its_own(cls):
    assert constructors._plan(cls) is None


def test_a_plain_slotted_dataclass_is_rebuilt():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Plain:
        a: int
        b: tuple = ()
        c: list = dataclasses.field(default_factory=list)

        def __post_init__(self):
            if self.a < 0:
                raise ValueError("negative")

    plan = constructors._plan(Plain)
    assert plan is not None and plan[1] == 3
