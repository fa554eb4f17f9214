"""The budget's quick read must never let through a file the exact (tokenize) check stops."""

import random

import pytest

from scopeplan.scanner import budget

PIECES = [
    "x", "name", "if", "else", "not", "and", "or", "lambda", "in", "is", "for", "yield", "await", "isinstance",
    "1", "1if", ".5", "0x1f", "1e5", "1j", "1_0", "ü", "٣", "²", "+", "-", ".", "...", "**", "->", ":=", "=",
    ":", ",", ";", "(", ")", "[", "]", "{", "}", "'a'", '"b"', "b'c'", "rb'd'", "xb'e'", "ab'f'", "f'{g}'",
    "f'{{h}}'", "F'{i}{j}'", "'''k\n'''", '"""l\\\n"""', "'''", "'m", "'n\\\n'", "\\\n", "# c", "\n", "\n",
    "\n", "\r\n", "\r", " ", " ", "\t", "\f", "    ", "$", "?", "!", "`", "\x00",
]


@pytest.fixture
def small_limits(monkeypatch):
    for name, value in [("MAX_BRACKETS", 4), ("MAX_INDENT", 3), ("MAX_DEPTH", 7), ("MAX_TOKENS", 60),
                        ("HOLE_TOKENS", 3)]:
        monkeypatch.setattr(budget, name, value)


def _soup(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))


def test_random_token_soup_is_never_let_through_when_the_exact_check_stops_it(small_limits):
    rng = random.Random(13)
    quick = stopped = 0
    for _ in range(20_000):
        text = _soup(rng)
        exact = budget._exact(text)
        if budget._surely_within(text):
            quick += 1
            assert exact is None, (text, exact)
        stopped += exact is not None
    assert quick > 1_000 and stopped > 2_000  # both sides are exercised


@pytest.mark.parametrize("text", [
    "x = (" * 7 + "1" + ")" * 7 + "\n",  # brackets and depth
    "x = " + " + ".join("a" * 8) + "\n",
    "x = a" + ".b" * 6 + "\n",
    "x = ('a'\n 'b'\n 'c'\n 'd' 'e' 'f' 'g')\n",  # concatenation across lines inside brackets
    "x = f'{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}{k}{l}{m}{n}{o}{p}{q}{r}{s}'\n",  # holes count as tokens
    "if a:\n if b:\n  if c:\n   if d:\n    pass\n",  # indentation
    "x = 1 if a else 2 if b else 3 if c else 4\n",
])
def test_near_the_limits_the_quick_read_says_what_the_exact_one_says(small_limits, text):
    exact = budget._exact(text)
    for more in ("", "x = 1\n", "(", "y = ("):  # just within, one past the limits, or a stray bracket
        exact = budget._exact(text + more)
        if budget._surely_within(text + more):
            assert exact is None, (text + more, exact)
        assert budget.too_complex(text + more) == exact


def test_ordinary_code_is_read_quickly():
    text = 'import os\n\n\nclass A:\n    """Doc."""\n\n    def f(self, x=1.5, *a, **k):\n' \
           '        return [i for i in x if i is not None and not isinstance(i, str)] or f"{x!r:>10}" b""\n'
    assert budget._surely_within(text * 50)
    assert budget._exact(text * 50) is None
