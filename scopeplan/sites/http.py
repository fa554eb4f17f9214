"""Turn recorded calls into HTTP call sites: which library, which method, which URL."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from scopeplan.model import CallSite, Hole, Location, TraceStep, Unresolved, Url
from scopeplan.models import bodies
from scopeplan.models import http as clients
from scopeplan.scanner.facts import FileFacts, Invoke
from scopeplan.program.project import (
    EMPTY, Ctx, External, ExternalInstance, Function, Instance, Mapping, Project, SuperRef, Target, Text, Value,
)
from scopeplan.scanner.ir import Attr, Expr, GetAttr, Glob, Index, Lit, Param, SelfAttr, Unknown

# A receiver we cannot type still counts when its name says "HTTP client" and the URL is plainly Zoho CRM.
_CLIENTISH = re.compile(r"(?i)(session|client|http|^s$|^sess$|requests|conn|api)")


@dataclass(frozen=True, slots=True)
class HttpCall:
    """How to read one recorded call: library, call style, and the client's base URL."""

    library: str
    style: str  # a verb ("get"), "request" (method first), "urlopen-url", or "fetch" (tornado)
    base: Expr | None = None
    base_ctx: Ctx | None = None
    guessed: bool = False  # the receiver's type is unknown; its name and the URL decide
    method: Expr | None = None  # for style "named": the method is this value (`getattr(requests, verb)`)


def http_calls(project: Project, invoke: Invoke, ctx: Ctx = EMPTY) -> list[HttpCall]:
    """The HTTP calls an invoke may be; empty when it is something else."""
    found = _spelled(project, invoke, ctx)
    if found or not isinstance(invoke.callee, (Glob, SelfAttr, Index)):
        return found
    # a stored HTTP function: `send = requests.post`, `VERBS = {"get": requests.get}` ... `VERBS[verb](url)`
    out = []
    for value in project.evaluate(invoke.callee, ctx):
        function = clients.function(value.name) if isinstance(value, External) else None
        if function is not None:
            out.append(HttpCall(*function))
    return list(dict.fromkeys(out))


def _spelled(project: Project, invoke: Invoke, ctx: Ctx) -> list[HttpCall]:
    """The HTTP calls an invoke is by the way it is written: a library function, a client method, getattr."""
    callee = invoke.callee
    if isinstance(callee, Glob):
        function = clients.function(callee.qualname)
        if function is not None:
            return [HttpCall(*function)]
        head, _, method = callee.qualname.rpartition(".")
        if method not in clients.ALL_METHODS or not head:
            return []
        return _on(project, invoke, project.lookup(head), method)
    if isinstance(callee, Attr) and callee.name in clients.ALL_METHODS:
        return _on(project, invoke, project.evaluate(callee.value, ctx), callee.name)
    if isinstance(callee, SelfAttr) and callee.name in clients.ALL_METHODS:
        # `self.get(...)`: a method of the class itself, unless the class is an HTTP client's subclass
        return _inherited(project, ctx.self_cls or callee.cls, callee.name, ctx)
    if isinstance(callee, GetAttr):  # `getattr(requests, method)(url)`, `getattr(session, verb.lower())(...)`
        out = []
        for name in project.strings(callee.name, ctx, 0):
            literal = _literal(name)
            if literal is not None and literal.lower() in clients.CLIENT_METHODS:
                out.extend(_on(project, invoke, project.evaluate(callee.value, ctx), literal.lower()))
            elif literal is None:
                calls = _on(project, invoke, project.evaluate(callee.value, ctx), "get")
                out.extend(replace(c, style="named", method=callee.name) for c in calls if c.style == "get")
        return list(dict.fromkeys(out))
    return []


def looks_like_a_call(project: Project, invoke: Invoke) -> bool:
    """A call named like an HTTP or SDK method (or through getattr) on a receiver that may be a client:
    not a dict, a list, a module of the project or a library outside HTTP and the Zoho SDKs."""
    callee = invoke.callee
    if isinstance(callee, GetAttr):
        return True
    if not isinstance(callee, Attr) or callee.name not in _call_names():
        return False
    for value in project.evaluate(callee.value):
        if isinstance(value, (Text, ExternalInstance, Instance)):
            return True  # a value only known at run time, an object from a library or the project: maybe a client
        if isinstance(value, External) and clients.function(f"{value.name}.{callee.name}") is not None:
            return True
    return False


@cache
def _call_names() -> frozenset[str]:
    """The method names of HTTP clients and of the Zoho SDK (whose tables are read once)."""
    from scopeplan.models import zoho_sdk

    return clients.CLIENT_METHODS | zoho_sdk.method_names()


