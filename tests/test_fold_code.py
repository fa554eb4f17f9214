"""`Folder.code` spells a node as libcst renders it, cut to 60 characters, however it gets there."""

import libcst as cst
import pytest

from scopeplan.scanner.fold import Folder

SOURCES = [
    "a", "a.b.c", "a . b", "(a).b", "a.\\\n    b", "(a . b)", "a.b()", "x if y else z", "not x",
    "a is not None and not isinstance(a, str)", "(b and c)", "[i for i in range(10)]",
    "f(" + ", ".join(f"argument_{i}" for i in range(20)) + ")",
    "very_long_module_name.another_long_attribute_name.and_a_third_one_that_is_long.last",
    "{'k': v  # comment\n, 'w': 2}", "lambda q: q + 1", "'%s' % (a, b)", "x[1:2]",
]


def _old(module: cst.Module, node) -> str:
    text = module.code_for_node(node)
    return text if len(text) <= 60 else text[:57] + "..."


class _Code(Folder):
    def __init__(self, module):
        self.module = module


def _expressions(module: cst.Module) -> list:
    """Every expression node of a module, in visiting order."""
    nodes = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node):
            if isinstance(node, cst.BaseExpression):
                nodes.append(node)
            return True

    module.visit(Collect())
    return nodes


@pytest.mark.parametrize("source", SOURCES)
def test_code_is_libcst_rendering_cut_to_60(source):
    module = cst.parse_module(f"value = {source}\n")
    nodes = _expressions(module)
    assert nodes
    folder = _Code(module)
    for node in nodes:
        assert folder.code(node) == _old(module, node)


LITERALS = ["''", '""', "'a'", '"a b"', "''''''", '""""""', "'''a\n'b''c'''", '"""x"y"""', "u'é'", "U'x'",
            "r'\\d+'", "R'\\''", "r'''\\\n'''", "'a\\nb'", "'\\x41'", "b'a'", "rb'a'", "f'a'", "'''a\r\nb'''",
            "'\\\\'", "'\u2028'"]


@pytest.mark.parametrize("literal", LITERALS)
def test_a_string_literal_folds_to_its_evaluated_value(literal):
    from scopeplan.scanner.spell import plain_string as _plain_string

    node = cst.parse_expression(literal)
    if not isinstance(node, cst.SimpleString):
        return
    value = node.evaluated_value
    expected = value.decode("latin-1") if isinstance(value, bytes) else value
    plain = _plain_string(literal)
    assert plain is None or plain == expected


def test_every_expression_of_real_code_is_spelled_as_libcst_renders_it():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "sample_projects").rglob("*.py"))[:60] + sorted((root / "scopeplan" / "scanner").glob("*.py"))
    checked = 0
    for path in files:
        try:
            module = cst.parse_module(path.read_text(encoding="utf-8"))
        except cst.ParserSyntaxError:  # a Python 2 sample
            continue
        nodes = _expressions(module)
        folder = _Code(module)
        for node in nodes:
            assert folder.code(node) == _old(module, node), (path, _old(module, node))
        checked += len(nodes)
    assert checked > 10_000
