"""The committed baseline (`.scopeplan.json`): build it from a plan, write it atomically, load and validate it.

A baseline holds what a reviewer approved: each scope with the endpoints that need it, what the catalogue
said about each endpoint, worst-case credits, and the calls scopeplan could not resolve. It holds no line
numbers, paths or timestamps, so moving code is never drift and two people regenerating it get the same bytes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from scopeplan import safeio
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


def endpoint_key(r: Resolution) -> str:
    """`METHOD template` of a matched call: the identity of an endpoint in the baseline. An unresolved call that
    matched no one template (its certain scopes are in the set) shows the path as called, never `GET None`."""
    return f"{r.site.method} {r.endpoint or r.path or '?'}"


def per_run_worst_case(plan: Plan) -> int:
    """Worst-case credits of one run in which each matched call site runs once."""
    return sum(r.max_credits or 0 for r in matched(plan))


def build(plan: Plan) -> dict:
    """The baseline document of a plan: sorted, versioned, free of lines, paths and timestamps."""
    operations = {e.template: e for e in plan.catalogue.endpoints}
    endpoints = {}
    for r in matched(plan):
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
        "unresolved": _listed(plan, "unresolved"),
        "unmatched": _listed(plan, "unmatched"),
    }


def _listed(plan: Plan, status: str) -> list[dict]:
    return [{"function": f, "reason": why, "count": n} for (f, why), n in sorted(_open(plan, status).items())]


def dump(plan: Plan) -> str:
    """The baseline as text: two-space JSON, sorted keys, trailing newline."""
    return _text(build(plan))


def summary(plan: Plan) -> str:
    """One line on what a baseline of `plan` approves, and what the analysis could not see."""
    endpoints = len({endpoint_key(r) for r in matched(plan)})
    parts = [_count(len(plan.scopes), "scope"), _count(endpoints, "endpoint"),
             f"worst case {per_run_worst_case(plan)} credits per run",
             f"catalogue {plan.catalogue.api_version} {plan.catalogue.digest[:19]}"]
    unresolved, unmatched = sum(_open(plan, "unresolved").values()), sum(_open(plan, "unmatched").values())
    if unresolved or unmatched:
        known = [_count(n, what) for n, what in ((unresolved, "unresolved call"), (unmatched, "unmatched call")) if n]
        parts.append(f"{' and '.join(known)} accepted as known (check fails on new ones)")
    if plan.errors:
        parts.append(f"{_count(len(plan.errors), 'file')} could not be scanned: their calls are not in it")
    return ", ".join(parts)


def write(plan: Plan, path: Path) -> dict:
    """Write the baseline of `plan` to `path` atomically; return the document written."""
    doc = build(plan)
    atomic_write(path, _text(doc))
    return doc


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same directory and `os.replace`."""
    safeio.write_atomic(path, text.encode("utf-8"))  # a full disk leaves the old file, names `path`


def load(path: Path) -> Baseline:
    """Read and validate a baseline; BaselineError says how to fix a missing or broken one."""
    path = Path(path)
    try:
        data = safeio.load_json(path, safeio.BASELINE_LIMIT, "baseline")  # regular, < 50 MB, bounded
    except FileNotFoundError:
        raise BaselineError(f"no baseline at {path}: run `scopeplan baseline` to create it, "
                            "review it and commit it") from None
    except OSError as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc.strerror})") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"baseline {path}: not valid JSON ({exc}); "
                            "regenerate it with `scopeplan baseline`") from None
    _validate(data, path)
    return Baseline(path, data)


def _text(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def matched(plan: Plan) -> list[Resolution]:
    """The matched call sites that count: those not marked `# scopeplan: ignore`."""
    return [r for r in plan.resolutions if r.status == "matched" and not r.site.ignored]


def open_key(r: Resolution) -> tuple[str, str]:
    """(function, reason) of an unresolved or unmatched call, without module names: moving code keeps the key."""
    local = r.site.function.split(":", 1)[-1]
    return local, _QUALIFIED.sub(r"`\1`", r.reason or "")


unresolved_key = open_key  # the name before unmatched calls were recorded too


def _open(plan: Plan, status: str) -> Counter:
    return Counter(open_key(r) for r in plan.open_calls if r.status == status)


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
                and _natural(value.get("max_credits"))):
            raise bad(f"`endpoints.{key}` must have `oauth_scope` and `max_credits`")
    credits = data["credits"]
    if not _natural(credits.get("per_run_worst_case")) or not isinstance(credits.get("entry_points"), dict):
        raise bad("`credits` must have `per_run_worst_case` and `entry_points`")
    if not all(v is None or _natural(v) for v in credits["entry_points"].values()):
        raise bad("`credits.entry_points` values must be credits or null (unbounded)")
    if not isinstance(data.get("unmatched", []), list):  # absent in baselines written before it was recorded
        raise bad("`unmatched` must be a JSON array")
    for key in ("unresolved", "unmatched"):
        for u in data.get(key, []):
            if not (isinstance(u, dict) and isinstance(u.get("function"), str) and isinstance(u.get("reason"), str)
                    and _natural(u.get("count"))):
                raise bad(f"each `{key}` entry must have `function`, `reason` and `count`")


def _natural(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0



def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
