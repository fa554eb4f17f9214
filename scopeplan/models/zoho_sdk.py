"""Calls through the official Zoho CRM Python SDKs become the REST calls they make.

`RecordOperations("Leads").get_records(...)` (SDK 6.0 to 8.0) and `RecordOperations().get_records("Leads")`
(2.0, 2.1 and 5.0) are looked up in `data/sdk_methods.json`: each `{placeholder}` of the method's path takes
the value of the constructor or method argument it names, bound by position or keyword.

Which SDK: the packages of one import root (`zohocrmsdk`: 5.0 to 8.0; `zcrmsdk`: 2.0, 2.1) install the same
top-level package, so a project has one of them. It is the package that fits the most of the project's calls
through that root, the newest (highest API version) on a tie. A package fits a call when it has the class
and the method, they take the arguments given, and every placeholder of the path gets one: that is how
`RecordOperations().get_record(3, "Leads")` (5.0) differs from `RecordOperations("Leads").get_record(3)` (8.0).
A call the chosen package does not fit takes the newest package that fits it, else the newest that has it.
An SDK whose sources are scanned with the project (installed with `pip install --target`, vendored) is read
the same way: its classes are the project's, named from the SDK's import root on (`_vendored`).

The calls the SDK makes on its own are added with `implicit=True`: metadata before a record-ish method
(facts §1.5), and the current user and org when a token is generated in 6.0 to 8.0 (at
`Initializer.initialize` / `switch_user`, unless the token has `find_user=False` or a `user_signature`).

Creating or updating notes also needs the parent record's module scope (facts §2.5), named in the body the code
builds: `note.set_se_module("Leads")` (2.x), or `ParentId().set_module(m)` with `m.set_api_name("Deals")` (5.0 and
later). The setters in the function that makes the call give `CallSite.body_modules`; when one of them is not a
static string (or there is none), the matcher keeps `notes.<op>` as certain and the parent's scope as a template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from scopeplan.model import CallSite, Hole, Location, TraceStep, Url
from scopeplan.scanner.facts import FileFacts, Invoke
from scopeplan.scanner.ir import Attr, Expr, Glob, Param, Unknown
from scopeplan.program.project import (
    EMPTY, ClassRef, Ctx, External, ExternalInstance, Instance, Project, Text, Value, method_name)

# The SDK's Constants.DEFAULT_MODULE_NAME_VS_API_NAME (util/constants.py; facts §1.5). Before a request that
# prefetches metadata, Utility.set_handler_api_path rewrites path segments to this casing.
SDK_MODULE_NAMES = {name.lower(): name for name in (
    "Leads", "Contacts", "Accounts", "Deals", "Tasks", "Events", "Activities", "Calls", "Products", "Quotes",
    "Sales_Orders", "Purchase_Orders", "Invoices", "Campaigns", "Vendors", "Price_Books", "Cases", "Solutions",
    "Visits", "Approvals", "Notes", "Attachments", "Actions_Performed")}
INITIALIZER_METHODS = frozenset({"initialize", "switch_user"})  # both hand a token to the SDK
NOTE_WRITES = frozenset({("NotesOperations", "create_notes"), ("NotesOperations", "update_notes")})
PARENT_SETTERS = frozenset({"set_se_module", "set_api_name"})  # Note (2.x); MinifiedModule under a ParentId (5.0+)

# The parent module of a note write, as one-file projects: (id, source, (status, scopes) of the notes call), run
# against the bundled catalogue by tests/test_sdk.py. NOTE_CASES name the parent; NOTE_NOT_CASES do not state it
# statically, so only `notes.<op>` is certain.
_N2 = "from zcrmsdk.src.com.zoho.crm.api.notes import NotesOperations, Note, BodyWrapper\n"
_N8 = ("from zohocrmsdk.src.com.zoho.crm.api.notes import NotesOperations, Note, ParentId, BodyWrapper\n"
       "from zohocrmsdk.src.com.zoho.crm.api.modules import MinifiedModule\n")
NOTE_CASES: tuple[tuple[str, str, tuple[str, tuple[str, ...]]], ...] = (
    ("v2-se-module-literal", _N2 + 'def add(rid):\n    n = Note()\n    n.set_se_module("Leads")\n'
                                   '    b = BodyWrapper()\n    b.set_data([n])\n    return NotesOperations().create_notes(b)\n',
     ("matched", ("ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.notes.CREATE"))),
    ("v2-se-module-constant", _N2 + 'PARENT = "Deals"\ndef upd(b, n):\n    n.set_se_module(PARENT)\n'
                                    '    return NotesOperations().update_notes(b)\n',
     ("matched", ("ZohoCRM.modules.deals.UPDATE", "ZohoCRM.modules.notes.UPDATE"))),
    ("v8-parent-id-module", _N8 + 'def add(b, n):\n    m = MinifiedModule()\n    m.set_api_name("Contacts")\n'
                                  '    p = ParentId()\n    p.set_module(m)\n    n.set_parent_id(p)\n'
                                  '    return NotesOperations().create_notes(b)\n',
     ("matched", ("ZohoCRM.modules.contacts.CREATE", "ZohoCRM.modules.notes.CREATE"))),
)
NOTE_NOT_CASES: tuple[tuple[str, str, tuple[str, tuple[str, ...]]], ...] = (
    ("v2-se-module-from-input", _N2 + 'def add(elem, b):\n    n = Note()\n    n.set_se_module(elem.get("se_module"))\n'
                                      '    return NotesOperations().create_notes(request=b)\n',
     ("unresolved", ("ZohoCRM.modules.notes.CREATE",))),
    ("notes-built-elsewhere", _N2 + 'def add(b):\n    return NotesOperations().create_notes(b)\n',
     ("unresolved", ("ZohoCRM.modules.notes.CREATE",))),
    ("api-name-without-a-parent", _N8 + 'def add(b):\n    m = MinifiedModule()\n    m.set_api_name("Leads")\n'
                                        '    return NotesOperations().create_notes(b)\n',
     ("unresolved", ("ZohoCRM.modules.notes.CREATE",))),
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class SdkCall:
    """One SDK call as the project spells it: import root, class, method, receiver object and arguments."""

    root: str
    cls: str
    method: str
    receiver: ExternalInstance | External  # an operations object the code built, or the Initializer class
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]


# -- the table ------------------------------------------------------------------------------------------

@cache
def _packages() -> dict[str, dict[str, Any]]:
    text = resources.files("scopeplan.data").joinpath("sdk_methods.json").read_text("utf-8")
    packages: dict[str, dict[str, Any]] = json.loads(text)["packages"]
    return packages


@cache
def method_names() -> frozenset[str]:
    """Every method name of the SDK tables (and the Initializer's), for the sign of an SDK call."""
    return frozenset(INITIALIZER_METHODS | {m for p in _packages().values() for c in p["classes"].values()
                                            for m in c["methods"]})


@cache
def _newest_first(root: str) -> tuple[str, ...]:
    """The packages of one import root, highest API version first (`v8` ... `v5`; `v2.1`, `v2`)."""
    packages = [k for k, p in _packages().items() if p["import_root"] == root]
    return tuple(sorted(packages, reverse=True,
                        key=lambda k: [int(n) for n in re.findall(r"\d+", _packages()[k]["api_version"])]))


def _sdk_class(qualname: str) -> tuple[str, str] | None:
    """(import root, class) when a dotted name is an SDK operations class or the Initializer."""
    root, _, rest = qualname.partition(".")
    prefix, _, cls = qualname.rpartition(".")
    if not rest or not _newest_first(root):
        return None
    if cls == "Initializer":
        return root, cls
    for package in _newest_first(root):  # `api.record.RecordOperations` or `api.record.record_operations.Rec...`
        row = _packages()[package]["classes"].get(cls)
        if row is not None and (row["module"] + ".").startswith(prefix + "."):
            return root, cls
    return None


def _row(package: str, call: SdkCall) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The class row and method spec of a call in one package, if it has them."""
    row = _packages()[package]["classes"].get(call.cls)
    spec = row["methods"].get(call.method) if row is not None else None
    return (row, spec) if spec is not None else None


def _fits(package: str, call: SdkCall) -> bool:
    """The package has the class and method, they take the arguments given, and every placeholder gets one."""
    if call.cls == "Initializer":
        return True
    found = _row(package, call)
    if found is None:
        return False
    row, spec = found
    given = {"constructor": _given(row["constructor"], *_constructed(call.receiver)),
             "method_arg": _given(spec["params"], call.args, call.kwargs)}
    known = {k: v for k, v in given.items() if v is not None}
    if len(known) != len(given):
        return False
    return all(p["name"] in known[p["source"]] for p in spec["placeholders"])


def _constructed(receiver: ExternalInstance | External) -> tuple[tuple[Expr, ...], tuple[tuple[str, Expr], ...]]:
    """The constructor's arguments of the receiver (none for a class)."""
    return (receiver.args, receiver.kwargs) if isinstance(receiver, ExternalInstance) else ((), ())


def _given(names: list[str], args: tuple[Expr, ...], kwargs: tuple[tuple[str, Expr], ...]) -> set[str] | None:
    if len(args) > len(names) or any(key not in names for key, _ in kwargs):
        return None
    return set(names[:len(args)]) | {key for key, _ in kwargs}


# -- recognising calls ----------------------------------------------------------------------------------

def sdk_calls(project: Project, invoke: Invoke, ctx: Ctx = EMPTY) -> list[SdkCall]:
    """The SDK calls an invoke may be, one per receiver value; empty when it is something else."""
    method = method_name(invoke.callee)
    if method is None or method not in method_names():
        return []
    if isinstance(invoke.callee, Attr):
        receivers = project.evaluate(invoke.callee.value, ctx)
    elif isinstance(invoke.callee, Glob):
        receivers = project.lookup(invoke.callee.qualname.rpartition(".")[0])
    else:
        return []
    out = []
    for value in map(_vendored, receivers):
        if not isinstance(value, (ExternalInstance, External)):
            continue
        found = _sdk_class(value.name)
        if found is None:
            continue
        if found[1] == "Initializer":  # a static method of the class itself
            if isinstance(value, External) and method in INITIALIZER_METHODS:
                out.append(SdkCall(*found, method, value, invoke.args, invoke.kwargs))
        elif isinstance(value, ExternalInstance):  # an instance the code constructed: `RecordOperations("Leads")`
            out.append(SdkCall(*found, method, value, invoke.args, invoke.kwargs))
    return out


def _vendored(value: Value) -> Value:
    """The SDK when its sources are scanned with the project (`pip install --target libs`, a vendored copy): its
    classes and their instances are read as the imported ones are (by their name from the SDK's import root
    on: `libs.zohocrmsdk.src...` is `zohocrmsdk.src...`), the constructor's bound arguments as its keywords."""
    if not isinstance(value, (ClassRef, Instance)):
        return value
    name = _sdk_name(value.facts.qualname)
    if name is None:
        return value
    if isinstance(value, ClassRef):
        return External(name)
    given = [(param, bound) for (function, param), bound in value.ctx.bindings if function.endswith(".__init__")]
    where = {id(ctx): ctx for _, (_, ctx) in given}
    if len(where) > 1:  # arguments from two calls: not the one construction the SDK's table reads
        return value
    return ExternalInstance(name, (), tuple((param, expr) for param, (expr, _) in given), next(iter(where.values()), EMPTY))


def _sdk_name(qualname: str) -> str | None:
    """A project class's name as the SDK's, when its module path runs through an SDK operations module."""
    parts = qualname.split(".")
    for i, part in enumerate(parts[:-1]):
        if _newest_first(part):
            name = ".".join(parts[i:])
            return name if _sdk_class(name) is not None else None
    return None


def is_sdk_call(project: Project, invoke: Invoke) -> bool:
    """Whether the invoke may be a method of an official SDK operations class (or `Initializer.initialize`)."""
    if sdk_calls(project, invoke):
        return True
    # `def fetch(ops): ops.get_records()`: the receiver only becomes known at the callers
    callee = invoke.callee
    return isinstance(callee, Attr) and isinstance(callee.value, Param) and callee.name in method_names()


def _project_packages(project: Project) -> dict[str, str]:
    """Per import root, the package that fits the most SDK calls of the project (the newest on a tie)."""
    if isinstance(project.chosen, dict):
        return project.chosen
    unbound, defaulted = set(project.unbound), set(project.defaulted)  # the caller's bookkeeping survives
    used: dict[str, list[SdkCall]] = {}
    for facts in project.files:
        for invoke in facts.invokes:
            for call in sdk_calls(project, invoke):
                used.setdefault(call.root, []).append(call)
    project.unbound.clear()
    project.unbound.update(unbound)
    project.defaulted.clear()
    project.defaulted.update(defaulted)
    chosen = {}
    for root, calls in used.items():
        score = {p: sum(_fits(p, call) for call in calls) for p in _newest_first(root)}
        best = max(_newest_first(root), key=score.__getitem__)  # max keeps the first, i.e. newest, of a tie
        if score[best]:
            chosen[root] = best
    project.chosen = chosen
    return chosen


def _package(project: Project, call: SdkCall) -> str | None:
    chosen = _project_packages(project).get(call.root)
    if chosen is not None and _fits(chosen, call):
        return chosen
    having = [p for p in _newest_first(call.root) if call.cls == "Initializer" or _row(p, call) is not None]
    return next((p for p in having if _fits(p, call)), having[0] if having else None)


# -- call sites -----------------------------------------------------------------------------------------

def sdk_sites(project: Project, facts: FileFacts, invoke: Invoke, ctx: Ctx = EMPTY, at: Invoke | None = None,
              at_file: str | None = None, trace: tuple[TraceStep, ...] = ()) -> list[CallSite]:
    """The call sites an SDK call makes, including the implicit ones."""
    where = at or invoke
    made = _Made(Location(at_file or facts.path, where.line, where.column), where.function,
                 trace or (TraceStep(facts.path, invoke.line),), dict(where.hints).get("ignore"))
    out: list[CallSite] = []
    for call in sdk_calls(project, invoke, ctx):
        package = _package(project, call)
        if package is None:
            continue
        if call.cls == "Initializer":  # 6.0 to 8.0 look up the token's user and org (none in 2.x and 5.0)
            calls = _packages()[package]["implicit_calls"]["find_user"]["calls"]
            if calls and _finds_user(project, invoke, ctx):
                out.extend(made.site(package, c["http_method"], Text((c["path"],)), True) for c in calls)
            continue
        found = _row(package, call)
        if found is None:
            continue
        row, spec = found
        args, kwargs = _constructed(call.receiver)
        receiver_ctx = call.receiver.ctx if isinstance(call.receiver, ExternalInstance) else EMPTY
        values = {**_bind(row["constructor"], args, kwargs, receiver_ctx),
                  **_bind(spec["params"], call.args, call.kwargs, ctx)}
        parents = _note_parents(project, facts, invoke, ctx) if (call.cls, call.method) in NOTE_WRITES else None
        for url in _urls(project, spec, values, f"{call.cls}.{call.method}"):
            out.append(made.site(package, spec["http_method"], url, False, parents))
        if spec["prefetches_metadata"]:
            # Related-records methods also read related-list metadata (Utility.get_related_lists), except
            # delink_record(s), which read fields only: so in the 2.1, 5.0 and 8.0 sources.
            related = any(p["kind"] == "related_list" for p in spec["placeholders"]) and not (
                call.method.startswith("delink"))
            for c in _packages()[package]["implicit_calls"]["metadata_prefetch"]:
                if related or c["class"] != "RelatedListsOperations":
                    out.append(made.site(package, c["http_method"], Text((c["path_template"],)), True))
    return list(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class _Made:
    """Where the sites of one SDK call are reported."""

    location: Location
    function: str
    trace: tuple[TraceStep, ...]
    ignored: str | None

    def site(self, package: str, method: str, url: Text, implicit: bool,
             body_modules: tuple[str, ...] | None = None) -> CallSite:
        return CallSite(location=self.location, function=self.function, library=package, method=method,
                        url=Url(url.parts), trace=self.trace, implicit=implicit, ignored=self.ignored,
                        body_modules=body_modules)


def _note_parents(project: Project, facts: FileFacts, invoke: Invoke, ctx: Ctx) -> tuple[str, ...] | None:
    """The parent modules the notes of a create/update name in the calling function; None unless all are static.

    `set_api_name` counts only where the function also hands a module to a parent (`set_module`): the 5.0+
    spelling. A setter's argument that is not a literal string (an input, a parameter no caller fixes) makes the
    whole answer unknown."""
    mine = [i for i in facts.invokes if i.function == invoke.function and isinstance(i.callee, Attr)]
    names = {i.callee.name for i in mine if isinstance(i.callee, Attr)}
    setters = [i for i in mine if isinstance(i.callee, Attr) and i.callee.name in PARENT_SETTERS
               and (i.callee.name == "set_se_module" or "set_module" in names)]
    found: list[str] = []
    for setter in setters:
        if len(setter.args) != 1:
            return None
        texts = project.strings(setter.args[0], ctx, 0)
        if not texts or any(len(t.parts) != 1 or not isinstance(t.parts[0], str) or not t.parts[0] for t in texts):
            return None
        found.extend(str(t.parts[0]) for t in texts)
    return tuple(sorted(set(found))) or None


def _bind(names: list[str], args: tuple[Expr, ...], kwargs: tuple[tuple[str, Expr], ...],
          ctx: Ctx) -> dict[str, tuple[Expr, Ctx]]:
    """Arguments by parameter name: positional in the table's order, then keywords."""
    bound = {name: (arg, ctx) for name, arg in zip(names, args)}
    bound.update((key, (arg, ctx)) for key, arg in kwargs if key in names)
    return bound


def _urls(project: Project, spec: dict[str, Any], values: dict[str, tuple[Expr, Ctx]], spelled: str) -> list[Text]:
    """The method's path with each placeholder replaced by every static value of its argument."""
    path = spec["path"]
    if spec["host"] == "opaque":  # `/{download_url}`: an absolute URL returned by an earlier call
        path = path.lstrip("/")
    groups: list[list[Text]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(path):
        groups.append([Text((path[pos:m.start()],))])
        pos = m.end()
        name = m.group(1)
        if name not in values:
            groups.append([Text((Hole(name, f"`{name}` is not given to `{spelled}()`"),))])
            continue
        expr, ctx = values[name]
        texts = project.strings(expr, ctx, 0)
        if spec["prefetches_metadata"]:  # the SDK's own casing of system module names (set_handler_api_path)
            texts = [Text((SDK_MODULE_NAMES.get(t.parts[0].lower(), t.parts[0]),))
                     if len(t.parts) == 1 and isinstance(t.parts[0], str) else t for t in texts]
        groups.append(texts)
    groups.append([Text((path[pos:],))])
    return project.texts(groups, Unknown(spelled))


def _finds_user(project: Project, invoke: Invoke, ctx: Ctx) -> bool:
    """Whether the token handed over may look up its user (`find_user=True` and no `user_signature`)."""
    bound = _bind(["environment", "token"], invoke.args, invoke.kwargs, ctx)
    if "token" not in bound:
        return True
    expr, token_ctx = bound["token"]
    return not all(_names_its_user(t) for t in project.evaluate(expr, token_ctx))


def _names_its_user(token: Value) -> bool:
    if not (isinstance(token, ExternalInstance) and token.name.endswith(".OAuthToken")):
        return False
    named = dict(token.kwargs)
    off, signature = named.get("find_user"), named.get("user_signature")
    return (isinstance(off, Unknown) and off.name == "False") or (
        signature is not None and not (isinstance(signature, Unknown) and signature.name == "None"))
