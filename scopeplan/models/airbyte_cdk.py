"""airbyte_cdk's `HttpStream`: the framework sends `http_method` to `urljoin(url_base, path())`; the stream class says which.

No call is written in the project: a stream class is the call. Each class deriving from an HTTP stream that
defines `path` is one call site, reported at the `return` of its `path` (where the endpoint is written).
"""

from __future__ import annotations

from scopeplan.model import CallSite, Hole, Location, TraceStep, Unresolved, Url
from scopeplan.program.project import Ctx, Function, Project, Text
from scopeplan.program.strings import urljoin

STREAM_CLASSES = frozenset({
    "airbyte_cdk.HttpStream", "airbyte_cdk.HttpSubStream",
    "airbyte_cdk.sources.streams.http.HttpStream", "airbyte_cdk.sources.streams.http.HttpSubStream",
    "airbyte_cdk.sources.streams.http.http.HttpStream", "airbyte_cdk.sources.streams.http.http.HttpSubStream",
})

_H = "https://www.zohoapis.com"
# (id, source of `app/zoho_client.py`, [(line, method, path, status)]), run by tests/test_models.py.
CASES: tuple[tuple[str, str, list[tuple[int, str | None, str, str]]], ...] = (
    ("stream-path-and-url-base", f'''from airbyte_cdk.sources.streams.http import HttpStream

class Leads(HttpStream):
    url_base = "{_H}"

    def path(self, **kwargs):
        return "/crm/v2/Leads"
''', [(7, "GET", "/crm/v2/Leads", "matched")]),
    ("stream-http-method-and-url-base-property", f'''from airbyte_cdk.sources.streams.http import HttpStream

class Search(HttpStream):
    http_method = "POST"

    @property
    def url_base(self):
        return "{_H}/crm/v2/"

    def path(self, **kwargs):
        return "coql"
''', [(11, "POST", "/crm/v2/coql", "matched")]),
    ("stream-base-class-with-the-module-per-subclass", f'''from airbyte_cdk.sources.streams.http import HttpStream

class ZohoStream(HttpStream):
    url_base = "{_H}"
    module = None

    def path(self, **kwargs):
        return f"/crm/v2/{{self.module}}"

class Leads(ZohoStream):
    module = "Leads"

class Deals(ZohoStream):
    module = "Deals"
''', [(8, "GET", "/crm/v2/{module}", "unresolved")]),
)
NOT_CASES: tuple[tuple[str, str], ...] = (
    ("a-stream-of-another-api", '''from airbyte_cdk.sources.streams.http import HttpStream

class Issues(HttpStream):
    url_base = "https://api.github.com"

    def path(self, **kwargs):
        return "/repos/x/y/issues"
'''),
    ("a-class-with-a-path-method-that-is-no-stream", f'''class Route:
    url_base = "{_H}"

    def path(self):
        return "/crm/v2/Leads"
'''),
)


def stream_sites(project: Project) -> list[CallSite]:
    """One call site per HTTP stream class that defines `path`."""
    out = []
    for cls in project.classes.values():
        if "path" not in cls.methods or not STREAM_CLASSES & set(project.external_bases(cls.qualname)):
            continue
        ctx = Ctx(self_cls=cls.qualname)
        found = project.class_member(cls.qualname, "path", ctx, 0, instance=False) or []
        path = next((v.facts for v in found if isinstance(v, Function)), None)
        module = path.qualname.split(":", 1)[0] if path is not None else ""
        if path is None or path.returns is None or module not in project.modules:
            continue
        file = project.modules[module].path
        where = Location(file, path.return_line or path.line, 1)
        bases = _texts(project, cls.qualname, "url_base", ctx) or [Text((Hole("url_base", "set at run time"),))]
        methods = _texts(project, cls.qualname, "http_method", ctx) or [Text(("GET",))]
        for base in bases:
            for tail in project.strings(path.returns, ctx, 0):
                for method in methods:
                    verb = method.parts[0] if len(method.parts) == 1 and isinstance(method.parts[0], str) else None
                    out.append(CallSite(
                        location=where, function=path.qualname, library="airbyte_cdk",
                        method=verb.upper() if verb else Unresolved("the stream's `http_method` is set at run time"),
                        url=Url(urljoin(base, tail).parts), trace=(TraceStep(file, where.line),)))
    return list(dict.fromkeys(out))


def _texts(project: Project, cls: str, name: str, ctx: Ctx) -> list[Text]:
    """The string values of a stream's attribute (or property); none when the class does not set it."""
    values = project.class_member(cls, name, ctx, 0) or []
    return [v if isinstance(v, Text) else Text((Hole(name, f"`{name}` is not a string"),)) for v in values]

