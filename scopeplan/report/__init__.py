"""Output formats: a registry of pure `render(plan, drift=None) -> str` functions.

Each renderer's module is imported when it is first called, so that printing one format (or a plan
kept by plancache.py) never pays for the imports of the others.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scopeplan.drift import Drift
    from scopeplan.model import Plan

Renderer = Callable[["Plan", "Drift | None"], str]

_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "markdown": "markdown", "html": "html"}


def _renderer(name: str, module: str) -> Renderer:
    def render(plan: Plan, drift: Drift | None = None) -> str:
        return import_module(f"scopeplan.report.{module}").render(plan, drift)  # type: ignore[no-any-return]

    render.__name__ = render.__qualname__ = f"render_{name}"
    render.__doc__ = f"The {name} report (scopeplan.report.{module}.render)."
    return render


FORMATS: dict[str, Renderer] = {name: _renderer(name, module) for name, module in _MODULES.items()}
