"""A cheap look at a file's tokens before libcst parses it: a file too deep or too big is an error row.

libcst's native parser crashes the process (signal 11) on about 1,500 nested brackets, and its trees,
positions and the walker's fold get slow and large long before: 5,000 nested ternaries took 38 s and
4 GB. The stdlib tokenizer (pure Python, about 0.1 of a libcst parse) sees all of that on one pass:

- brackets: CPython itself refuses more than 200 nested brackets or 100 indentation levels;
- expression depth: how deep the syntax tree of one statement can get. Each operator, `.`, call,
  subscript, keyword operator (`not`, `if`/`else`, `lambda`, `and`, ...) and implicitly concatenated
  string adds a level until a `,` or `;` ends the operand, and a bracket's levels end with it. It is an
  upper bound of the tree's depth (`a + b + c` is two levels deep, `f(a + b, c + d)` two as well);
- size: tokens, counting each `{}` hole of an f-string as ten (libcst parses them slowly).

The limits sit well below where libcst or the walker fail, and far above code people write.

The stdlib tokenizer costs three times an `ast.parse`, so `_surely_within` first reads the same tokens
with one regular expression over the whole text (tokenize's own patterns, in its order) and counts the
same way. What it is not sure it reads as tokenize does (a backslash continuation, an unclosed string,
a stray closing bracket, a character tokenize calls an error), and any file it cannot prove within the
limits, goes to the exact check, so the answer is the same.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize

MAX_BRACKETS = 200  # CPython's own limit (the tokenizer's MAXLEVEL)
MAX_INDENT = 100  # CPython's own limit (MAXINDENT)
MAX_DEPTH = 200  # expression levels in one statement: the IR of each level is one more level of recursion
# in every later stage (pickling, comparing, resolving), so this stays near CPython's bracket limit
MAX_TOKENS = 100_000  # about 400 KB (14,000 lines) of ordinary code. libcst's tree, positions and the
# fold take about 700 bytes of memory per byte of source (640 KB of calls: 17 s, 730 MiB), so this keeps
# one file's worker under ~300 MiB and ~10 s
HOLE_TOKENS = 10  # an f-string hole costs libcst about ten ordinary tokens (90,000 holes: 34 s)

_OPERATOR_WORDS = frozenset({"not", "and", "or", "if", "else", "lambda", "await", "in", "is", "for", "yield"})
_SEPARATORS = frozenset({",", ";"})


def too_complex(text: str) -> str | None:
    """Why `text` is too complex to analyse, or None. A file the tokenizer rejects is left to the parser,
    which says where the syntax error is."""
    return None if _surely_within(text) else _exact(text)


def _exact(text: str) -> str | None:
    """`too_complex`, read with the stdlib tokenizer."""
    stack = [0]  # per open bracket: levels added since the last separator at that bracket
    levels = 0  # sum(stack): the depth of the expression being read
    indent = 0
    tokens = 0
    previous_string = False
    name, op, string, newline = tokenize.NAME, tokenize.OP, tokenize.STRING, tokenize.NEWLINE
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tok.type
            tokens += 1
            is_string = kind == string
            if kind == op:
                value = tok.string
                if value in "([{":
                    stack[-1] += 1
                    levels += 1
                    stack.append(0)
                    if len(stack) > MAX_BRACKETS + 1:
                        return f"brackets nest more than {MAX_BRACKETS} deep (line {tok.start[0]}), more than Python allows"
                elif value in ")]}":
                    if len(stack) > 1:
                        levels -= stack.pop()
                elif value in _SEPARATORS:
                    levels -= stack[-1]
                    stack[-1] = 0
                else:
                    stack[-1] += 1
                    levels += 1
            elif kind == name:
                if tok.string in _OPERATOR_WORDS:
                    stack[-1] += 1
                    levels += 1
            elif is_string:
                if previous_string:  # "a" "b": a concatenation, one level more
                    stack[-1] += 1
                    levels += 1
                if tok.string[:3].lower().lstrip("rb").startswith("f") and "{" in tok.string:
                    tokens += HOLE_TOKENS * (tok.string.count("{") - 2 * tok.string.count("{{"))
            elif kind == newline:
                stack = [0]
                levels = 0
            elif kind == tokenize.INDENT:
                indent += 1
                if indent > MAX_INDENT:
                    return f"blocks nest more than {MAX_INDENT} levels deep (line {tok.start[0]}), more than Python allows"
            elif kind == tokenize.DEDENT:
                indent -= 1
            elif kind in (tokenize.NL, tokenize.COMMENT):
                continue  # "a"\n"b" inside brackets is still one concatenation
            previous_string = is_string
            if levels + len(stack) > MAX_DEPTH:
                return f"an expression nests more than {MAX_DEPTH} levels deep (line {tok.start[0]})"
            if tokens > MAX_TOKENS:
                return f"more than {MAX_TOKENS:,} tokens (line {tok.start[0]})"
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return None
    return None


_PREFIX = tokenize.StringPrefix if sys.version_info < (3, 12) else None  # 3.12 tokenizes inside f-strings
_WORDS = "|".join(sorted(_OPERATOR_WORDS))
# A name tokenize reads as a name (not an operator word, not a string's prefix: those are read one by one)
# or a number; alternatives that can match at the same place stay in tokenize's order
_PLAIN = rf"""(?:(?=[0-9.]){tokenize.Number}|(?!(?:{_WORDS})\b|[A-Za-z]{{1,2}}['"])[A-Za-z_]\w*)"""
_TOKEN = re.compile(r"[ \f\t]*(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in [
    ("plain", rf"{_PLAIN}(?:[ \f\t]*{_PLAIN})*"),  # no level, no bracket: read as one
    ("op", tokenize.Special),
    ("newline", r"\r?\n"),
    ("string", f"{_PREFIX}" r"""(?:'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''|"""
               r'''"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*""")'''),  # tokenize's Triple and endpats
    ("unsure", f"{_PREFIX}" r"""(?:'''|\"\"\")|\\"""),  # an unclosed triple quote, a backslash continuation
    ("string1", f"{_PREFIX}" r"""(?:'[^\n'\\]*(?:\\.[^\n'\\]*)*'|"[^\n"\\]*(?:\\.[^\n"\\]*)*")"""),
    ("comment", r"#[^\r\n]*"),
    ("name", r"\w+"),
    ("error", r"[\s\S]"),
]) + ")")
_LINE_STARTS = re.compile(r"^[ \t\f]*", re.MULTILINE)


def _surely_within(text: str) -> bool:
    """Whether `_exact(text)` is surely None, read without the stdlib tokenizer; False when unsure."""
    if _PREFIX is None or len(set(_LINE_STARTS.findall(text))) > MAX_INDENT:
        return False  # indentation levels: at most one per distinct leading whitespace
    # Each token but INDENT, DEDENT and the empty ones at the end holds a character other than a blank
    tokens = len(text) - text.count(" ") - text.count("\t") + 2 * text.count("\n") + 8
    if tokens > MAX_TOKENS:
        return False
    stack = [0]
    levels = 0
    parens = 0
    previous_string = False
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "plain":
            previous_string = False
        elif kind == "op":
            value = match["op"]
            if value in "([{":
                stack[-1] += 1
                levels += 1
                stack.append(0)
                parens += 1
                if parens > MAX_BRACKETS:
                    return False
            elif value in ")]}":
                parens -= 1
                if parens < 0:
                    return False  # tokenize's newlines differ once its bracket count is negative
                levels -= stack.pop()
            elif value in _SEPARATORS:
                levels -= stack[-1]
                stack[-1] = 0
            else:
                stack[-1] += 1
                levels += 1
            previous_string = False
        elif kind == "newline":
            if not parens:  # NEWLINE; on a blank or comment line (NL) all is reset already
                stack = [0]
                levels = 0
                previous_string = False
            continue
        elif kind == "comment":
            continue
        elif kind == "string" or kind == "string1":
            value = match[kind]
            if previous_string:
                stack[-1] += 1
                levels += 1
            if value[:3].lower().lstrip("rb").startswith("f") and "{" in value:
                tokens += HOLE_TOKENS * (value.count("{") - 2 * value.count("{{"))
                if tokens > MAX_TOKENS:
                    return False
            previous_string = True
        elif kind == "name":
            value = match["name"]
            if not value[0].isidentifier():
                return False  # tokenize calls it an operator
            if value in _OPERATOR_WORDS:
                stack[-1] += 1
                levels += 1
            previous_string = False
        else:
            return False  # unsure, or tokenize's ERRORTOKEN
        if levels + len(stack) > MAX_DEPTH:
            return False
    return True
