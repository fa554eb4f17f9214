"""Output formats: a registry of pure `render(plan) -> str` functions."""

from collections.abc import Callable

from scopeplan.model import Plan
from scopeplan.report import json_report, text

Renderer = Callable[[Plan], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
}
