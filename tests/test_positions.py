"""Positions read from the stdlib ast equal libcst's PositionProvider, or the file falls back to it."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from scopeplan.scanner import positions

ROOT = Path(__file__).resolve().parent.parent

TRICKY = {
    "nested-and-chained": "a = f(g(1), h(x)(2))\nb = obj.m(n())[0].k()\n",
    "if-expression": "x = f(1) if g(2) else h(3)\ny = [k(i) for i in range(3) if p(i)]\n",
    "multi-line": "resp = session.request(\n    'GET',\n    build(url,\n          q()),\n)\n",
    "decorators-and-defaults": "@deco(1)\n@other.x(y())\ndef f(a=z(), *, b=w()):\n    return g()\n",
    "compound": ("if a(1):\n    b()\nelif c():\n    d()\nelse:\n    e()\nfor i in it():\n    j()\nelse:\n    k()\n"
                 "while w():\n    pass\ntry:\n    t()\nexcept E(1):\n    u()\nelse:\n    v()\nfinally:\n    z()\n"
                 "with open(p()) as fh, q():\n    r()\nclass C(B(), metaclass=M()):\n    x = s()\n"),
    "one-line-suites": "if x(): y(); z()\nfor i in r(): s()\n",
    "f-strings": 'u = f"{base()}/{mod(1)}/x"\nv = f"""{a(1)}\n{b(2)}"""\n',
    "unicode-columns": 'naïve = "é"; call("ü", f(1))\n',
    "async": "async def f():\n    async with c() as s:\n        async for x in g():\n            await h(x)\n",
    "lambda-and-dict": "m = {k(): v() for k, v in items()}\nfn = lambda: q()\n",
    "crlf": "a = f(1)\r\nb = g(2)\r\n",
    "keywords-on-their-own-lines": "row = Endpoint(\n    method='GET',\n    path=p(\n        'x'),\n    **extra,\n)\n",
    "comprehension-clauses-on-their-own-lines": ("rows = [\n    fetch(m)\n    for m in MODULES  # scopeplan: loop<=3\n"
                                                 "    if m\n    for _ in (1,)\n]\n"),
    "comprehensions-without-calls": "def tags(self):\n    return [t for t in [self.a, self.b] if t]\n",
    "nested-and-parenthesised-comprehensions": ("x = {k: [v for (v) in vs] for (k, vs) in d}\n"
                                                "y = [[a for a in b] for b in c]\nz = any(q for q in\n        r)\n"),
    "async-comprehension": "async def f():\n    return [x async for x in g()]\n",
}


def _expected(module: cst.Module) -> dict[int, tuple[int, int, int] | int]:
    ranges = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    keywords = {id(a) for n in ranges if isinstance(n, cst.Call) for a in n.args if a.keyword is not None}
    out: dict[int, tuple[int, int, int] | int] = {id(n): (r.start.line, r.start.column + 1, r.end.line)
                                                  for n, r in ranges.items() if isinstance(n, cst.Call) or id(n) in keywords}
    # a comprehension's `for` clause is on the line of its target (the loop's line: only the line is read)
    out.update({id(n): ranges[n.target].start.line for n in ranges if isinstance(n, cst.CompFor)})
    return out


def _check(text: str) -> None:
    module = cst.parse_module(text)
    found = positions.locate(module, text)
    if found is None:
        return  # the walker falls back to PositionProvider: correct, only slower
    expected = _expected(module)
    assert {k: found[k] if isinstance(v, tuple) else found[k][0] for k, v in expected.items()} == expected


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_sources(text):
    _check(text)


@pytest.mark.parametrize("name", [n for n in TRICKY if "comprehension" in n])
def test_comprehensions_are_located_without_falling_back(name):
    module = cst.parse_module(TRICKY[name])
    assert positions.locate(module, TRICKY[name]) is not None


def test_every_sample_project_file_is_located_without_falling_back():
    files = sorted((ROOT / "sample_projects").rglob("*.py"))
    assert files
    for path in files:
        text = path.read_text()
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:  # a Python 2 sample file is located in its line-preserving translation
            from scopeplan.scanner import py2

            translated = py2.translate(text)
            if translated is None:
                continue  # neither grammar accepts it: an error row by design (legacy_zcrmsdk_py2/broken_export.py)
            text, module = translated, cst.parse_module(translated)
        assert positions.locate(module, text) is not None, path
        _check(text)


def test_a_mismatch_falls_back_rather_than_guessing():
    text = "x = f(1)\n"
    module = cst.parse_module(text)
    assert positions.locate(module, "x = g(1)\n") is None  # the trees disagree on the callee
