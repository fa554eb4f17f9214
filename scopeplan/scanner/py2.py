"""Read Python 2 source as Python 3: the 2to3 fixers that change syntax only, in memory, line for line.

Only a file the Python 3 parser rejects comes here (`scan_source`), so a Python 3 file never pays for it.
The fixers rewrite statements into the expressions they mean (`print x` -> `print(x)`, `except E, e` ->
`except E as e`, backticks -> `repr()`, `<>` -> `!=`, `0777` -> `0o777`, `10L` -> `10`, `raise E, v` ->
`raise E(v)`, `exec c in ns` -> `exec(c, ns)`, `[x for x in 1, 2]`) and `ur"..."` loses its `u`. None of
them renames a module or a name (no `urllib2` -> `urllib.request`): the models know the Python 2 names,
and a renamed import would change what a call means. None of them adds or removes a line, so every call
site keeps the line the file has; a translation that would move lines is refused.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Syntax only. Left out on purpose: fix_tuple_params (adds lines), fix_unicode (renames `unicode`),
# fix_urllib / fix_imports (rename modules), fix_dict / fix_map / ... (change what code computes).
FIXERS = ("print", "except", "exec", "repr", "ne", "numliterals", "raise", "paren")


@cache
def _tool() -> Any:
    from fissix.refactor import RefactoringTool  # imported here: only Python 2 files need it

    return RefactoringTool([f"fissix.fixes.fix_{name}" for name in FIXERS])


def translate(text: str) -> str | None:
    """The file as Python 3 with the same lines, or None when the Python 2 grammar rejects it too."""
    from fissix.pgen2.parse import ParseError
    from fissix.pgen2.tokenize import TokenError

    source = text if text.endswith("\n") else text + "\n"  # the lib2to3 grammar wants a final newline
    try:
        tree = _tool().refactor_string(source, "<python2>")
    except (ParseError, TokenError, IndentationError, SyntaxError, RecursionError):
        return None
    _drop_ur_prefixes(tree)
    out = str(tree)
    if not text.endswith("\n"):
        out = out[:-1] if out.endswith("\n") else out
    if out.count("\n") != text.count("\n"):  # never report a call on a line the file does not have there
        return None
    return out


def _drop_ur_prefixes(tree: Any) -> None:
    """`ur"\\d"` is a raw unicode literal in Python 2 and a syntax error in Python 3: `r"\\d"` is the same str."""
    from fissix.pgen2 import token

    for leaf in tree.leaves():
        if leaf.type == token.STRING and leaf.value[:2].lower() == "ur":
            leaf.value = leaf.value[1:]


def parse_python2(text: str) -> Any:
    """The libcst module of a Python 2 file's translation, or None when neither grammar accepts the file."""
    import libcst as cst

    translated = translate(text)
    if translated is None:
        return None
    try:
        return cst.parse_module(translated)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return None
