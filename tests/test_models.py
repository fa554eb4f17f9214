"""Every model's CASES and NOT_CASES, through the whole pipeline: each is a one-file project."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import scopeplan.models


def _tables(name: str):
    for info in pkgutil.iter_modules(scopeplan.models.__path__):
        module = importlib.import_module(f"scopeplan.models.{info.name}")
        for case in getattr(module, name, ()):
            yield pytest.param(*case[1:], id=f"{info.name}:{case[0]}")


def findings(result):
    return sorted((r.site.location.line, r.site.method if isinstance(r.site.method, str) else None, r.path or "",
                   r.status) for r in result.resolutions)


@pytest.mark.parametrize("source, expected", list(_tables("CASES")))
def test_case(project, source, expected):
    assert findings(project({"app/zoho_client.py": source})) == sorted(expected)


@pytest.mark.parametrize("source", list(_tables("NOT_CASES")))
def test_not_case(project, source):
    assert findings(project({"app/zoho_client.py": source})) == []
