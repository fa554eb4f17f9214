"""Frozen dataclasses that every stage exchanges: the contract of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the stages that own these types import model.py themselves
    from scopeplan.advice import Advice
    from scopeplan.granted import GrantCheck
    from scopeplan.jobs import Job, Split


@dataclass(frozen=True, slots=True)
class Location:
    """Where a call starts: posix path relative to the scanned root, 1-based line and column."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Hole:
    """A part of a URL known only at run time, e.g. `{record_id}` in an f-string."""

    name: str
    origin: str = ""  # why it is unknown, in words: "parameter `path` of `Client._request`"


@dataclass(frozen=True, slots=True)
class Url:
    """A URL folded from source: literal text interleaved with holes."""

    parts: tuple[str | Hole, ...]

    def __str__(self) -> str:
        return "".join(p if isinstance(p, str) else "{%s}" % p.name for p in self.parts)

    @property
    def holes(self) -> tuple[Hole, ...]:
        """The holes of the URL, in order."""
        return tuple(p for p in self.parts if isinstance(p, Hole))


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value the scanner could not fold, with a reason a person understands."""

    reason: str


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One hop of the path from the call that completes an endpoint down to the HTTP call."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class LoopBound:
    """A loop around a call: how many times it runs at most (None: unbounded) and where it is."""

    where: str  # "sync.py:40"
    kind: str  # "for" | "while" | "comprehension" | "recursion"
    bound: int | None
    per_item: bool = False  # the loop's items became one call site each: each runs once
    retry: bool = False  # it retries until a call succeeds: the bound counts every attempt, typically one is made

    def describe(self) -> str:
        """`while loop at sync.py:40`; `retry loop at sync.py:40` for a retry (its worst case is every attempt)."""
        return f"{'retry' if self.retry else self.kind} loop at {self.where}"


@dataclass(frozen=True, slots=True)
class CallSite:
    """One HTTP call that may reach Zoho CRM, as found in the source."""

    location: Location
    function: str  # "pkg.mod:Class.method" or "pkg.mod:<module>": the call-graph node it lives in
    library: str  # "requests", "httpx", "aiohttp", "urllib", "urllib3", "zohocrmsdk", ...
    method: str | Unresolved  # "GET", "POST", ...
    url: Url | Unresolved
    trace: tuple[TraceStep, ...] = ()
    implicit: bool = False  # made by an SDK on its own, not written in the code
    body_scopes: tuple[str, ...] = ()  # scopes a request body adds (COQL FROM modules, ...)
    ignored: str | None = None  # reason given by `# scopeplan: ignore`
    loops: tuple[LoopBound, ...] = ()  # every loop between the reported call and the HTTP call
    body_reason: str | None = None  # why a scope that lives in the request body is unknown
    credits: int | None = None  # worst-case credits the body decides (COQL LIMIT), overriding the catalogue
    # optional values an `if` tested that the code cannot decide (`if self.org_id:`): the URL has both
    # alternatives, and one that matches no endpoint is taken to be the branch the code does not run for CRM
    assumed: tuple[str, ...] = ()
    # module API names the request body names where a documented conjunction needs them (a note's parent module):
    # None when the body was not read or does not say; see catalogue/conjunctions.py `{body_module}`
    body_modules: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class FileError:
    """A file the scan could not read or parse; the scan goes on."""

    file: str
    message: str


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of one catalogue path, with the scope it needs and what it costs."""

    method: str
    scope: str
    min_credits: int
    max_credits: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One path template of the catalogue (`/crm/v8/Leads/{{id}}`) and its operations."""

    template: str
    operations: tuple[Operation, ...]

    def operation(self, method: str) -> Operation | None:
        """The operation for an HTTP method, if the catalogue lists it."""
        for op in self.operations:
            if op.method == method:
                return op
        return None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A validated `__apis` catalogue: its endpoints, API version, provenance and digest."""

    endpoints: tuple[Endpoint, ...]
    api_version: str  # "v8"
    source: str  # "bundled" | "file" | "live"
    origin: str  # the file it was read from, or "scopeplan/data/..." for the bundled one
    digest: str  # "sha256:<hex>" of the canonical JSON form

    @property
    def derived(self) -> bool:
        """True when the catalogue was derived from the SDK, not returned by Zoho's `__apis`."""
        return self.source == "bundled"


