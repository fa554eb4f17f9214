"""The committed baseline (`.scopeplan.json`): build it from a plan, write, load, and diff a plan against it.

A baseline holds what a reviewer approved: each scope with the endpoints that need it, what the catalogue
said about each endpoint, worst-case credits, and the calls scopeplan could not resolve. It holds no line
numbers, paths or timestamps, so moving code is never drift and two people regenerating it get the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scopeplan import scopes as scope_algebra
from scopeplan.model import Plan, Resolution

SCHEMA = "scopeplan.baseline/1"
_QUALIFIED = re.compile(r"`[\w.]+:([\w.<>]+)`")  # `pkg.mod:func` -> `func`: moving code is not drift


class BaselineError(Exception):
    """A baseline that is missing or cannot be used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """A loaded, validated baseline and the file it came from."""

    path: Path
    data: dict


@dataclass(frozen=True, slots=True)
class NewScope:
    """A scope the code needs and the baseline does not grant, with the endpoints and sites that need it."""

    scope: str
    endpoints: tuple[str, ...]  # "POST /crm/v8/Notes"
    sites: tuple[Resolution, ...]


@dataclass(frozen=True, slots=True)
class CreditChange:
    """Worst-case credits of an entry point (None: the per-run total) then and now; None means unbounded."""

    entry_point: str | None
    before: int | None
    after: int | None
    over: bool  # rose above the baseline plus the tolerance


@dataclass(frozen=True, slots=True)
class CatalogueChange:
    """What the catalogue now says about an approved endpoint, when its digest changed."""

    endpoint: str
    change: str


@dataclass(frozen=True, slots=True)
class Drift:
    """A plan judged against its baseline; `failed` says whether `check` exits 1."""

    baseline_file: str  # posix, relative to the scanned root when inside it
    added: tuple[NewScope, ...]
    unused: tuple[str, ...]
    credits: tuple[CreditChange, ...]
    unresolved: tuple[Resolution, ...]  # unresolved calls the baseline does not know
    catalogue: tuple[CatalogueChange, ...]
    catalogue_digests: tuple[str, str]  # (baseline, now)
    tolerance: float = 0.0
    strict: bool = False
    fail_on_unused: bool = False

    @property
    def failed(self) -> bool:
        """True when the gate must fail: new scope, credits over tolerance, or the strict/unused options."""
        return bool(self.added or any(c.over for c in self.credits) or (self.strict and self.unresolved)
                    or (self.fail_on_unused and self.unused))


def endpoint_key(r: Resolution) -> str:
    """`METHOD template` of a matched call: the identity of an endpoint in the baseline."""
    return f"{r.site.method} {r.endpoint}"


def per_run_worst_case(plan: Plan) -> int:
    """Worst-case credits of one run in which each matched call site runs once."""
    return sum(r.max_credits or 0 for r in _matched(plan))


def build(plan: Plan) -> dict:
    """The baseline document of a plan: sorted, versioned, free of lines, paths and timestamps."""
    operations = {e.template: e for e in plan.catalogue.endpoints}
    endpoints = {}
    for r in _matched(plan):
        op = operations[r.endpoint].operation(r.site.method)
        endpoints[endpoint_key(r)] = {"oauth_scope": op.scope, "max_credits": op.max_credits}
    cat = plan.catalogue
    return {
        "schema": SCHEMA,
        "catalogue": {"api_version": cat.api_version, "digest": cat.digest, "source": cat.source},
        "scopes": {name: sorted({endpoint_key(r) for r in users}) for name, users in plan.scopes},
        "endpoints": dict(sorted(endpoints.items())),
        "credits": {"per_run_worst_case": per_run_worst_case(plan),
                    "entry_points": {e.function: e.worst_case for e in plan.entry_points}},
        "unresolved": [{"function": f, "reason": why, "count": n} for (f, why), n in sorted(_unresolved(plan).items())],
    }


def dump(plan: Plan) -> str:
    """The baseline as text: two-space JSON, sorted keys, trailing newline."""
    return json.dumps(build(plan), indent=2, sort_keys=True) + "\n"


