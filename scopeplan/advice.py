"""Credits you can save: batchable writes, composite requests, COQL tiers, searches in loops, polls without a delay.

Advice is never a failure: each item says where it applies, the documented numbers, and the Zoho page they are from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scopeplan import scopes as algebra
from scopeplan.model import Location, LoopBound, Resolution
from scopeplan.scanner.facts import FileFacts
from scopeplan.scanner.ir import Attr, Glob

LIMITS = "https://www.zoho.com/crm/developer/docs/api/v4/api-limits.html"
LIMITS_TABLE = "https://www.zoho.com/developer/docs/vertical-solutions/api/v2/api-limits.html"
COMPOSITE = "https://www.zoho.com/crm/developer/docs/api/v3/composite-overview.html"
COQL = "https://www.zoho.com/developer/docs/vertical-solutions/api/v5/COQL-Overview.html"
KAIZEN_60 = ("https://help.zoho.com/portal/en/community/topic/"
             "kaizen-60-get-records-search-records-query-and-bulk-read-apis")
BATCH = 100  # records per insert/update/upsert call
PER_CREDIT = 10  # records per credit of a write
COMPOSITE_MAX = 5  # sub-requests per composite call


@dataclass(frozen=True, slots=True)
class BatchWrites:
    """A record insert/update/upsert inside a loop: one call per record where one call takes 100."""

    where: Location
    endpoint: str
    loop: str  # "for loop at jobs.py:12"
    iterations: int | None  # None: only known at run time
    calls_now: int | None
    credits_now: int | None
    calls_after: int | None
    credits_after: int | None
    sources: tuple[str, ...] = (LIMITS_TABLE, LIMITS)
    title = "send records in batches of 100"


@dataclass(frozen=True, slots=True)
class UseComposite:
    """Up to five independent calls in one function that one composite request could make."""

    function: str
    sites: tuple[Location, ...]
    endpoints: tuple[str, ...]
    credits_now: int
    credits_after: int
    extra_scope: str = "ZohoCRM.composite_requests.CUSTOM"
    sources: tuple[str, ...] = (COMPOSITE,)
    title = "one composite request instead of several calls"


@dataclass(frozen=True, slots=True)
class CoqlTier:
    """A COQL query whose LIMIT puts it above the 1-credit tier."""

    where: Location
    tier: str  # "201-1000"
    credits_now: int
    credits_after: int = 1
    sources: tuple[str, ...] = (COQL,)
    title = "a COQL LIMIT in a cheaper tier"


@dataclass(frozen=True, slots=True)
class SearchInLoop:
    """A record search per loop iteration, where one COQL query with `IN (...)` reads them all."""

    where: Location
    endpoint: str
    loop: str
    iterations: int | None
    credits_now: int | None
    credits_after: int = 1
    extra_scope: str = "ZohoCRM.coql.READ"
    sources: tuple[str, ...] = (KAIZEN_60, COQL)
    title = "one COQL query instead of a search per item"


@dataclass(frozen=True, slots=True)
class PollWithoutDelay:
    """A bulk job status polled in a loop (or by recursion) with no sleep between polls."""

    where: Location
    endpoint: str
    loop: str
    sources: tuple[str, ...] = (LIMITS_TABLE,)
    title = "wait between polls of a bulk job"


Advice = BatchWrites | UseComposite | CoqlTier | SearchInLoop | PollWithoutDelay

_VERSION = r"/crm/v\d+(?:\.\d+)?"
_RECORDS = re.compile(rf"^{_VERSION}/([A-Za-z0-9_{{}}]+)(/upsert|/\{{\{{id\}}\}})?$")
_SEARCH = re.compile(rf"^{_VERSION}/[A-Za-z0-9_{{}}]+/search$")
_STATUS = re.compile(r"^/crm/bulk/v\d+(?:\.\d+)?/(read|write)/\{\{[a-z_]+\}\}$")
_NO_COMPOSITE = re.compile(r"/(coql|__composite_requests)$|^/crm/bulk/|/upload$")


def advise(resolutions: Iterable[Resolution], edges: Iterable[tuple[str, str, tuple[LoopBound, ...]]],
           files: Iterable[FileFacts]) -> tuple[Advice, ...]:
    """Every saving the code offers, sorted by where it applies."""
    sites = [r for r in resolutions if r.status == "matched" and not r.site.ignored and not r.site.implicit]
    edges = list(edges)
    quiet = _sleeps(files)
    callers: dict[str, list[tuple[str, tuple[LoopBound, ...]]]] = {}
    for caller, callee, around in edges:
        if caller != callee:
            callers.setdefault(callee, []).append((caller, around))
    out: list[Advice] = []
    for r in sites:
        loop = _loop(r) or _caller_loop(r.site.function, callers)
        out.extend(_batch(r, loop))
        out.extend(_search(r, loop))
        out.extend(_tier(r))
        out.extend(_poll(r, edges, quiet))
    out.extend(_composite(sites, callers))
    unique = list(dict.fromkeys(out))
    return tuple(sorted(unique, key=_order))


def _order(a: Advice):
    where = a.sites[0] if isinstance(a, UseComposite) else a.where
    return (where.file, where.line, where.column, type(a).__name__, getattr(a, "endpoint", ""))


def _loop(r: Resolution) -> LoopBound | None:
    """The loop that repeats the call over data (loops whose items became one site each do not repeat it, and a
    retry repeats it only on failure: neither is one call per record)."""
    return next((loop for loop in r.site.loops if _repeats(loop)), None)


def _repeats(loop: LoopBound) -> bool:
    return not loop.per_item and not loop.retry


def _caller_loop(function: str, callers, depth: int = 0) -> LoopBound | None:
    """A loop around a call of the function (or of its callers): the helper runs once per iteration."""
    if depth > 5:
        return None
    for caller, around in sorted(callers.get(function, ()), key=lambda c: c[0]):
        loop = next((loop for loop in around if _repeats(loop)), None)
        if loop is not None:
            return loop
    for caller, _ in sorted(callers.get(function, ()), key=lambda c: c[0]):
        loop = _caller_loop(caller, callers, depth + 1)
        if loop is not None:
            return loop
    return None


def _batch(r: Resolution, loop: LoopBound | None) -> list[Advice]:
    match = _RECORDS.match(r.endpoint or "")
    if loop is None or match is None or r.site.method not in ("POST", "PUT", "PATCH"):
        return []
    module = match.group(1)
    if module != "{{module}}" and algebra.module_token(module) is None:
        return []  # /crm/v8/users, /settings: not a record write
    n = loop.bound
    return [BatchWrites(r.site.location, _endpoint(r), loop.describe(), n,
                        n, n,  # one record per call: 1 credit each
                        None if n is None else math.ceil(n / BATCH),
                        None if n is None else math.ceil(n / PER_CREDIT))]


def _search(r: Resolution, loop: LoopBound | None) -> list[Advice]:
    if loop is None or not _SEARCH.match(r.endpoint or "") or r.site.method != "GET":
        return []
    return [SearchInLoop(r.site.location, _endpoint(r), loop.describe(), loop.bound, loop.bound)]


def _tier(r: Resolution) -> list[Advice]:
    if not (r.endpoint or "").endswith("/coql") or r.site.credits is None or r.site.credits <= 1:
        return []
    tier = {2: "201-1000", 3: "1001-2000"}.get(r.site.credits, "above 200")
    return [CoqlTier(r.site.location, tier, r.site.credits)]


def _poll(r: Resolution, edges, quiet: tuple[set, set]) -> list[Advice]:
    """A status GET repeated by a `while` or by recursion, with no `sleep` in that loop or function."""
    if r.site.method != "GET" or not _STATUS.match(r.endpoint or ""):
        return []
    loops, functions = quiet
    for loop in r.site.loops:
        if loop.kind == "while" and loop.where not in loops:
            return [PollWithoutDelay(r.site.location, _endpoint(r), loop.describe())]
    callers: dict[str, list[tuple[str, tuple[LoopBound, ...]]]] = {}
    for caller, callee, around in edges:
        callers.setdefault(callee, []).append((caller, around))
    seen, todo = set(), [r.site.function]
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.add(fn)
        for caller, around in callers.get(fn, ()):
            if caller == fn and fn not in functions:
                return [PollWithoutDelay(r.site.location, _endpoint(r), f"recursion in {fn}")]
            for loop in around:
                if loop.kind == "while" and loop.where not in loops:
                    return [PollWithoutDelay(r.site.location, _endpoint(r), loop.describe())]
            todo.append(caller)
    return []


def _composite(sites: list[Resolution], callers) -> list[Advice]:
    """Calls one function makes, itself or through helpers it calls once (no loop), grouped by 5."""
    groups: dict[str, list[Resolution]] = {}
    for r in sites:
        looped = any(not loop.per_item for loop in r.site.loops)  # a retry too: its calls are not independent
        if looped or r.max_credits != 1 or _NO_COMPOSITE.search(r.endpoint or ""):
            continue
        if r.api_version in ("v1", "v2", "v2.1"):
            continue  # the composite API is documented from v3
        groups.setdefault(r.site.function, []).append(r)
        for caller, around in callers.get(r.site.function, ()):
            if not any(not loop.per_item for loop in around):
                groups.setdefault(caller, []).append(r)
    out: list[Advice] = []
    for function, group in sorted(groups.items()):
        calls = sorted({(r.site.location.file, r.site.location.line, r.site.location.column, _endpoint(r)): r
                        for r in group}.items())
        if len(calls) < 2:
            continue
        for i in range(0, len(calls), COMPOSITE_MAX):
            chunk = calls[i:i + COMPOSITE_MAX]
            if len(chunk) < 2:
                continue
            out.append(UseComposite(function, tuple(r.site.location for _, r in chunk),
                                    tuple(key[3] for key, _ in chunk), len(chunk), 1))
    return out


def _endpoint(r: Resolution) -> str:
    return f"{r.site.method} {r.endpoint}"


def _sleeps(files: Iterable[FileFacts]) -> tuple[set[str], set[str]]:
    """Loops (`file:line`) and functions that call `time.sleep`/`asyncio.sleep` (or any `.sleep`)."""
    loops, functions = set(), set()
    for facts in files:
        for invoke in facts.invokes:
            callee = invoke.callee
            name = callee.qualname.rsplit(".", 1)[-1] if isinstance(callee, Glob) else \
                callee.name if isinstance(callee, Attr) else ""
            if name == "sleep":
                functions.add(invoke.function)
                loops.update(f"{facts.path}:{loop.line}" for loop in invoke.loops)
    return loops, functions


def describe(a: Advice) -> str:
    """The advice in one sentence, with its numbers."""
    if isinstance(a, BatchWrites):
        if a.iterations is None:
            numbers = (f"per 100 records that is 100 calls and 100 credits one at a time, 1 call and "
                       f"{BATCH // PER_CREDIT} credits as one batch")
        else:
            numbers = (f"{a.iterations} records: {a.calls_now} calls and {a.credits_now} credits one at a time, "
                       f"{a.calls_after} call{'s' if a.calls_after != 1 else ''} and {a.credits_after} "
                       f"credit{'s' if a.credits_after != 1 else ''} in batches")
        return (f"{a.endpoint} runs once per item of the {a.loop}; insert/update/upsert take up to {BATCH} records "
                f"per call at 1 credit per {PER_CREDIT} records: {numbers}")
    if isinstance(a, UseComposite):
        return (f"{len(a.sites)} calls in {a.function} ({', '.join(a.endpoints)}) cost {a.credits_now} credits; "
                f"if they do not depend on each other's results, one composite request (up to {COMPOSITE_MAX} "
                f"sub-requests) costs {a.credits_after} and also needs {a.extra_scope}")
    if isinstance(a, CoqlTier):
        return (f"its LIMIT is in the {a.tier} tier: {a.credits_now} credits per query; LIMIT 200 or less costs "
                f"{a.credits_after} (worth it when a call needs at most 200 rows)")
    if isinstance(a, SearchInLoop):
        now = "1 credit per item" if a.iterations is None else f"{a.credits_now} credits for {a.iterations} items"
        return (f"{a.endpoint} runs once per item of the {a.loop} ({now}); one COQL query with "
                f"`WHERE ... in (...)` and LIMIT 200 or less costs {a.credits_after} credit and needs {a.extra_scope}")
    return (f"{a.endpoint} is polled by the {a.loop} with no sleep between polls: every poll costs a credit, "
            f"as fast as the network answers; wait between polls (e.g. `time.sleep(30)`)")
