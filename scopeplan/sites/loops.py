"""How many times a loop around a call runs, when the code says so statically."""

from __future__ import annotations

from scopeplan.model import LoopBound
from scopeplan.scanner.facts import Loop
from scopeplan.program.project import ClassRef, Ctx, Mapping, Project, Sequence, Span


def bounds(project: Project, loops: tuple[Loop, ...], ctx: Ctx, file: str) -> tuple[LoopBound, ...]:
    """Each loop with its static bound: a hint, `range(5)` or `range(RETRIES)`, a literal list or dict; None otherwise.

    A retry (`for attempt in range(3): ... break`) is bounded by its attempts like any loop: the worst case is
    every attempt failing but the last. `while True` with a break on success stays unbounded, named a retry.

    A loop whose items already became one call site each (`for m in ("Leads", "Deals")`) counts once:
    each of those sites runs once per matching item.
    """
    out = []
    for loop in loops:
        per_item = loop.items is not None and id(loop.items) in project.expanded and loop.bound is None
        out.append(LoopBound(f"{file}:{loop.line}", loop.kind, 1 if per_item else _bound(project, loop, ctx), per_item,
                             loop.retry))
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


# Cases run by tests/test_loops.py, each a one-file project `m.py` whose entry point is `m:f` (GET /Leads: 1 credit):
# (id, source, worst-case credits of `m:f`, why it is unbounded). A retry is bounded by its attempts; a
# `while True` retry is unbounded and says "retry".
_GET = 'requests.get("https://www.zohoapis.com/crm/v8/Leads")'
CASES: tuple[tuple[str, str, int | None, str | None], ...] = (
    ("range-literal-break", f"import requests\ndef f():\n    for attempt in range(3):\n        r = {_GET}\n"
                            "        if r.ok:\n            break\n", 3, None),
    ("range-of-a-constant-return", f"import requests\nRETRIES = 3\ndef f():\n    for attempt in range(RETRIES):\n"
                                   f"        r = {_GET}\n        if r.status_code == 200:\n            return r\n", 3, None),
    ("range-start-stop-except", f"import requests\ndef f():\n    for _ in range(1, 5):\n        try:\n"
                                f"            return {_GET}\n        except OSError:\n            pass\n", 4, None),
    ("range-of-a-parameter", f"import requests\ndef f(n):\n    for attempt in range(n):\n        r = {_GET}\n"
                             "        if r.ok:\n            break\n", None, "retry loop at m.py:3"),
    ("while-true-until-ok", f"import requests, time\ndef f():\n    while True:\n        r = {_GET}\n"
                            "        if r.ok:\n            break\n        time.sleep(1)\n", None, "retry loop at m.py:3"),
    ("while-attempts-left", f"import requests\ndef f(attempts):\n    while attempts:\n        attempts -= 1\n"
                            f"        r = {_GET}\n        if r.ok:\n            return r\n", None, "retry loop at m.py:3"),
)
# Loops that are not retries: one call per item, or pagination that stops on data. (id, source, worst case, why)
NOT_CASES: tuple[tuple[str, str, int | None, str | None], ...] = (
    ("pagination", f"import requests\ndef f():\n    while True:\n        r = {_GET}\n"
                   "        if not r.json()['info']['more_records']:\n            break\n", None, "while loop at m.py:3"),
    ("over-data-with-a-break", f"import requests\ndef f(leads):\n    for lead in leads:\n        r = {_GET}\n"
                               "        if r.ok:\n            break\n", None, "for loop at m.py:3"),
    ("range-without-an-exit", f"import requests\ndef f():\n    for page in range(1, 4):\n        {_GET}\n", 3, None),
    ("gives-up-on-a-failure", f"import requests\ndef f():\n    while True:\n        r = {_GET}\n"
                              "        if not r.ok:\n            break\n", None, "while loop at m.py:3"),
)
