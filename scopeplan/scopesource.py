"""Where a file's scope settings sit in its source: the one thing a plan reads from a file beyond its facts.

`granted.requested` gives each module-level setting that may hold scopes the line it is assigned on, read
from the source (the facts keep no line for a constant); `plancache` keys a kept plan by those lines too.
Kept apart from `granted` so that checking a kept plan imports no resolver.
"""

from __future__ import annotations

import re
from pathlib import Path

from scopeplan.scanner.ir import Expr, Lit

NAME = re.compile(r"(?i)scope")


def mentions_oauth(expr: Expr, depth: int = 0) -> bool:
    """A cheap look at the IR before evaluating it: a literal naming an OAuth URL or a scope."""
    if isinstance(expr, Lit):
        low = expr.text.lower()
        return "oauth/v2/" in low or "scope=" in low or "zohocrm." in low
    if depth > 12:
        return False
    slots = getattr(type(expr), "__slots__", ())
    for name in slots:
        value = getattr(expr, name, None)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, tuple):
                item = item[-1] if item else None
            if isinstance(item, Expr) and mentions_oauth(item, depth + 1):
                return True
    return False


def lines_read(root: Path, facts) -> tuple[int, ...]:
    """The lines `granted.requested` may take from this file's source beyond its facts (where each module-level
    name that may hold scopes is assigned): a kept plan is valid only while they stay where they were."""
    names = [name for name, expr in facts.symbols if NAME.search(name) or mentions_oauth(expr)]
    if not names:
        return ()
    text = lines(root, facts.path)
    return tuple(line_of(text, name) for name in names)


def lines(root: Path, path: str) -> list[str]:
    base = root if root.is_dir() else root.parent
    try:
        return (base / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def line_of(lines: list[str], name: str) -> int:
    """The line a module-level name is assigned on (the IR keeps no line for constants)."""
    pattern = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=")
    return next((i for i, line in enumerate(lines, 1) if pattern.match(line)), 1)
