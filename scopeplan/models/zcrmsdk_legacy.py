"""Calls through the original zcrmsdk (1.x and 2.x, 2017-2020) become the REST calls they make.

`ZCRMModule.get_instance("Leads").get_records()`, `zcrmsdk.ZCRMModule(m).get_record(i)`,
`ZCRMRecord.get_instance("Deals", i).update()`, `ZCRMOrganization.get_instance().get_all_users()`,
`ZCRMRestClient.get_instance().get_all_modules()` and the handlers themselves
(`EntityAPIHandler.get_instance(record).get_record()`) are looked up in `data/zcrmsdk_legacy.json`, built
from the wheels by tools/build_zcrmsdk_legacy.py. Each `{ctor.x}` of a path takes the value of the
constructor (or `get_instance`) argument x, each `{arg.x}` the method's argument x; `{ctor.x.f}` reads
field f of the SDK object passed as x (a `ZCRMRecord` given to `ZCRMModuleRelation`). Values are the
resolver's: a module name held in a constant, a parameter, a loop variable is followed like any other.

These SDKs send `https://<apiBaseUrl>/crm/<apiVersion>/<path>`, `www.zohoapis.com` and `v2` unless the
dict given to `ZCRMRestClient.initialize` says otherwise (Utility.py `set_config_values`). They make no
CRM call on their own: `initialize` reads configuration, an expired token is refreshed at Zoho Accounts
(`POST /oauth/v2/token`, no scope), and only `generate_access_token(grant_token)` reads the token's user
(`GET /oauth/user/info`, scope `AAAserver.profile.Read`). `users?type=CurrentUser` is sent only when the
code calls `get_current_user()`. Those Accounts calls are listed in the table's `implicit_calls`.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from scopeplan.model import CallSite, Hole, Location, TraceStep, Url
from scopeplan.program.project import EMPTY, Ctx, ExternalInstance, Mapping, Project, Value, method_name
from scopeplan.program.project import Instance as ProjectInstance
from scopeplan.program.strings import Text
from scopeplan.scanner.facts import FileFacts, Invoke
from scopeplan.scanner.ir import Attr, Expr, Glob, Lit, Param, Result, Unknown

ROOT = "zcrmsdk"
SUBMODULES = frozenset({"Operations", "Org", "RestClient", "Handler"})  # `zcrmsdk.Operations.ZCRMRecord`
# The SDK's own files: a project that vendors a copy of the SDK (or is the SDK) is not read from inside them.
SDK_FILES = SUBMODULES | {"Request", "Utility", "OAuthClient", "OAuthUtility", "Persistence", "Response",
                          "CLException", "Path"}
GENERIC = frozenset({"get", "update", "create", "delete", "merge"})  # too common to guess on a bare parameter
DEFAULT_HOST, DEFAULT_VERSION = "www.zohoapis.com", "v2"
Args = tuple[Expr, ...]
Kwargs = tuple[tuple[str, Expr], ...]
Bound = dict[str, tuple[Expr, Ctx]]


@dataclass(frozen=True, slots=True)
class Instance:
    """An SDK object: its class and what its constructor parameters are bound to."""

    cls: str
    binds: tuple[tuple[str, tuple[Expr, Ctx]], ...]

    def bound(self, name: str) -> tuple[Expr, Ctx] | None:
        """The expression (and its context) the constructor parameter `name` was given."""
        return dict(self.binds).get(name)


@dataclass(frozen=True, slots=True)
class LegacyCall:
    """One call of a zcrmsdk 1.x/2.x method on a resolved SDK object."""

    version: str  # the newest table row that has the method: "2.0.11", "1.0.9"
    receiver: Instance
    method: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]


# -- the table ------------------------------------------------------------------------------------------

@cache
def table() -> dict[str, Any]:
    """data/zcrmsdk_legacy.json."""
    text = resources.files("scopeplan.data").joinpath("zcrmsdk_legacy.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def versions() -> tuple[str, ...]:
    """The table's releases, newest first."""
    return tuple(sorted(table()["packages"], key=lambda v: [int(n) for n in v.split(".")], reverse=True))


