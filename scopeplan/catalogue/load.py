"""Read a catalogue in Zoho's own `__apis` JSON format and validate every entry."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path

from scopeplan import safeio
from scopeplan.model import Catalogue, Endpoint, Operation

BUNDLED = "bundled"
LIVE = "live"
BUNDLED_FILE = "catalogue_v8.json"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_VERSION = re.compile(r"/crm/(?:bulk/|email/)?(v\d+(?:\.\d+)?)(?:/|$)")
_ANGLE = re.compile(r"<<(\w+)>>")
_SCOPE = re.compile(r"^[A-Za-z]+(\.[A-Za-z0-9_]+){2,}$")


class CatalogueError(Exception):
    """A catalogue that cannot be used; the message names the bad entry."""


def load(spec: str = BUNDLED, *, max_age_days: int | None = None) -> Catalogue:
    """Load `bundled`, the newest cached fetch (`live`, `live:eu-sandbox-v8`, `live:sha256:...`) or a file."""
    if spec == BUNDLED:
        data = resources.files("scopeplan.data").joinpath(BUNDLED_FILE).read_bytes()
        return parse(data, source=BUNDLED, origin=f"scopeplan/data/{BUNDLED_FILE}")
    if spec == LIVE or spec.startswith(LIVE + ":"):
        # Imported here: the cache (and its metadata) is only touched when a live catalogue is asked for.
        from scopeplan.catalogue.cache import load_live

        return load_live(spec[len(LIVE) + 1:], max_age_days=max_age_days)
    path = Path(spec)
    try:
        data = safeio.read_bytes(path, safeio.CATALOGUE_LIMIT, "catalogue")  # a regular file, < 64 MB
    except FileNotFoundError:
        raise CatalogueError(f"catalogue {spec}: no such file") from None
    except OSError as exc:
        raise CatalogueError(f"catalogue {spec}: cannot read it ({exc.strerror})") from None
    return parse(data, source="file", origin=path.as_posix())


def parse(data: bytes, *, source: str, origin: str) -> Catalogue:
    """Validate `__apis` JSON bytes into a Catalogue; raise CatalogueError naming the bad entry."""
    try:
        doc = safeio.loads_json(data)  # bounded nesting and numbers
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(f"catalogue {origin}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("__apis"), list):
        raise CatalogueError(f"catalogue {origin}: expected an object with an `__apis` list")
    entries = doc["__apis"]
    if not entries:
        raise CatalogueError(f"catalogue {origin}: `__apis` is empty")
    endpoints = tuple(_endpoint(entry, i, origin) for i, entry in enumerate(entries))
    canonical = json.dumps(_canonical(endpoints), sort_keys=True, separators=(",", ":"))
    return Catalogue(
        endpoints=endpoints,
        api_version=_api_version(endpoints, origin),
        source=source,
        origin=origin,
        digest="sha256:" + hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _endpoint(entry: object, index: int, origin: str) -> Endpoint:
    where = f"catalogue {origin}: entry {index}"
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: expected an object, got {type(entry).__name__}")
    path = entry.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise CatalogueError(f"{where}: `path` must be a string starting with /, got {path!r}")
    where = f"catalogue {origin}: entry {index} ({path})"
    path = _ANGLE.sub(r"{{\1}}", path)  # `<<id>>` is the same placeholder as Zoho's `{{id}}`
    ops = entry.get("operation_types")
    if not isinstance(ops, list) or not ops:
        raise CatalogueError(f"{where}: `operation_types` must be a non-empty list")
    seen: set[str] = set()
    operations = []
    for j, op in enumerate(ops):
        operation = _operation(op, f"{where}, operation {j}")
        if operation.method in seen:
            raise CatalogueError(f"{where}: method {operation.method} listed twice")
        seen.add(operation.method)
        operations.append(operation)
    return Endpoint(template=path, operations=tuple(sorted(operations, key=lambda o: o.method)))


def _operation(op: object, where: str) -> Operation:
    if not isinstance(op, dict):
        raise CatalogueError(f"{where}: expected an object")
    for key in ("method", "oauth_scope", "min_credits", "max_credits"):
        if key not in op:
            raise CatalogueError(f"{where}: missing key `{key}`")
    method, scope = op["method"], op["oauth_scope"]
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise CatalogueError(f"{where}: bad method {method!r} (expected one of {', '.join(sorted(METHODS))})")
    if not isinstance(scope, str) or not _SCOPE.match(scope):
        raise CatalogueError(f"{where}: bad oauth_scope {scope!r}")
    low, high = op["min_credits"], op["max_credits"]
    for name, value in (("min_credits", low), ("max_credits", high)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CatalogueError(f"{where}: `{name}` must be a non-negative integer, got {value!r}")
    if low > high:
        raise CatalogueError(f"{where}: min_credits {low} is above max_credits {high}")
    return Operation(method=method.upper(), scope=scope, min_credits=low, max_credits=high)


def _api_version(endpoints: tuple[Endpoint, ...], origin: str) -> str:
    versions = {m.group(1) for e in endpoints if (m := _VERSION.match(e.template))}
    if not versions:
        raise CatalogueError(f"catalogue {origin}: no path names an API version (/crm/vN/...)")
    return max(versions, key=lambda v: tuple(int(x) for x in v[1:].split(".")))


def _canonical(endpoints: tuple[Endpoint, ...]) -> list[dict]:
    rows = [
        {
            "path": e.template,
            "operation_types": [
                {"method": o.method, "oauth_scope": o.scope, "min_credits": o.min_credits, "max_credits": o.max_credits}
                for o in e.operations
            ],
        }
        for e in endpoints
    ]
    return sorted(rows, key=lambda r: r["path"])
