"""What one file tells the analysis: its names, classes, functions and the calls that may matter."""

from __future__ import annotations

from dataclasses import dataclass

from scopeplan.scanner.ir import Expr, Guard, Param  # noqa: F401  (Guard is part of Invoke)


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop around a call: its kind and where it starts; `items` is what a `for` iterates over."""

    kind: str  # "for" | "while" | "comprehension"
    line: int
    items: Expr | None = None
    bound: int | None = None  # from a `# scopeplan: loop<=N` hint
    retry: bool = False  # it retries the calls in it until one succeeds (scanner/retry.py)


@dataclass(frozen=True, slots=True)
class Invoke:
    """A call that may reach Zoho: an HTTP call, a client method, or a call of a project function."""

    line: int
    column: int  # 1-based
    function: str  # the enclosing function: "pkg.mod:Class.method", "pkg.mod:<module>"
    callee: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    loops: tuple[Loop, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()  # `# scopeplan: key=value` on the call's lines
    guards: tuple[Guard, ...] = ()
    state: tuple[tuple[str, Expr], ...] = ()  # `self.X = ...` set earlier in the calling method, as at the call
    keyword_lines: tuple[tuple[str, int], ...] = ()  # keyword arguments that start on a later line than the call


@dataclass(frozen=True, slots=True)
class FunctionFacts:
    """A function or method: its parameters and what it returns."""

    qualname: str  # "pkg.mod:Class.method"
    params: tuple[Param, ...]
    returns: Expr | None
    line: int
    cls: str | None = None  # "pkg.mod.Class" for methods
    decorators: tuple[str, ...] = ()  # qualified when imported ("celery.shared_task"), else spelled ("app.route")
    return_line: int = 0  # the line of its first `return <value>`, 0 when it has none


@dataclass(frozen=True, slots=True)
class ClassFacts:
    """A class: bases, class attributes, attributes set on `self`, and methods."""

    qualname: str  # dotted: "pkg.mod.Client"
    bases: tuple[Expr, ...]
    attrs: tuple[tuple[str, Expr], ...]
    instance: tuple[tuple[str, Expr], ...]
    methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything the resolver needs from one file; never a syntax tree."""

    path: str  # posix, relative to the root
    module: str  # dotted module name
    symbols: tuple[tuple[str, Expr], ...] = ()
    classes: tuple[ClassFacts, ...] = ()
    functions: tuple[FunctionFacts, ...] = ()
    invokes: tuple[Invoke, ...] = ()
    python2: bool = False  # read as Python 2: translated to Python 3 in memory, same lines (scanner/py2.py)
    error: str | None = None
    problems: tuple[str, ...] = ()  # e.g. unknown hint comments: reported, the file is still analysed
    signs: tuple[str, ...] = ()  # what in the file names Zoho CRM: "imports zcrmsdk (line 3)", "names /crm/v2/..."
    imports: tuple[tuple[str, Expr], ...] = ()  # names its top-level imports bind, as Globs: a package's re-exports
    star_imports: tuple[str, ...] = ()  # the modules `from M import *` takes every public name of, in order