def _on(project: Project, invoke: Invoke, receivers: list[Value], method: str) -> list[HttpCall]:
    """`receiver.method(...)` for each value the receiver may have."""
    out = []
    for receiver in receivers:
        client = clients.client(receiver)
        if client is not None:
            if method in clients.methods(client.library):
                out.append(HttpCall(client.library, method, client.base, client.ctx))
        elif isinstance(receiver, External):
            function = clients.function(f"{receiver.name}.{method}")
            if function is not None:
                out.append(HttpCall(*function))
        elif isinstance(receiver, Instance):
            out.extend(_inherited(project, receiver.facts.qualname, method, receiver.ctx))
        elif isinstance(receiver, SuperRef):  # `super().request(...)` in a client subclass's override
            out.extend(_inherited(project, receiver.cls, method, receiver.ctx, after=receiver.cls))
        elif isinstance(receiver, (Text, ExternalInstance)) and method in clients.CLIENT_METHODS and (
                _CLIENTISH.search(_receiver_name(invoke.callee))):
            out.append(HttpCall("http", method, guessed=True))  # an object scopeplan cannot type
    return out


def _inherited(project: Project, cls: str, method: str, ctx: Ctx, after: str | None = None) -> list[HttpCall]:
    """An HTTP method a project class inherits from a client class (`class Api(requests.Session)`)."""
    if project.class_member(cls, method, ctx, 0, after=after) is not None:
        return []  # the project's own method: followed as a wrapper
    library = _client_library(project, cls)
    if library is None:
        return []
    if after is None and _override(project, cls, library, method, ctx) is not None:
        return []  # `api.get(url)` runs the class's own `request`: followed as a wrapper (`delegated`)
    return [HttpCall(library, method)] if method in clients.methods(library) else []


def _client_library(project: Project, cls: str) -> str | None:
    """The library of the first HTTP client class a project class derives from, if any."""
    return next((lib for base in project.external_bases(cls) if (lib := clients.client_class(base))), None)


def _override(project: Project, cls: str, library: str, method: str, ctx: Ctx) -> Function | None:
    """The project's override of the method a client class's verb helpers call (`request`), if it has one."""
    delegate = clients.VERB_DELEGATES.get(library)
    if method not in clients.VERBS or delegate is None:
        return None
    found = project.class_member(cls, delegate, ctx, 0) or []
    return next((v for v in found if isinstance(v, Function)), None)


def delegated(project: Project, invoke: Invoke) -> list[Target]:
    """`api.get(url)` on a client subclass that overrides `request`: a call of that override with "GET" first."""
    callee = invoke.callee
    if not isinstance(callee, (Attr, SelfAttr)) or callee.name not in clients.VERBS:
        return []
    if isinstance(callee, SelfAttr):
        classes = [(callee.cls, EMPTY, True)] if callee.cls else []
    else:
        classes = [(v.facts.qualname, v.ctx, False) for v in project.evaluate(callee.value) if isinstance(v, Instance)]
    out = []
    for cls, ctx, own in classes:
        library = _client_library(project, cls)
        if library is None or project.class_member(cls, callee.name, ctx, 0) is not None:
            continue
        function = _override(project, cls, library, callee.name, ctx)
        if function is not None:
            out.append(Target(function.facts, function.self_cls, 1, None if own else ctx, None, via_self=own,
                              prefix=(Lit(callee.name.upper()),)))
    return out


def sites_of(project: Project, facts: FileFacts, invoke: Invoke, call: HttpCall, ctx: Ctx = EMPTY,
             at: Invoke | None = None, at_file: str | None = None,
             trace: tuple[TraceStep, ...] = ()) -> list[CallSite]:
    """The call sites of one HTTP call, one per static value of its method and URL."""
    if not _guards_may_hold(project, invoke, ctx):
        return []  # e.g. `if method == "GET": requests.get(...)` reached with method "POST"
    args, kwargs = list(invoke.args), dict(invoke.kwargs)
    if call.style in clients.METHOD_FIRST:
        method_expr = kwargs.get("method", args[0] if args else None)
        url_expr = kwargs.get("url", args[1] if len(args) > 1 else None)
    elif call.style in clients.FETCH_METHODS:  # tornado: `fetch(url_or_request, method="GET")`
        method_expr = kwargs.get("method", Lit("GET"))
        url_expr = kwargs.get("request", kwargs.get("url", args[0] if args else None))
    elif call.style in clients.SEND_METHODS:  # `session.send(prepared)`: the request object says it all
        method_expr = None
        url_expr = kwargs.get("request", args[0] if args else None)
    elif call.style == "named":
        method_expr = call.method
        url_expr = kwargs.get("url", args[0] if args else None)
    else:
        method_expr = Lit(call.style.upper()) if call.style != "urlopen-url" else None
        url_expr = kwargs.get("url", args[0] if args else None)
    if url_expr is None:
        return []
    urls: list[tuple[Text, Text | None]] = []
    for value in clients.prepared(project, project.evaluate(url_expr, ctx)):
        request = clients.request_object(value)
        if call.style in clients.SEND_METHODS and request is None:
            urls.append((Text((Hole("request", "a request object built where scopeplan cannot follow"),)), None))
        elif request is not None:
            url_of, method_of, request_ctx = request
            for url in project.strings(url_of, request_ctx, 0):
                for method in project.strings(method_of, request_ctx, 0):
                    urls.append((url, method))
        elif isinstance(value, Text):
            urls.append((value, None))
    if call.style == "urlopen-url" and method_expr is None:
        has_data = len(args) > 1 or "data" in kwargs
        method_expr = Lit("POST" if has_data else "GET")
    bases = project.strings(call.base, call.base_ctx or EMPTY, 0) if call.base is not None else [None]
    methods = project.strings(method_expr, ctx, 0) if method_expr is not None else []
    where = at or invoke
    location = Location(at_file or facts.path, where.line, where.column)
    steps = trace or (TraceStep(facts.path, invoke.line),)
    out = []
    for url, own_method in urls:
        for base in bases:
            full = _join(base, url) if base is not None else url
            if call.guessed and not (_crm_evident(full) or _url_shaped_hole(full)):
                continue
            for method in ([own_method] if own_method is not None else methods):
                site = CallSite(location=location, function=where.function, library=call.library,
                                method=_method(method, method_expr), url=Url(full.parts), trace=steps)
                body, body_ctx = _body(project, kwargs, ctx)
                out.extend(bodies.apply(project, site, body, body_ctx))
    return out


