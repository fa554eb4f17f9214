"""What `Folder.code` shows of a libcst node, spelled without libcst's codegen where that is exact."""

from __future__ import annotations

import libcst as cst
from libcst import MaybeSentinel
from libcst._nodes.internal import CodegenState  # code_for_node's own state, to stop it early

CODE_CHARS = 60  # how much of a node's source `code` keeps


def code(module: cst.Module, node) -> str:
    """The node's source, cut to 60 characters: spelled from its parts when it is made of names,
    numbers, strings, calls, comparisons and `and`/`or`/`not`, else rendered by libcst only as far as
    those 60 characters need."""
    text = _dotted(node)
    if text is None and _spell(node, parts := []):
        text = "".join(parts)
    if text is None:
        tokens = _Capped()
        try:
            node._codegen(CodegenState(module.default_indent, module.default_newline, tokens=tokens))
        except _Enough:
            pass
        text = "".join(tokens)
    return text if len(text) <= CODE_CHARS else text[:CODE_CHARS - 3] + "..."


def plain_string(literal: str) -> str | None:
    """A str literal's value when it is its text between the quotes (no escapes, no carriage return), or
    None: evaluated_value compiles every literal."""
    quote = literal[-1]
    start = literal.index(quote)
    prefix = literal[:start].lower()
    if prefix not in ("", "u", "r"):
        return None
    width = 3 if literal[start:start + 3] == quote * 3 and len(literal) - start >= 6 else 1
    body = literal[start + width:len(literal) - width]
    if "\r" in body or ("\\" in body and prefix != "r"):
        return None
    return body


def _dotted(node) -> str | None:
    """`a.b.c` as libcst would render it, when it is names and dots with no parentheses or spaces; else None."""
    if type(node) is cst.Name:
        return None if node.lpar else node.value
    if type(node) is cst.Attribute and not node.lpar:
        dot = node.dot
        if _no_space(dot.whitespace_before) and _no_space(dot.whitespace_after):
            head = _dotted(node.value)
            return None if head is None else f"{head}.{node.attr.value}"
    return None


def _spell(node, out: list[str]) -> bool:
    """Append what libcst's codegen renders for a name, number, string, call, comparison, `not` or
    `and`/`or` made of those; False for anything else (a comment or line break in it, too)."""
    lpars = getattr(node, "lpar", None)
    if lpars is None:
        return False  # not an expression
    for lpar in lpars:
        out.append("(")
        if not _space(lpar.whitespace_after, out):
            return False
    kind = type(node)
    if kind is cst.Name or kind is cst.Integer or kind is cst.Float or kind is cst.SimpleString:
        out.append(node.value)
    elif kind is cst.Attribute:
        dot = node.dot
        if not (_spell(node.value, out) and _space(dot.whitespace_before, out)):
            return False
        out.append(".")
        if not (_space(dot.whitespace_after, out) and _spell(node.attr, out)):
            return False
    elif kind is cst.Call:
        if not (_spell(node.func, out) and _space(node.whitespace_after_func, out)):
            return False
        out.append("(")
        if not (_space(node.whitespace_before_args, out) and _arguments(node.args, out)):
            return False
        out.append(")")
    elif kind is cst.Comparison:
        if not _spell(node.left, out):
            return False
        for target in node.comparisons:
            if not (_operator(target.operator, out) and _spell(target.comparator, out)):
                return False
    elif kind is cst.UnaryOperation:
        out.append(node.operator._get_token())
        if not (_space(node.operator.whitespace_after, out) and _spell(node.expression, out)):
            return False
    elif kind is cst.BooleanOperation:
        if not (_spell(node.left, out) and _operator(node.operator, out) and _spell(node.right, out)):
            return False
    else:
        return False
    for rpar in node.rpar:
        if not _space(rpar.whitespace_before, out):
            return False
        out.append(")")
    return True


def _arguments(args, out: list[str]) -> bool:
    last = len(args) - 1
    for i, arg in enumerate(args):
        out.append(arg.star)
        if not _space(arg.whitespace_after_star, out):
            return False
        if arg.keyword is not None and not _spell(arg.keyword, out):
            return False
        if not _mark(arg.equal, cst.AssignEqual, "=", arg.keyword is not None, out):
            return False
        if not _spell(arg.value, out):
            return False
        if not _mark(arg.comma, cst.Comma, ",", i != last, out):
            return False
        if not _space(arg.whitespace_after_arg, out):
            return False
    return True


def _operator(op, out: list[str]) -> bool:
    """A comparison or boolean operator: one token, or two (`is not`, `not in`)."""
    if not _space(op.whitespace_before, out):
        return False
    if hasattr(op, "whitespace_between"):
        first, second = op._get_tokens()
        out.append(first)
        if not _space(op.whitespace_between, out):
            return False
        out.append(second)
    else:
        out.append(op._get_token())
    return _space(op.whitespace_after, out)


def _mark(mark, kind: type, text: str, implied: bool, out: list[str]) -> bool:
    """An `=` or `,` between arguments: as written, or as the codegen renders one left implied."""
    if mark is MaybeSentinel.DEFAULT:
        if implied:
            out.append(" = " if text == "=" else ", ")
        return True
    if type(mark) is not kind:
        return True
    if not _space(mark.whitespace_before, out):
        return False
    out.append(text)
    return _space(mark.whitespace_after, out)


def _space(whitespace, out: list[str]) -> bool:
    if type(whitespace) is cst.SimpleWhitespace:
        out.append(whitespace.value)
        return True
    return False


def _no_space(whitespace) -> bool:
    return type(whitespace) is cst.SimpleWhitespace and whitespace.value == ""


class _Enough(Exception):
    """The codegen has spelled more than `code` keeps."""


class _Capped(list):
    """Codegen tokens that stop the codegen once they are longer than `code` keeps."""

    def __init__(self):
        super().__init__()
        self.size = 0

    def append(self, token: str) -> None:
        list.append(self, token)
        self.size += len(token)
        if self.size > CODE_CHARS:
            raise _Enough

    def extend(self, tokens) -> None:
        for token in tokens:
            self.append(token)
