"""source.parse_unvalidated: the same tree as libcst.parse_module, and node checks back on after it."""

from __future__ import annotations

import libcst as cst
import pytest

from scopeplan.scanner.source import parse_unvalidated

SOURCES = [
    "",
    "x = 1\n",
    "import requests\nr = requests.get(f'{BASE}/crm/v2/Leads', timeout=(3, 10))\n",
    "@decorator(1)\nasync def f(a, /, b: int = 2, *args, c, **kw) -> None:\n    async with s.get(u) as r:\n"
    "        return await r.json()\n",
    "class C(Base, metaclass=M):\n    x: int = 0\n    def m(self):\n        global g\n        yield from g\n",
    "match p:\n    case {'a': [1, *rest]} if rest:\n        pass\n    case _:\n        pass\n",
    "if (n := len(a)) > 10:\n    print(n)\nelif a:\n    del a[0]\nelse:\n    raise ValueError('x') from None\n",
    "with (open(a) as f, open(b) as g):\n    pass\n",
    "try:\n    pass\nexcept* (A, B) as e:\n    pass\nfinally:\n    pass\n",
    "lambda x, *y: (x, *y)\n[i for i in range(3) if i]\n{k: v for k, v in d.items()}\n",
    "s = b'\\x00' rb'\\d'\nt = '''\nmulti\n'''\n# comment\n\\\n\n",
    "x = 1; y = 2  # two on a line\r\nz = x if y else -x\r\n",
]


@pytest.mark.parametrize("text", SOURCES)
def test_the_same_tree_as_libcst_parses(text):
    tree = parse_unvalidated(text)
    assert tree.deep_equals(cst.parse_module(text))
    assert tree.code == text


@pytest.mark.parametrize("text", ["x = 1\n", "def (:\n"])
def test_nodes_built_afterwards_are_checked_again(text):
    try:
        parse_unvalidated(text)
    except cst.ParserSyntaxError:
        pass
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_parses_in_threads_leave_the_checks_on():
    from concurrent.futures import ThreadPoolExecutor

    text = "\n".join(f"def f{i}(a, b=[x for x in y]):\n    return g(a)[b]" for i in range(200)) + "\n"
    with ThreadPoolExecutor(4) as pool:
        trees = list(pool.map(parse_unvalidated, [text] * 16))
    assert all(tree.code == text for tree in trees)
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
