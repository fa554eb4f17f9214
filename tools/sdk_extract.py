"""Mechanical endpoint extraction from the official Zoho CRM Python SDK wheels.

Stdlib only.  Shared by ``tools/build_catalogue.py`` and ``tools/build_sdk_tables.py``.

Every public method of every ``*Operations`` class in the SDK follows one
straight-line template (see shared/reference/zoho-facts.md section 1.1)::

    api_path = ''
    api_path = api_path + '/crm/v8/'
    api_path = api_path + str(self.__module_api_name)    # constructor field
    api_path = api_path + '/'
    api_path = api_path + str(id)                         # method argument
    handler_instance.set_api_path(api_path)
    handler_instance.set_http_method(Constants.REQUEST_METHOD_GET)
    handler_instance.set_category_method(Constants.REQUEST_CATEGORY_READ)
    Utility.get_fields(self.__module_api_name, handler_instance)

This module reads that template with ``ast`` (the SDK is never imported or
executed) and fails loudly on any construct it does not recognise, so that a
new SDK release cannot silently produce a wrong table.
"""

from __future__ import annotations

import ast
import atexit
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------
# The SDK releases we read.  PyPI distribution name, version, import root, API version.
# Source: zoho-facts.md section 1.2 / "How the tables were produced".
# --------------------------------------------------------------------------------------
SDK_RELEASES = {
    "zohocrmsdk8_0": ("zohocrmsdk8-0", "7.0.0", "zohocrmsdk", "v8"),
    "zohocrmsdk7_0": ("zohocrmsdk7-0", "6.0.0", "zohocrmsdk", "v7"),
    "zohocrmsdk6_0": ("zohocrmsdk6-0", "8.0.0", "zohocrmsdk", "v6"),
    "zohocrmsdk5_0": ("zohocrmsdk5-0", "2.0.0", "zohocrmsdk", "v5"),
    "zohocrmsdk2_1": ("zohocrmsdk2-1", "3.0.0", "zcrmsdk", "v2.1"),
    "zohocrmsdk2_0": ("zohocrmsdk2-0", "6.0.0", "zcrmsdk", "v2"),
}

API_SUBDIR = "src/com/zoho/crm/api"

# --------------------------------------------------------------------------------------
# Placeholder normalisation (zoho-facts.md section 1.4).  SDK variable name -> __apis-style
# placeholder.  Every variable must be listed: an unknown one is an error, so that a new
# SDK variable is looked at by a human instead of being guessed.
# --------------------------------------------------------------------------------------
_KIND_BY_VAR = {}
for _v in ("module_api_name", "module", "module_name", "modulename"):
    _KIND_BY_VAR[_v] = "module"
_KIND_BY_VAR["related_list_api_name"] = "related_list"
_KIND_BY_VAR["api_name"] = "api_name"
_KIND_BY_VAR["function_name"] = "function_name"
_KIND_BY_VAR["feature_api_name"] = "feature_api_name"
_KIND_BY_VAR["portal_name"] = "portal_name"
_KIND_BY_VAR["portal"] = "portal_name"
_KIND_BY_VAR["download_url"] = "download_url"
# Every id slot is {{id}} in __apis, even when the SDK calls it something else; with the
# X-EXTERNAL header an external-id value sits in the same slot.
for _v in (
    "id", "record_id", "related_record_id", "lead_id", "masterrecordid", "recordid", "record",
    "event", "deal", "contact", "user", "user_id", "territory", "group", "role_id", "layout_id",
    "dependency_id", "field", "field_id", "form_id", "holiday_id", "shift_id", "job_id", "lock_id",
    "message_id", "template", "wizard_id", "user_type_id", "record_locking_config_id",
    "zia_org_enrichment_id", "zia_people_enrichment_id", "external_value", "external_field_value",
    # zohocrmsdk5-0 only: /settings/roles/{role}, /org/currencies/{currency}
    "role", "currency",
):
    _KIND_BY_VAR.setdefault(_v, "id")

# Older SDKs name a few more numeric slots "<something>_id"; those are ids too.
_ID_SUFFIX = re.compile(r"^[a-z_]+_id$")

CONTENT_HOST = "content.zohoapis.com"


class ExtractionError(RuntimeError):
    pass


def placeholder_kind(var: str) -> str:
    kind = _KIND_BY_VAR.get(var)
    if kind is None:
        if _ID_SUFFIX.match(var):
            return "id"
        raise ExtractionError(f"unknown SDK path variable {var!r}: add it to _KIND_BY_VAR")
    return kind


@dataclass
class Placeholder:
    name: str          # SDK variable name (attribute name without the leading "__" for fields)
    source: str        # "constructor" | "method_arg"
    kind: str          # normalised placeholder kind


