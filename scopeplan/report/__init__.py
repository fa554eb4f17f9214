"""Output formats: a registry of pure `render(plan, drift=None) -> str` functions."""

from collections.abc import Callable

from scopeplan.drift import Drift
from scopeplan.model import Plan
from scopeplan.report import html, json_report, markdown, sarif, text

Renderer = Callable[[Plan, Drift | None], str]

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "html": html.render,
}
