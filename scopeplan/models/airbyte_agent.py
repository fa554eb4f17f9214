"""Airbyte's agent connector SDK (`connector_sdk`): endpoints declared as data in a `ConnectorModel`, sent by its executor.

A generated connector (`airbyte-agent-zoho-crm`) holds one literal `ConnectorModel(base_url=..., entities=[...])`
whose `EntityDefinition(endpoints={Action.LIST: EndpointDefinition(method=..., path=...)})` rows are what its
`LocalExecutor` sends: `connector.execute("leads", "list")` looks the row up by (entity, action) and requests
`base_url + path`, with `{param}` placeholders filled from the call's parameters (`_build_path`) and
`{variable}` in the base URL from the configuration (`dc_region`). The executor is generic code driven by that
table, so each row is one call site, reported at its `path=` line, where the endpoint is written
(as an airbyte_cdk stream is reported at its `path()`). The SDK is vendored into each connector
(`<connector>._vendored.connector_sdk`) or imported as `connector_sdk`.
"""

from __future__ import annotations

import re

from scopeplan.model import CallSite, Hole, Location, TraceStep, Unresolved, Url
from scopeplan.program.project import EMPTY, ClassRef, External, Project, Text
from scopeplan.program.spelled import literal
from scopeplan.program.strings import concat
from scopeplan.scanner.facts import FileFacts, Invoke
from scopeplan.scanner.ir import Expr, Glob, Result

TYPES = "connector_sdk.types"  # the module that defines the model's classes, wherever the SDK lives
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

_MODEL = '''from connector_sdk.types import Action, ConnectorModel, EndpointDefinition, EntityDefinition

Model = ConnectorModel(
    name="zoho-crm",
    base_url="{base}",
    entities=[
        EntityDefinition(
            name="leads",
            endpoints={{
                Action.LIST: EndpointDefinition(
                    method="GET",
                    path="/crm/v2/Leads",
                ),
                Action.GET: EndpointDefinition(method="GET", path="/crm/v2/Leads/{{id}}"),
            }},
        ),
    ],
)
'''
# (id, source of `app/zoho_client.py`, [(line, method, path, status)]), run by tests/test_models.py.
CASES: tuple[tuple[str, str, list[tuple[int, str | None, str, str]]], ...] = (
    ("endpoint-rows-at-their-path-line-with-a-regional-base-url", _MODEL.format(base="https://www.zohoapis.{dc_region}"),
     [(12, "GET", "/crm/v2/Leads", "matched"), (14, "GET", "/crm/v2/Leads/{id}", "matched")]),
    ("a-path-override-is-what-is-sent", '''from connector_sdk.types import ConnectorModel, EndpointDefinition, PathOverrideConfig

Model = ConnectorModel(base_url="https://www.zohoapis.com", entities=[])
SEARCH = EndpointDefinition(
    method="POST",
    path="/search",
    path_override=PathOverrideConfig(path="/crm/v2/coql"),
)
''', [(7, "POST", "/crm/v2/coql", "matched")]),
    ("a-method-known-only-at-run-time", '''import os
from connector_sdk.types import ConnectorModel, EndpointDefinition

Model = ConnectorModel(base_url="https://www.zohoapis.com", entities=[])
LEADS = EndpointDefinition(method=os.environ["VERB"], path="/crm/v2/Leads")
''', [(5, None, "/crm/v2/Leads", "unresolved")]),
)
NOT_CASES: tuple[tuple[str, str], ...] = (
    ("a-connector-of-another-api", _MODEL.format(base="https://api.hubapi.com").replace("/crm/v2/", "/crm/v3/objects/")),
    ("an-endpoint-class-of-another-library", '''from myapp.routes import EndpointDefinition

ROUTE = EndpointDefinition(method="GET", path="/crm/v2/Leads")
'''),
)


def endpoint_sites(project: Project) -> list[CallSite]:
    """One call site per `EndpointDefinition` row, with the base URL of its module's `ConnectorModel`."""
    out: list[CallSite] = []
    for facts in project.files:
        rows = [i for i in facts.invokes if _is(project, i.callee, "EndpointDefinition")]
        if not rows:
            continue
        models = [i for i in facts.invokes if _is(project, i.callee, "ConnectorModel")]
        bases = [b for m in models for b in _strings(project, _kwarg(m, "base_url"))] if len(models) == 1 else []
        for row in rows:
            out.extend(_sites(project, facts, row, bases))
    return list(dict.fromkeys(out))


def _sites(project: Project, facts: FileFacts, row: Invoke, bases: list[Text]) -> list[CallSite]:
    override = _kwarg(row, "path_override")
    written = _kwarg(override, "path") if isinstance(override, Result) else None
    path = written if written is not None else _kwarg(row, "path")
    if path is None:
        return []
    line = dict(row.keyword_lines).get("path_override" if written is not None else "path", row.line)
    where = Location(facts.path, line, 1)
    methods = [literal(t) for t in _strings(project, _kwarg(row, "method"))] or [None]
    hosts = bases or [Text((Hole("base_url", "the connector model's `base_url` is not one literal"),))]
    out = []
    for base in hosts:
        for tail in _strings(project, path):
            for verb in methods:
                out.append(CallSite(
                    location=where, function=row.function, library="airbyte connector_sdk",
                    method=verb.upper() if verb else Unresolved("the endpoint's `method` is set at run time"),
                    url=Url(concat([*_filled(base, "a server variable of the connector, from its configuration"),
                                    *_filled(tail, "a path parameter, from the operation's parameters")])),
                    trace=(TraceStep(facts.path, line),)))
    return out


def _filled(text: Text, why: str) -> list[str | Hole]:
    """`{name}` placeholders, which the executor fills at run time, as holes."""
    parts: list[str | Hole] = []
    for part in text.parts:
        if not isinstance(part, str):
            parts.append(part)
            continue
        start = 0
        for m in _PLACEHOLDER.finditer(part):
            parts += [part[start:m.start()], Hole(m.group(1), why)]
            start = m.end()
        parts.append(part[start:])
    return [p for p in parts if p != ""]


def _is(project: Project, callee: Expr, name: str) -> bool:
    """Whether a callee is the SDK's class `name`, defined in the project (vendored) or imported."""
    if not isinstance(callee, Glob) or not callee.qualname.endswith(f".{name}"):
        return False
    for value in project.lookup(callee.qualname):
        dotted = value.facts.qualname if isinstance(value, ClassRef) else value.name if isinstance(value, External) else ""
        if dotted == f"{TYPES}.{name}" or dotted.endswith(f".{TYPES}.{name}"):
            return True
    return False


def _kwarg(call: Invoke | Result | None, name: str) -> Expr | None:
    return None if call is None else dict(call.kwargs).get(name)


def _strings(project: Project, expr: Expr | None) -> list[Text]:
    return [] if expr is None else project.strings(expr, EMPTY, 0)