@dataclass
class Operation:
    sdk_class: str
    sdk_method: str
    module_path: str               # dotted module of the class
    file: str                      # path relative to .../crm/api/
    constructor: list
    params: list
    http_method: str
    category: str | None
    content_type: str | None
    path: str                      # raw, with {var}
    path_template: str             # normalised, with {{kind}}
    host: str                      # "api" | "file_upload" | "opaque"
    placeholders: list = field(default_factory=list)
    prefetches_metadata: bool = False


# --------------------------------------------------------------------------------------
# Wheel download
# --------------------------------------------------------------------------------------
def download_wheel(dist: str, version: str, dest: Path) -> Path:
    """``pip download --no-deps dist==version -d dest`` and return the wheel path.

    If a matching wheel is already in ``dest`` (e.g. ``--wheel-dir`` reuse) it is used
    as is.  pip is run with the interpreter that runs this script.
    """
    dest.mkdir(parents=True, exist_ok=True)
    stem = dist.replace("-", "_") + "-" + version + "-"
    existing = sorted(p for p in dest.glob("*.whl") if p.name.startswith(stem))
    if existing:
        return existing[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", f"{dist}=={version}", "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ExtractionError(f"pip download {dist}=={version} failed:\n{proc.stdout}\n{proc.stderr}")
    existing = sorted(p for p in dest.glob("*.whl") if p.name.startswith(stem))
    if not existing:
        raise ExtractionError(f"pip download {dist}=={version} produced no wheel in {dest}")
    return existing[0]


class Wheel:
    """Read-only view of the python sources inside a wheel (no extraction to disk)."""

    def __init__(self, path: Path, import_root: str):
        self.path = path
        self.import_root = import_root
        self._zip = zipfile.ZipFile(path)
        self.names = sorted(n for n in self._zip.namelist() if n.endswith(".py"))
        self.api_prefix = f"{import_root}/{API_SUBDIR}/"

    def read(self, name: str) -> str:
        return self._zip.read(name).decode("utf-8")

    def api_file(self, rel: str) -> str:
        return self.read(self.api_prefix + rel)

    def operations_files(self):
        return [n for n in self.names if n.startswith(self.api_prefix) and n.endswith("_operations.py")]

    def metadata_text(self) -> str:
        for n in self._zip.namelist():
            if n.endswith(".dist-info/METADATA"):
                return self._zip.read(n).decode("utf-8", "replace")
        return ""


# --------------------------------------------------------------------------------------
# AST walk
# --------------------------------------------------------------------------------------
def _iter_stmts(body, strict=True):
    """All statements of a function body in source order, descending into compound
    statements (the SDK wraps imports in try/except).  An ``if`` that touches api_path
    would break the straight-line assumption, so it is reported."""
    for stmt in body:
        yield stmt
        for attr in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, attr, None)
            if isinstance(sub, list):
                if strict and isinstance(stmt, ast.If) and any(
                    isinstance(n, ast.Name) and n.id == "api_path" for n in ast.walk(stmt)
                ):
                    raise ExtractionError(f"api_path inside an if at line {stmt.lineno}")
                yield from _iter_stmts(sub, strict)
        for handler in getattr(stmt, "handlers", []) or []:
            yield from _iter_stmts(handler.body, strict)


def _is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def _constants_attr(node):
    """``Constants.X`` -> "X"."""
    if isinstance(node, ast.Attribute) and _is_name(node.value, "Constants"):
        return node.attr
    return None