def _body(project: Project, kwargs: dict[str, Expr], ctx: Ctx) -> tuple[Expr | None, Ctx]:
    """The request body (`json=` or `data=`), also when it arrives through `**kwargs` of a wrapper."""
    for key in ("json", "data"):
        if key in kwargs:
            return kwargs[key], ctx
    if "**" in kwargs:
        for table in project.evaluate(kwargs["**"], ctx):
            if isinstance(table, Mapping):
                found = dict(table.items)
                for key in ("json", "data"):
                    if key in found:
                        return found[key], table.ctx
    return None, ctx


def _guards_may_hold(project: Project, invoke: Invoke, ctx: Ctx) -> bool:
    """False only when every value the guard can see proves an `if` around the call false."""
    return all(project.decide(guard, ctx) is not False for guard in invoke.guards)


def _literal(text: Text) -> str | None:
    return text.parts[0] if len(text.parts) == 1 and isinstance(text.parts[0], str) else None


def _method(value: Text, expr: Expr | None) -> str | Unresolved:
    if len(value.parts) == 1 and isinstance(value.parts[0], str) and value.parts[0].isalpha():
        if value.parts[0].lower() not in clients.VERBS | {"trace", "connect"}:  # `api_fetch(token, "users")`
            return Unresolved(f"the HTTP method would be {value.parts[0]!r}, which is not one (an argument out of place?)")
        return value.parts[0].upper()
    hole = next((p for p in value.parts if isinstance(p, Hole)), None)
    if hole is not None:
        why = f" ({hole.origin})" if hole.origin else ""
        return Unresolved(f"the HTTP method comes from `{hole.name}`{why}")
    return Unresolved("the HTTP method is not a plain string")


def _join(base: Text, url: Text) -> Text:
    """A client's base URL joined with a request URL, as httpx and aiohttp do for relative URLs."""
    first = url.parts[0] if url.parts else ""
    if isinstance(first, str) and re.match(r"^[a-z]+://", first, re.IGNORECASE):
        return url
    parts = list(base.parts)
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip("/")
    rest = list(url.parts)
    if rest and isinstance(rest[0], str):
        rest[0] = rest[0].lstrip("/")
    return Text(tuple(p for p in (*parts, "/", *rest) if p != ""))


_URLISH = re.compile(r"(?i)(url|uri|endpoint|path|href|link|route)")


def _url_shaped_hole(text: Text) -> bool:
    """A URL that is wholly a value named like one (`conn.get(url)`): reported unresolved, never dropped,
    where the code shows a sign of Zoho; `cache.get(key)` is not a URL."""
    return len(text.parts) == 1 and isinstance(text.parts[0], Hole) and bool(_URLISH.search(text.parts[0].name))


def _crm_evident(text: Text) -> bool:
    return any(isinstance(p, str) and ("/crm/v" in p or "zohoapis." in p) for p in text.parts)


def _receiver_name(callee: Expr) -> str:
    value = callee.value if isinstance(callee, (Attr, GetAttr)) else callee
    if isinstance(value, (Unknown, Param, SelfAttr)):
        return value.name
    if isinstance(value, Attr):
        return value.name
    if isinstance(value, Glob):
        return value.qualname.rsplit(".", 1)[-1]
    return ""
