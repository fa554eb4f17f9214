"""How many times a loop around a call runs, when the code says so statically."""

from __future__ import annotations

from scopeplan.model import LoopBound
from scopeplan.scanner.facts import Loop
from scopeplan.program.project import ClassRef, Ctx, Mapping, Project, Sequence, Span


def bounds(project: Project, loops: tuple[Loop, ...], ctx: Ctx, file: str) -> tuple[LoopBound, ...]:
    """Each loop with its static bound: a hint, `range(5)`, a literal list or dict; None otherwise.

    A loop whose items already became one call site each (`for m in ("Leads", "Deals")`) counts once:
    each of those sites runs once per matching item.
    """
    out = []
    for loop in loops:
        per_item = loop.items is not None and loop.items in project.expanded and loop.bound is None
        out.append(LoopBound(f"{file}:{loop.line}", loop.kind, 1 if per_item else _bound(project, loop, ctx), per_item))
    return tuple(out)


def _bound(project: Project, loop: Loop, ctx: Ctx) -> int | None:
    if loop.bound is not None:
        return loop.bound
    if loop.kind == "while" or loop.items is None:
        return None  # pagination and retry loops stop on data scopeplan cannot see
    sizes = []
    for value in project.evaluate(loop.items, ctx):
        if isinstance(value, (Sequence, Mapping)):
            sizes.append(len(value.items))
        elif isinstance(value, Span):
            sizes.append(value.length)
        elif isinstance(value, ClassRef) and project.is_enum(value.facts):
            sizes.append(len(value.facts.attrs))
        else:
            return None
    return max(sizes) if sizes else None
