"""Every model's CASES and NOT_CASES, through the whole pipeline: each is a one-file project."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import scopeplan.models
from scopeplan import catalogue
from scopeplan.models import bodies


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


@pytest.mark.parametrize("source, expected", [pytest.param(*c[1:], id=c[0]) for c in (*bodies.BODY_CASES,
                                                                                       *bodies.BODY_NOT_CASES)])
def test_body_modules(project, source, expected):
    """The modules a request body names settle a conjunction; unknown ones leave the certain part only."""
    result = project({"app/zoho_client.py": source}, catalogue.load())
    assert [(r.status, r.scopes) for r in result.resolutions] == [expected]
    assert all(s in result.scope_names for s in expected[1])