STATUSES = ("matched", "unmatched", "unresolved", "deprecated")


@dataclass(frozen=True, slots=True)
class Resolution:
    """A call site judged against the catalogue: matched, unmatched, unresolved or deprecated."""

    site: CallSite
    status: str  # one of STATUSES
    path: str | None  # as the code calls it, host and query removed
    api_version: str | None  # the version the code used: "v2", "v2.1", ...
    endpoint: str | None = None  # the catalogue template it matched
    # matched: every scope the call needs; unresolved: the part that is certain whatever the unknown turns out to
    # be (the module-dependent rest is a template in `reason`), empty when nothing is
    scopes: tuple[str, ...] = ()
    min_credits: int | None = None
    max_credits: int | None = None
    reason: str | None = None
    # scopes added to the catalogue's by a documented conjunction, with the doc page: (scope, url), sorted
    conjunctions: tuple[tuple[str, str], ...] = ()
    # unresolved: every scope the call could need, all of them (the matcher's candidates; empty: unknown),
    # and the module API names a `# scopeplan: modules=` hint could choose from
    candidates: tuple[str, ...] = ()
    candidate_modules: tuple[str, ...] = ()

    @property
    def needed_scopes(self) -> tuple[str, ...]:
        """The scopes the call surely needs: a matched call's, the certain part of an unresolved one's; none if ignored.

        The one rule for every place that sums what the code needs (the scope set, jobs, the gate)."""
        return self.scopes if self.status in ("matched", "unresolved") and not self.site.ignored else ()


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """Worst-case credits of one entry point of the call graph; None when unbounded."""

    function: str
    worst_case: int | None
    unbounded_because: str | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    """The share of the org's rolling 24-hour credit allowance the entry points may use."""

    edition: str
    users: int
    allowance: int | None  # None: unlimited
    daily_worst_case: int | None  # None: unbounded
    share: float | None
    source: str  # where the edition limits come from
    unbounded_because: str | None = None
    bounded_daily: int = 0  # what the bounded entry points alone use per day


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything a report needs: resolutions, least-privilege scopes, credits and failures."""

    root: str
    catalogue: Catalogue
    resolutions: tuple[Resolution, ...]
    scopes: tuple[tuple[str, tuple[Resolution, ...]], ...]  # scope -> the sites that need it, sorted
    compact: bool
    errors: tuple[FileError, ...]
    files_scanned: int
    grants: tuple[GrantCheck, ...] = ()  # requested scope sets (and the console's) vs what the code needs
    jobs: tuple[Job, ...] = ()  # scopes per entry point
    splits: tuple[Split, ...] = ()  # read-only jobs sharing a token with writers
    advice: tuple[Advice, ...] = ()  # credits you can save
    entry_points: tuple[EntryPoint, ...] = ()
    python2: tuple[str, ...] = ()  # files read as Python 2 (translated in memory): a notice, not an error
    budget: Budget | None = None
    tests_skipped: int = 0  # test files left out (`include-tests = true` scans them)
    warnings: tuple[FileError, ...] = ()  # e.g. a file that names Zoho CRM but gave no call site
    notices: tuple[str, ...] = ()  # what the scan did not do and why: a link out of the tree, the cache off
    problems: tuple[FileError, ...] = ()  # what a person wrote that cannot be used: hint typos, unknown modules
    only: str | None = None  # posix path under the root the report is limited to (`scan sub/`); None: all

    @property
    def scope_names(self) -> tuple[str, ...]:
        """The scope set, sorted."""
        return tuple(name for name, _ in self.scopes)

    @property
    def complete(self) -> bool:
        """True when every file parsed and every site resolved and matched."""
        return not self.errors and not self.open_calls

    @property
    def open_calls(self) -> tuple[Resolution, ...]:
        """Unresolved and unmatched calls (not ignored): each could need a scope the set lacks."""
        return tuple(r for r in self.resolutions if r.status in ("unresolved", "unmatched") and not r.site.ignored)