def _class(version: str, cls: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = table()["packages"][version]["classes"].get(cls)
    return row


@cache
def method_names() -> frozenset[str]:
    """Every method name of the table, and `initialize`."""
    names = {m for v in versions() for c in table()["packages"][v]["classes"].values()
             for m in (*c["methods"], *c["returns"])}
    return frozenset(names | {"initialize"})


def _newest_with(cls: str, method: str, kind: str = "methods") -> str | None:
    return next((v for v in versions() if method in ((_class(v, cls) or {}).get(kind) or {})), None)


def library(version: str, cls: str, method: str) -> str:
    """`zcrmsdk 1.x/2.x` for a method both lines have, `zcrmsdk 2.x` for one only 2.x has."""
    lines = {v.split(".")[0] for v in versions() if method in ((_class(v, cls) or {}).get("methods") or {})}
    return f"{ROOT} " + "/".join(f"{n}.x" for n in sorted(lines))


def _parse(ref: str) -> tuple[str, str | None] | None:
    """(class, factory) of a dotted name: `zcrmsdk.ZCRMModule.get_instance` -> (ZCRMModule, get_instance)."""
    parts = ref.split(".")
    if len(parts) >= 2 and parts[0] in SUBMODULES:  # Python 2's implicit relative import inside the SDK's
        parts = [ROOT, *parts]  # package (its Test.py, vendored copies): `from Operations import ZCRMModule`
        if not any((_class(v, parts[2]) or {}).get("file") == f"{parts[1]}.py" for v in versions()):
            return None
    if len(parts) < 2 or parts[0] != ROOT:
        return None
    rest = parts[2:] if parts[1] in SUBMODULES else parts[1:]
    if not rest or not any(_class(v, rest[0]) for v in versions()):
        return None
    if len(rest) == 1:
        return rest[0], None
    if len(rest) == 2 and rest[1].startswith("get_instance"):
        return rest[0], rest[1]
    return None


# -- objects ----------------------------------------------------------------------------------------------

def instances(project: Project, expr: Expr, ctx: Ctx = EMPTY, depth: int = 0) -> list[Instance]:
    """The SDK objects an expression may be: constructed, made by `get_instance`, or returned by a method
    such as `ZCRMRestClient.get_instance().get_module_instance("Leads")`."""
    if depth > 8:
        return []
    if isinstance(expr, Param):
        bound = ctx.bound(expr.function, expr.name)
        if bound is not None:
            return instances(project, bound[0], bound[1], depth + 1)
    if isinstance(expr, Result) and isinstance(expr.callee, Attr):
        made = [i for inner in instances(project, expr.callee.value, ctx, depth + 1)
                if (i := _returned(inner, expr, ctx)) is not None]
        if made:
            return made
    out = []
    for value in project.evaluate(expr, ctx):
        if isinstance(value, ExternalInstance):
            found = _parse(value.name)
            if found is not None:
                out.append(_construct(found[0], found[1], value.args, value.kwargs, value.ctx))
        elif isinstance(value, ProjectInstance):
            vendored = _vendored(value.facts.qualname, value.ctx)
            if vendored is not None:
                out.append(vendored)
    return list(dict.fromkeys(out))


def _vendored(qualname: str, ctx: Ctx | None) -> Instance | None:
    """An instance of the SDK's own class when the project holds a copy of the SDK (2018 code often vendored
    it, with Python 2 relative imports: `from Operations import ZCRMModule`): bound by its `__init__`."""
    module, _, cls = qualname.rpartition(".")
    if module.rpartition(".")[2] not in SUBMODULES:
        return None
    row = next((r for v in versions() if (r := _class(v, cls)) is not None and r["file"] == module.rpartition(".")[2]
                + ".py"), None)
    if row is None:
        return None
    init = f"{module}:{cls}.__init__"
    binds = [(p, b) for p in row["constructor"] if ctx is not None and (b := ctx.bound(init, p)) is not None]
    return Instance(cls, tuple(binds))


def _construct(cls: str, factory: str | None, args: Args, kwargs: Kwargs, ctx: Ctx) -> Instance:
    row = next(r for v in versions() if (r := _class(v, cls)) is not None)
    if factory is None or factory not in row["factories"]:
        return Instance(cls, tuple(_bind(row["constructor"], args, kwargs, ctx).items()))
    spec = row["factories"][factory]
    given = _bind(spec["params"], args, kwargs, ctx)
    return Instance(cls, tuple((p, given[s[4:]]) for p, s in spec["binds"].items()
                               if s.startswith("arg.") and s[4:] in given))


def _returned(inner: Instance, expr: Result, ctx: Ctx) -> Instance | None:
    """What a method of `inner` that makes no request returns: another SDK object."""
    name = expr.callee.name if isinstance(expr.callee, Attr) else ""
    version = _newest_with(inner.cls, name, "returns")
    if version is None:
        return None
    spec = (_class(version, inner.cls) or {})["returns"][name]
    given = _bind(spec["params"], expr.args, expr.kwargs, ctx)
    binds = []
    for param, source in spec["binds"].items():
        head, _, rest = source.partition(".")
        value = (Lit(source[1:]), EMPTY) if source.startswith("=") else (
            given.get(rest) if head == "arg" else inner.bound(rest) if head == "ctor" and "." not in rest else None)
        if value is not None:
            binds.append((param, value))
    return Instance(spec["class"], tuple(binds))


def _bind(names: list[str], args: Args, kwargs: Kwargs, ctx: Ctx) -> Bound:
    bound = {name: (arg, ctx) for name, arg in zip(names, args)}
    bound.update((key, (arg, ctx)) for key, arg in kwargs if key in names)
    return bound


# -- recognising calls ------------------------------------------------------------------------------------

def legacy_calls(project: Project, invoke: Invoke, ctx: Ctx = EMPTY) -> list[LegacyCall]:
    """The zcrmsdk 1.x/2.x calls an invoke may be, one per receiver object; empty when it is something else."""
    method = method_name(invoke.callee)
    if method is None or method not in method_names():
        return []
    if invoke.function.partition(":")[0].rpartition(".")[2] in SDK_FILES:
        return []  # inside a vendored copy of the SDK: its own plumbing, not the project's calls
    if not isinstance(invoke.callee, Attr):  # `ZCRMRestClient.initialize(config)`: a static method
        found = _parse(invoke.callee.qualname.rpartition(".")[0]) if (
            method == "initialize" and isinstance(invoke.callee, Glob)) else None
        if found is None or found[1] is not None or found[0] != "ZCRMRestClient":
            return []
        return [LegacyCall(versions()[0], Instance(found[0], ()), method, invoke.args, invoke.kwargs)]
    out = []
    for receiver in instances(project, invoke.callee.value, ctx):
        version = _newest_with(receiver.cls, method)
        if version is not None:
            out.append(LegacyCall(version, receiver, method, invoke.args, invoke.kwargs))
    return out


def is_legacy_call(project: Project, invoke: Invoke) -> bool:
    """Whether the invoke may be a zcrmsdk 1.x/2.x method (or `ZCRMRestClient.initialize`)."""
    if legacy_calls(project, invoke):
        return True
    callee = invoke.callee  # `def fetch(module): module.get_records()`: the object is known at the callers
    return (isinstance(callee, Attr) and isinstance(callee.value, Param) and callee.name in method_names()
            and callee.name not in GENERIC)


_CONFIG: weakref.WeakKeyDictionary[Project, tuple[str, str]] = weakref.WeakKeyDictionary()  # (host, version)


def config(project: Project) -> tuple[str, str]:
    """apiBaseUrl and apiVersion: what every `ZCRMRestClient.initialize({...})` of the project agrees on."""
    if project in _CONFIG:
        return _CONFIG[project]
    hosts: set[str] = set()
    versions_seen: set[str] = set()
    for facts in project.files:
        for invoke in facts.invokes:
            if method_name(invoke.callee) != "initialize" or not invoke.args:
                continue
            if not any(c.method == "initialize" for c in legacy_calls(project, invoke)):
                continue
            for value in project.evaluate(invoke.args[0]):
                if not isinstance(value, Mapping):
                    continue
                table_: dict[str, Expr] = dict(value.items)
                for key, into in (("apiBaseUrl", hosts), ("apiVersion", versions_seen)):
                    texts = project.strings(table_[key], value.ctx, 0) if key in table_ else []
                    into.update(t.parts[0] for t in texts if len(t.parts) == 1 and isinstance(t.parts[0], str))
    chosen = (hosts.pop() if len(hosts) == 1 else DEFAULT_HOST,
              versions_seen.pop() if len(versions_seen) == 1 else DEFAULT_VERSION)
    _CONFIG[project] = chosen
    return chosen


# -- call sites -------------------------------------------------------------------------------------------

def legacy_sites(project: Project, facts: FileFacts, invoke: Invoke, ctx: Ctx = EMPTY, at: Invoke | None = None,
                 at_file: str | None = None, trace: tuple[TraceStep, ...] = ()) -> list[CallSite]:
    """The CRM calls a zcrmsdk 1.x/2.x call makes (none for `initialize`: it only reads configuration)."""
    where = at or invoke
    location = Location(at_file or facts.path, where.line, where.column)
    ignored = dict(where.hints).get("ignore")
    out: list[CallSite] = []
    for call in legacy_calls(project, invoke, ctx):
        if call.method == "initialize":
            continue
        host, api_version = config(project)
        spec = (_class(call.version, call.receiver.cls) or {})["methods"][call.method]
        given = _bind(spec["params"], call.args, call.kwargs, ctx)
        spelled = f"{call.receiver.cls}.{call.method}"
        for request in spec["requests"]:
            for text in _paths(project, request, call.receiver, given, spelled):
                query = "?" + request["query"] if request["query"] else ""
                base = host if host.startswith("http") else f"https://{host}"  # Request.py adds https:// if absent
                parts = (f"{base.rstrip('/')}/crm/{api_version}/", *text.parts, *((query,) if query else ()))
                out.append(CallSite(location=location, function=where.function,
                                    library=library(call.version, call.receiver.cls, call.method),
                                    method=request["http_method"], url=Url(_joined(parts)),
                                    trace=trace or (TraceStep(facts.path, invoke.line),), ignored=ignored))
    return list(dict.fromkeys(out))


def _paths(project: Project, request: dict[str, Any], receiver: Instance, given: Bound, spelled: str) -> list[Text]:
    groups: list[list[Value]] = []
    path: str = request["path"]
    pos = 0
    for hole in request["placeholders"]:
        marker = "{%s}" % hole["name"]
        start = path.index(marker, pos)
        groups.append([Text((path[pos:start],))])
        groups.append(list(_symbol(project, hole["name"], receiver, given, spelled, 0)))
        pos = start + len(marker)
    groups.append([Text((path[pos:],))])
    return project.texts(groups, Unknown(spelled))


def _symbol(project: Project, symbol: str, receiver: Instance, given: Bound, spelled: str, depth: int) -> list[Text]:
    """Every string a path symbol may be: `ctor.module_apiname`, `arg.entityID`, `ctor.parent_record.entity_id`."""
    head, name, *fields = symbol.split(".")
    if head == "attr":
        spelling = ".".join([name, *fields])
        return [Text((Hole((fields or [name])[-1], f"`{spelling}` is set on the object after get_instance(), "
                                                   f"before `{spelled}()`"),))]
    bound = receiver.bound(name) if head == "ctor" else given.get(name)
    if bound is None:
        return [Text((Hole(name, f"`{name}` is not given to `{spelled}()`"),))]
    expr, ctx = bound
    if not fields:
        return project.strings(expr, ctx, 0)
    out: list[Text] = []
    for inner in instances(project, expr, ctx):  # a field of an SDK object the caller passed
        row = next((r for v in versions() if (r := _class(v, inner.cls)) is not None), None)
        source = (row or {}).get("fields", {}).get(fields[0])
        if source is not None and depth < 4:
            rest = ".".join([source, *fields[1:]])
            out.extend(_symbol(project, rest, inner, {}, spelled, depth + 1))
    return out or [Text((Hole(fields[-1], f"`{name}.{'.'.join(fields)}` of an object scopeplan cannot follow"),))]


def _joined(parts: tuple[str | Hole, ...]) -> tuple[str | Hole, ...]:
    out: list[str | Hole] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        elif part != "":
            out.append(part)
    return tuple(out)


# -- cases: (id, source, [(line, method, path, status)]) through the whole pipeline (tests/test_models.py, whose
# small catalogue decides the status), and look-alikes that must give nothing ------------------------------

_IMPORT = "from zcrmsdk import ZCRMRestClient, ZCRMModule, ZCRMRecord, ZCRMOrganization\n"  # line 1

CASES: tuple[tuple[str, str, tuple[tuple[int, str, str, str], ...]], ...] = (
    ("module-get-instance", _IMPORT + 'ZCRMModule.get_instance("Leads").get_records()\n',
     ((2, "GET", "/crm/v2/Leads", "matched"),)),
    ("package-attribute-and-parameters", 'import zcrmsdk\ndef one(m, i):\n    return zcrmsdk.ZCRMModule(m).get_record(i)\n'
                                         'one("Contacts", 5)\n',
     ((4, "GET", "/crm/v2/Contacts/5", "matched"),)),
    ("record-update", _IMPORT + 'ZCRMRecord.get_instance("Deals", 7).update()\n', ((2, "PUT", "/crm/v2/Deals/7", "unmatched"),)),
    ("record-create-in-a-variable", _IMPORT + 'rec = ZCRMRecord("Accounts", None)\nrec.set_field_value("a", 1)\n'
                                              'rec.create()\n',
     ((4, "POST", "/crm/v2/Accounts", "unmatched"),)),
    ("org-users", _IMPORT + 'ZCRMOrganization.get_instance().get_all_users()\n', ((2, "GET", "/crm/v2/users", "matched"),)),
    ("current-user-query", _IMPORT + 'ZCRMRestClient.get_instance().get_current_user()\n',
     ((2, "GET", "/crm/v2/users", "matched"),)),
    ("rest-client-modules", _IMPORT + 'ZCRMRestClient.get_instance().get_all_modules()\n',
     ((2, "GET", "/crm/v2/settings/modules", "unmatched"),)),
    ("factory-method-chain", _IMPORT + 'client = ZCRMRestClient.get_instance()\n'
                                       'client.get_module_instance("Vendors").search_records("x")\n',
     ((3, "GET", "/crm/v2/Vendors/search", "matched"),)),
    ("related-list-literal", _IMPORT + 'ZCRMRecord.get_instance("Leads", 3).get_notes()\n',
     ((2, "GET", "/crm/v2/Leads/3/Notes", "unmatched"),)),
    ("submodule-import-and-handler", 'from zcrmsdk.Operations import ZCRMRecord\n'
                                     'from zcrmsdk.Handler import EntityAPIHandler\n'
                                     'EntityAPIHandler.get_instance(ZCRMRecord("Quotes", 9)).delete_record()\n',
     ((3, "DELETE", "/crm/v2/Quotes/9", "unmatched"),)),
    ("config-version-and-host", _IMPORT + 'ZCRMRestClient.initialize({"apiBaseUrl": "www.zohoapis.eu", '
                                          '"apiVersion": "v2.1"})\nZCRMModule.get_instance("Leads").get_records()\n',
     ((3, "GET", "/crm/v2.1/Leads", "matched"),)),
    ("config-host-with-scheme", _IMPORT + 'ZCRMRestClient.initialize({"apiBaseUrl": "https://www.zohoapis.in"})\n'
                                          'ZCRMModule.get_instance("Leads").get_records()\n',
     ((3, "GET", "/crm/v2/Leads", "matched"),)),
    ("star-import", 'from zcrmsdk import *\nZCRMRecord.get_instance("Leads", 1).delete()\n',
     ((2, "DELETE", "/crm/v2/Leads/1", "matched"),)),
    ("python2-implicit-relative-import", 'from Operations import ZCRMRecord\n'
                                         'ZCRMRecord.get_instance("Leads", 5).get()\n',
     ((2, "GET", "/crm/v2/Leads/5", "matched"),)),
    ("module-only-known-at-run-time-is-a-hole", _IMPORT + 'def f(m):\n    return ZCRMModule.get_instance(m).get_records()\n',
     ((3, "GET", "/crm/v2/{m}", "unresolved"),)),
    ("loop-over-modules", _IMPORT + 'for m in ["Leads", "Deals"]:\n    ZCRMModule.get_instance(m).delete_records([1])\n',
     ((3, "DELETE", "/crm/v2/Deals", "unmatched"), (3, "DELETE", "/crm/v2/Leads", "unmatched"))),
    ("initialize-makes-no-crm-call", _IMPORT + 'ZCRMRestClient.initialize({"client_id": "x"})\n', ()),
)

NOT_CASES: tuple[tuple[str, str], ...] = (
    ("zoho-books-wrapper", 'from books.service.ZohoBooks import ZohoBooks\n'
                           'ZohoBooks("token", "org").get_contacts_api().get_contacts()\n'),
    ("zoho-desk-look-alike", 'from zohodesk import ZCRMModule\nZCRMModule.get_instance("Tickets").get_records()\n'),
    ("a-project-class-of-the-same-name", 'class ZCRMRecord:\n    def __init__(self, m, i):\n        self.m = m\n'
                                         '    def update(self):\n        return self.m\n'
                                         'ZCRMRecord("Leads", 1).update()\n'),
    ("own-operations-module-with-another-class", 'from Operations import Deploy\nDeploy.get_instance("x").get_records()\n'),
    ("dict-update-on-a-parameter", 'def f(params):\n    params.update({"a": 1})\n'),
)