def write(plan: Plan, path: Path) -> dict:
    """Write the baseline of `plan` to `path` atomically; return the document written."""
    atomic_write(path, dump(plan))
    return build(plan)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same directory and `os.replace`."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # mkstemp's 0600 would hide it from others
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> Baseline:
    """Read and validate a baseline; BaselineError says how to fix a missing or broken one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"no baseline at {path}: run `scopeplan baseline` to create it, "
                            "review it and commit it") from None
    except OSError as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"baseline {path}: not valid JSON ({exc}); regenerate it with `scopeplan baseline`") from None
    _validate(data, path)
    return Baseline(path, data)


def diff(old: Baseline, plan: Plan, *, tolerance: float = 0.0, strict: bool = False,
         fail_on_unused: bool = False) -> Drift:
    """What the plan needs beyond the baseline (scopes, credits, unresolved calls) and what it no longer needs."""
    data = old.data
    granted = [scope_algebra.parse(s) for s in data["scopes"]]
    needs = {need for r in _matched(plan) for need in r.scopes}
    added = []
    for need in sorted({n for n in needs if not any(scope_algebra.covers(g, n) for g in granted)}):
        sites = tuple(r for r in _matched(plan) if need in r.scopes)
        added.append(NewScope(need, tuple(sorted({endpoint_key(r) for r in sites})), sites))
    unused = tuple(sorted(s for s, g in zip(data["scopes"], granted)
                          if not any(scope_algebra.covers(g, n) for n in needs)))
    digests = (data["catalogue"]["digest"], plan.catalogue.digest)
    return Drift(
        baseline_file=_shown(old.path, Path(plan.root)),
        added=tuple(added), unused=unused, credits=_credits(data["credits"], plan, tolerance),
        unresolved=_new_unresolved(data["unresolved"], plan),
        catalogue=_catalogue_changes(data, plan) if digests[0] != digests[1] else (),
        catalogue_digests=digests, tolerance=tolerance, strict=strict, fail_on_unused=fail_on_unused,
    )


def _matched(plan: Plan) -> list[Resolution]:
    return [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]


def _unresolved_key(r: Resolution) -> tuple[str, str]:
    local = r.site.function.split(":", 1)[-1]
    return local, _QUALIFIED.sub(r"`\1`", r.reason or "")


def _unresolved(plan: Plan) -> Counter:
    return Counter(_unresolved_key(r) for r in plan.resolutions if r.status == "unresolved" and not r.site.ignored)


def _new_unresolved(approved: list[dict], plan: Plan) -> tuple[Resolution, ...]:
    allowance = Counter({(u["function"], u["reason"]): u["count"] for u in approved})
    new = []
    for r in plan.resolutions:
        if r.status != "unresolved" or r.site.ignored:
            continue
        key = _unresolved_key(r)
        if allowance[key] > 0:
            allowance[key] -= 1
        else:
            new.append(r)
    return tuple(new)


def _credits(approved: dict, plan: Plan, tolerance: float) -> tuple[CreditChange, ...]:
    pairs = [(None, approved["per_run_worst_case"], per_run_worst_case(plan))]
    before = approved["entry_points"]
    # NOTE: only entry points present on both sides are compared; a renamed or moved entry point is not a rise,
    # and the per-run total still catches the cost of any call that was added.
    pairs += [(e.function, before[e.function], e.worst_case) for e in sorted(plan.entry_points, key=lambda e: e.function)
              if e.function in before]
    return tuple(CreditChange(name, was, now, _over(was, now, tolerance)) for name, was, now in pairs if was != now)


def _over(before: int | None, after: int | None, tolerance: float) -> bool:
    if before is None:  # it was already unbounded: nothing can rise above that
        return False
    if after is None:
        return True
    return after > before * (1 + tolerance / 100)


def _catalogue_changes(data: dict, plan: Plan) -> tuple[CatalogueChange, ...]:
    current = {e.template: e for e in plan.catalogue.endpoints}
    out = []
    for key, was in sorted(data["endpoints"].items()):
        method, _, template = key.partition(" ")
        op = current[template].operation(method) if template in current else None
        if op is None:
            out.append(CatalogueChange(key, "no longer in the catalogue"))
            continue
        if op.scope.lower() != was["oauth_scope"].lower():
            out.append(CatalogueChange(key, f"scope {was['oauth_scope']} -> {op.scope}"))
        if op.max_credits != was["max_credits"]:
            out.append(CatalogueChange(key, f"max_credits {was['max_credits']} -> {op.max_credits}"))
    return tuple(out)


def _shown(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _validate(data: object, path: Path) -> None:
    def bad(what: str) -> BaselineError:
        return BaselineError(f"baseline {path}: {what}; regenerate it with `scopeplan baseline`")

    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise bad(f"not a {SCHEMA} file (schema is {found!r})")
    shapes = {"catalogue": dict, "scopes": dict, "endpoints": dict, "credits": dict, "unresolved": list}
    for key, kind in shapes.items():
        if not isinstance(data.get(key), kind):
            raise bad(f"`{key}` must be a JSON {'object' if kind is dict else 'array'}")
    if not isinstance(data["catalogue"].get("digest"), str):
        raise bad("`catalogue.digest` must be a string")
    for scope, endpoints in data["scopes"].items():
        try:
            scope_algebra.parse(scope)
        except ValueError as exc:
            raise bad(f"`scopes`: {exc}") from None
        if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
            raise bad(f"`scopes.{scope}` must be a list of \"METHOD /path\" strings")
    for key, value in data["endpoints"].items():
        if not (isinstance(value, dict) and isinstance(value.get("oauth_scope"), str)
                and _count(value.get("max_credits"))):
            raise bad(f"`endpoints.{key}` must have `oauth_scope` and `max_credits`")
    credits = data["credits"]
    if not _count(credits.get("per_run_worst_case")) or not isinstance(credits.get("entry_points"), dict):
        raise bad("`credits` must have `per_run_worst_case` and `entry_points`")
    if not all(v is None or _count(v) for v in credits["entry_points"].values()):
        raise bad("`credits.entry_points` values must be credits or null (unbounded)")
    for u in data["unresolved"]:
        if not (isinstance(u, dict) and isinstance(u.get("function"), str) and isinstance(u.get("reason"), str)
                and _count(u.get("count"))):
            raise bad("each `unresolved` entry must have `function`, `reason` and `count`")


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0