def _path_piece(value, where):
    """Right-hand operand of ``api_path = api_path + <piece>``."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return ("literal", value.value)
    if (isinstance(value, ast.Call) and _is_name(value.func, "str") and len(value.args) == 1
            and not value.keywords):
        arg = value.args[0]
        if isinstance(arg, ast.Name):
            return ("method_arg", arg.id)
        if (isinstance(arg, ast.Attribute) and _is_name(arg.value, "self")
                and arg.attr.startswith("__")):
            return ("constructor", arg.attr[2:])
    raise ExtractionError(f"unparsed api_path piece at {where}: {ast.dump(value)}")


def _constructor_info(cls: ast.ClassDef):
    params, field_to_param = [], {}
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            params = [a.arg for a in item.args.args[1:]]
            for stmt in _iter_stmts(item.body):
                if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Attribute)
                        and _is_name(stmt.targets[0].value, "self")
                        and stmt.targets[0].attr.startswith("__")
                        and isinstance(stmt.value, ast.Name)):
                    field_to_param[stmt.targets[0].attr[2:]] = stmt.value.id
    return params, field_to_param


PREFETCH_UTILITIES = {"get_fields", "get_related_lists", "verify_photo_support"}


def _extract_method(fn: ast.FunctionDef, where: str):
    pieces = None
    http_method = category = content_type = None
    api_path_set = False
    prefetch = False
    for stmt in _iter_stmts(fn.body):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _is_name(stmt.targets[0], "api_path"):
            v = stmt.value
            if isinstance(v, ast.Constant) and v.value == "":
                pieces = []
            elif isinstance(v, ast.BinOp) and isinstance(v.op, ast.Add) and _is_name(v.left, "api_path"):
                if pieces is None:
                    raise ExtractionError(f"api_path appended before reset at {where}:{stmt.lineno}")
                pieces.append(_path_piece(v.right, f"{where}:{stmt.lineno}"))
            else:
                raise ExtractionError(f"unparsed api_path assignment at {where}:{stmt.lineno}")
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            func = call.func
            if isinstance(func, ast.Attribute) and _is_name(func.value, "handler_instance"):
                if func.attr == "set_api_path":
                    api_path_set = True
                elif func.attr == "set_http_method":
                    name = _constants_attr(call.args[0]) if call.args else None
                    if not name or not name.startswith("REQUEST_METHOD_"):
                        raise ExtractionError(f"unparsed set_http_method at {where}:{stmt.lineno}")
                    http_method = name[len("REQUEST_METHOD_"):]
                elif func.attr == "set_category_method":
                    name = _constants_attr(call.args[0]) if call.args else None
                    if not name:
                        raise ExtractionError(f"unparsed set_category_method at {where}:{stmt.lineno}")
                    category = name.replace("REQUEST_CATEGORY_", "").replace("REQUEST_METHOD_", "")
                elif func.attr == "set_content_type":
                    if call.args and isinstance(call.args[0], ast.Constant):
                        content_type = call.args[0].value
            elif (isinstance(func, ast.Attribute) and _is_name(func.value, "Utility")
                  and func.attr in PREFETCH_UTILITIES):
                prefetch = True
    if pieces is None and not api_path_set:
        return None
    if pieces is None or not api_path_set or http_method is None:
        raise ExtractionError(f"incomplete endpoint template at {where}")
    return pieces, http_method, category, content_type, prefetch


def extract_operations(wheel: Wheel) -> list[Operation]:
    """Every endpoint-bearing public method of every ``*Operations`` class, in file order."""
    ops: list[Operation] = []
    for name in wheel.operations_files():
        rel = name[len(wheel.api_prefix):]
        module_path = name[:-3].replace("/", ".")
        tree = ast.parse(wheel.read(name), filename=name)
        for cls in tree.body:
            if not (isinstance(cls, ast.ClassDef) and cls.name.endswith("Operations")):
                continue
            ctor, field_to_param = _constructor_info(cls)
            for fn in cls.body:
                if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                    continue
                where = f"{rel}:{cls.name}.{fn.name}"
                got = _extract_method(fn, where)
                if got is None:
                    continue
                pieces, http_method, category, content_type, prefetch = got
                params = [a.arg for a in fn.args.args[1:]]
                raw, tmpl, placeholders = [], [], []
                for kind, val in pieces:
                    if kind == "literal":
                        raw.append(val)
                        tmpl.append(val)
                        continue
                    if kind == "method_arg" and val not in params:
                        raise ExtractionError(f"{where}: str({val}) is not a parameter")
                    if kind == "constructor" and val not in field_to_param and val not in ctor:
                        raise ExtractionError(f"{where}: self.__{val} is not a constructor field")
                    norm = placeholder_kind(val)
                    placeholders.append(Placeholder(val, kind, norm))
                    raw.append("{" + val + "}")
                    tmpl.append("{{" + norm + "}}")
                raw_path, path_template = "".join(raw), "".join(tmpl)
                host = "api"
                if raw_path.startswith("http://") or raw_path.startswith("https://"):
                    if CONTENT_HOST not in raw_path:
                        raise ExtractionError(f"{where}: unexpected absolute URL {raw_path}")
                    host = "file_upload"
                    path_template = "/" + path_template.split("://", 1)[1].split("/", 1)[1]
                elif path_template in ("{{download_url}}", "/{{download_url}}"):
                    # An absolute URL returned by an earlier job-status call; the SDK
                    # prefixes "/" but the URL is opaque.  Normalised as in the reference table.
                    host = "opaque"
                    path_template = "{{download_url}}"
                elif not path_template.startswith("/crm/"):
                    raise ExtractionError(f"{where}: unexpected path {raw_path}")
                ops.append(Operation(
                    sdk_class=cls.name, sdk_method=fn.name, module_path=module_path, file=rel,
                    constructor=ctor, params=params, http_method=http_method, category=category,
                    content_type=content_type, path=raw_path, path_template=path_template,
                    host=host, placeholders=placeholders, prefetches_metadata=prefetch,
                ))
    return ops


# --------------------------------------------------------------------------------------
# Other facts read from the wheel
# --------------------------------------------------------------------------------------
def default_module_names(wheel: Wheel) -> dict:
    """``Constants.DEFAULT_MODULE_NAME_VS_API_NAME`` (the SDK's map of system module names)."""
    tree = ast.parse(wheel.api_file("util/constants.py"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "DEFAULT_MODULE_NAME_VS_API_NAME"):
            return ast.literal_eval(node.value)
    raise ExtractionError("DEFAULT_MODULE_NAME_VS_API_NAME not found")


def field_module_classes(wheel: Wheel) -> list[str]:
    """Nested classes of ``record/field.py`` ``Field``: one per system module API name."""
    tree = ast.parse(wheel.api_file("record/field.py"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Field":
            return sorted(n.name for n in node.body if isinstance(n, ast.ClassDef))
    raise ExtractionError("record/field.py Field not found")


def implicit_calls(wheel: Wheel) -> dict:
    """Calls the SDK makes on its own (zoho-facts.md section 1.5), read mechanically.

    * ``util/utility.py`` functions that build an ``api_path`` themselves
      (``get_user_name`` / ``get_user_org_id`` in v6+), and the ``*Operations().method()``
      calls inside utility.py (metadata prefetch: modules, fields, related lists).
    * whether ``OAuthToken.__init__`` has a ``find_user`` parameter and its default.
    """
    out = {"utility_endpoints": [], "utility_operation_calls": [], "oauth_token_find_user_default": None}
    src = wheel.api_file("util/utility.py")
    tree = ast.parse(src)
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        pieces, method = None, None
        for stmt in _iter_stmts(fn.body, strict=False):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _is_name(stmt.targets[0], "api_path"):
                v = stmt.value
                if isinstance(v, ast.Constant) and v.value == "":
                    pieces = []
                elif isinstance(v, ast.BinOp) and _is_name(v.left, "api_path") and pieces is not None:
                    kind, val = _path_piece(v.right, f"utility.py:{stmt.lineno}")
                    pieces.append(val if kind == "literal" else "{" + val + "}")
            if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                    and isinstance(stmt.value.func, ast.Attribute)
                    and stmt.value.func.attr == "set_http_method" and stmt.value.args):
                name = _constants_attr(stmt.value.args[0]) or ""
                method = name.replace("REQUEST_METHOD_", "")
        if pieces:
            out["utility_endpoints"].append({"function": fn.name, "http_method": method, "path": "".join(pieces)})
        for node in ast.walk(fn):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Call)):
                inner = node.func.value.func
                cls_name = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", None)
                if cls_name and cls_name.endswith("Operations"):
                    out["utility_operation_calls"].append(
                        {"function": fn.name, "class": cls_name, "method": node.func.attr})
    out["utility_endpoints"].sort(key=lambda d: (d["function"], d["path"]))
    uniq = {(d["function"], d["class"], d["method"]): d for d in out["utility_operation_calls"]}
    out["utility_operation_calls"] = [uniq[k] for k in sorted(uniq)]
    tok_name = f"{wheel.import_root}/src/com/zoho/api/authenticator/oauth_token.py"
    if tok_name in wheel.names:
        tree = ast.parse(wheel.read(tok_name))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                args = node.args.args
                defaults = node.args.defaults
                offset = len(args) - len(defaults)
                for i, a in enumerate(args):
                    if a.arg == "find_user" and i >= offset:
                        out["oauth_token_find_user_default"] = ast.literal_eval(defaults[i - offset])
    return out


def fetch_release(key: str, wheel_dir: Path | None):
    """Download (or reuse) one SDK wheel; return (Wheel, dist, version, import_root, api_version)."""
    dist, version, root, api_version = SDK_RELEASES[key]
    if wheel_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="scopeplan-sdk-"))
        atexit.register(shutil.rmtree, tmp, True)
        path = download_wheel(dist, version, tmp)
    else:
        path = download_wheel(dist, version, wheel_dir)
    return Wheel(path, root), dist, version, root, api_version


def reference_pairs(path: Path):
    """(method, path_template) pairs of a shared/reference/sdk_endpoints_vN.json table."""
    import json
    rows = json.loads(path.read_text())
    return {(r["http_method"], r["path_template"]) for r in rows}


def diff_pairs(mine: set, ref: set) -> str:
    buf = io.StringIO()
    for p in sorted(mine - ref):
        print(f"  + extracted only: {p[0]} {p[1]}", file=buf)
    for p in sorted(ref - mine):
        print(f"  - reference only: {p[0]} {p[1]}", file=buf)
    return buf.getvalue()
