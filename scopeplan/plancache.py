"""The whole plan of a warm run: kept once per set of options, valid while nothing it was built from changed.

A plan depends on the project's files, its configuration, the catalogue, scopeplan itself and the
options of the command. The entry's name covers the whole `Config`, a catalogue file's bytes (a live
one's digest), scopeplan's version with a digest of its source files and the size and mtime of its data
files (the bundled catalogue among them), the Python that wrote it, the root as given and `only`. The
files are covered twice over: a warm run with nothing changed finds the plan by every scanned file's path
and content key, taken from the scanner's manifest without reading a file (`scanner.vouched`, which gives
up on any file that is new, changed or within the racy window), with discovery's notices; any other run
scans, and finds it by the facts the scan gave (`facts_digest`), so that an edit that changes no fact
(a touch, a comment that moves no line, a file no call depends on) resolves nothing again. The entries
live in the facts cache's folder (`.scopeplan_cache/<fingerprint>/values/plan-<slot>*`), signed and
written atomically like every entry there; they hold what reports hold, never a token or secret.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache, partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import scopeplan

if TYPE_CHECKING:  # a warm run that prints a kept report never imports the model
    from scopeplan.config import Config
    from scopeplan.model import Catalogue, Plan
    from scopeplan.scanner import Scanned
    from scopeplan.scanner.files import Discovered

PACKAGE = Path(scopeplan.__file__).resolve().parent
# the modules whose dataclasses a Plan is made of: nothing else may be unpickled from an entry
ALLOWED = ("scopeplan.model", "scopeplan.jobs", "scopeplan.advice", "scopeplan.granted", "scopeplan.credits",
           "scopeplan.scopes")


@lru_cache(maxsize=4)
def source_digest(package: Path = PACKAGE) -> str:
    """scopeplan's version, a digest of every source file of the package, and the size and mtime of each
    of its data files (the bundled catalogue among them: 2 MB not read on every run)."""
    digest = hashlib.sha256(f"{scopeplan.__version__}\0{sys.implementation.cache_tag}\0".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted((package / "data").rglob("*")):
        st = path.stat()
        digest.update(f"{path.relative_to(package).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def catalogue_part(spec: str, max_age_days: int | None) -> tuple[str, Catalogue | None] | None:
    """What identifies the catalogue `spec` names, and the catalogue when it had to be loaded for that
    (a live one: loading it also warns when it is stale). None when the file cannot be read: the normal
    path then says why."""
    if spec == "bundled":  # package data: its size and mtime are in source_digest
        return "bundled", None
    from scopeplan import safeio
    from scopeplan.catalogue.load import LIVE, load

    if spec == LIVE or spec.startswith(LIVE + ":"):
        found = load(spec, max_age_days=max_age_days)
        return f"live\0{found.source}\0{found.origin}\0{found.digest}", found
    try:
        data = safeio.read_bytes(Path(spec), safeio.CATALOGUE_LIMIT, "catalogue")
    except OSError:
        return None
    return f"file\0{Path(spec).as_posix()}\0{hashlib.sha256(data).hexdigest()}", None


class Kept:
    """A run's plan, built or kept: `plan` (unpickled only when asked for), `complete`, and `report(fmt,
    render)`, which gives a report rendered once for this plan and kept beside it."""

    def __init__(self, plan: Plan | None, blob: bytes | None, complete: bool, reports: dict[str, str],
                 store: Callable[[Kept], None] | None = None):
        self._plan, self._blob, self.complete, self.reports, self._store = plan, blob, complete, reports, store

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            from scopeplan.scanner.cache import loads

            self._plan = loads(self._blob or b"", ALLOWED)
        return self._plan

    def blob(self) -> bytes:
        if self._blob is None:
            from scopeplan.scanner.cache import dumps

            self._blob = dumps(self.plan)
        return self._blob

    def report(self, fmt: str, render: Callable[[Plan], str]) -> str:
        """The `fmt` report of this plan, rendered by `render(plan)` the first time and kept after."""
        text = self.reports.get(fmt)
        if text is None:
            text = self.reports[fmt] = render(self.plan)
            if self._store is not None:
                self._store(self)
        return text


def _entry(found: object, tree: str) -> tuple[bytes, bool, dict[str, str]] | None:
    """A kept entry's parts when it has the shape `_save` writes and is for this tree, else None."""
    if not (isinstance(found, tuple) and len(found) == 4 and found[0] == tree and isinstance(found[1], bytes)
            and type(found[2]) is bool and isinstance(found[3], dict)):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in found[3].items()):
        return None
    return found[1], found[2], found[3]


def plan(root: Path, conf: Config, only: str | None, spec: str,
         build: Callable[[Catalogue | None, tuple[Discovered | None, int] | None, Scanned | None], Plan]) -> Kept:
    """The plan `build` would make, kept from an earlier run when nothing it depends on changed since.

    `build(catalogue, files, facts)` makes it afresh (with the catalogue already loaded, or None to load
    it; the files `selection.selected` chose, or None to choose them; their facts as `scan` gives them
    with `selection.scan_options`, or None to scan). With the cache off, or a cache that cannot be opened,
    it simply builds and keeps nothing.

    Two entries: `plan-<slot>`, signed for the tree (every file's path and content key, from the manifest:
    nothing read), holds the digest of the facts the plan was made of; `plan-<slot>-facts`, signed for that
    digest, holds the plan. A tree the manifest cannot vouch for is scanned, and when its facts are the
    ones the kept plan was made of (a touch, a comment that moves no line, an edit of a file no call
    depends on) the plan is still valid: nothing is resolved again.
    """
    if not conf.cache:
        return _built(build(None, None, None))
    begun = _ahead.pop(_arguments(root, conf, only, spec), None) or _Begun(root, conf, only, spec)
    if begun.cache is None or begun.part is None:
        return _built(build(begun.part[1] if begun.part else None, None, None))
    if begun.kept is not None:
        return begun.kept
    from scopeplan.scanner import scan
    from scopeplan.scanner.parallel import discard, meanwhile
    from scopeplan.selection import scan_options

    cache, name = begun.cache, begun.name
    ready: list[Catalogue] = []
    meanwhile(*_preload(spec, ready))
    try:
        facts = scan(root, begun.found, **scan_options(conf))
    finally:
        discard()  # a worker started early that the scan did not take
    after = _with(begun.vouched(), begun.package)  # the files as the scan left them in the manifest
    made_of = facts_digest(root, facts, begun.tests, cache.print + begun.package)
    entry = _entry(cache.load_value(name + "-facts", made_of, ()), made_of)
    if entry is not None:
        kept = Kept(None, entry[0], entry[1], dict(entry[2]), lambda kept: begun.save(kept, None, made_of))
        if after is not None:
            cache.store_value(name, after, (after, made_of))
        return kept
    result = build(begun.part[1] or (ready[0] if ready else None), (begun.found, begun.tests), facts)
    kept = Kept(result, None, result.complete, {}, lambda kept: begun.save(kept, after, made_of))
    begun.save(kept, after, made_of)
    return kept


def _preload(spec: str, ready: list[Catalogue]) -> list[Callable[[], object]]:
    """Steps that import what building a plan needs, and load the bundled catalogue, while the parse workers
    work: none has any other effect (a file or live catalogue is loaded where its errors are reported).
    Imports leaves first, a module or two a step, so that no step keeps a worker waiting for long; the order
    changes only when the time is spent."""
    steps: list[Callable[[], object]] = [partial(import_module, name) for name in _PLAN_MODULES]
    if spec == "bundled":
        steps.append(lambda: ready.append(import_module("scopeplan.catalogue").load(spec)))
    return steps


# the prefilter's rounds the scan imports itself, first (`scanner._import_rounds`); the leaves they share with the
# plan stay listed for a run whose selection is kept, which imports no rounds
_PLAN_MODULES = ("scopeplan.model", "scopeplan.program.values", "scopeplan.models.zoho_sdk", "scopeplan.models.http",
                 "scopeplan.matcher", "scopeplan.advice", "scopeplan.granted", "scopeplan.jobs", "scopeplan.sites.follow",
                 "scopeplan.plan", "scopeplan.catalogue")


def warm(root: Path, conf: Config, only: str | None, spec: str) -> Kept | None:
    """The kept plan when the manifest vouches that nothing it was made of changed (no file read, nothing
    scanned); else None, and `plan` with the same arguments goes on from where this stopped."""
    if not conf.cache:
        return None
    begun = _ahead[_arguments(root, conf, only, spec)] = _Begun(root, conf, only, spec)
    return begun.kept


def _arguments(root: Path, conf: Config, only: str | None, spec: str) -> str:
    return repr((root.as_posix(), str(root.resolve()), conf, only, spec))


class _Begun:
    """The first half of `plan`: the cache, the entry's name, the files chosen, and the kept plan when the
    manifest vouches for every file (`kept`, else None)."""

    def __init__(self, root: Path, conf: Config, only: str | None, spec: str):
        from scopeplan.scanner import cache as caching
        from scopeplan.scanner import discover, recently_changed
        from scopeplan.scanner.files import root_package
        from scopeplan.selection import selected

        self.root, self.kept = root, None
        base = root if root.is_dir() else root.parent
        self.cache = cache = caching.Cache.open(base.resolve())
        self.part = part = catalogue_part(spec, conf.cache_max_age_days) if cache is not None else None
        if cache is None or part is None:
            return
        if not cache.has_manifest() or recently_changed(base, cache):  # a first run, or one after an edit: it
            from scopeplan.scanner.parallel import early  # will parse, so a worker loads libcst during discovery

            early(conf.workers or 0)
        options = repr((replace(conf, workers=0), only, root.as_posix(), str(root.resolve()), spec, part[0]))
        self.name = name = "plan-" + hashlib.sha256(f"{options}\0{source_digest()}".encode()).hexdigest()[:32]
        listings = _listings(cache.load_value("listings", "listings", ()))  # folder -> its last listing
        last = dict(listings)
        self.found, self.tests = selected(root, conf, listings)
        self.files = self.found if self.found is not None else discover(root, listings)  # from the listings
        if listings != last:
            cache.store_value("listings", "listings", listings)
        resolved = root.resolve()  # the package the root is names its modules, even with its __init__.py left out
        self.package = f"package\0{root_package(resolved if resolved.is_dir() else resolved.parent)}\0"
        before = _with(self.vouched(), self.package)
        if before is None:  # a file changed: it will likely be parsed, so a worker loads libcst meanwhile
            from scopeplan.scanner.parallel import early

            early(conf.workers or 0)
            return
        pointer = cache.load_value(name, before, ())
        if isinstance(pointer, tuple) and len(pointer) == 2 and pointer[0] == before and isinstance(pointer[1], str):
            entry = _entry(cache.load_value(name + "-facts", pointer[1], ()), pointer[1])  # the plan stays bytes
            if entry is not None:
                made_of = pointer[1]
                self.kept = Kept(None, entry[0], entry[1], dict(entry[2]), lambda kept: self.save(kept, None, made_of))

    def vouched(self) -> str | None:
        from scopeplan.scanner import vouched

        return vouched(self.root, self.files, self.cache)

    def save(self, kept: Kept, tree: str | None, facts: str) -> None:
        self.cache.store_value(self.name + "-facts", facts, (facts, kept.blob(), kept.complete, kept.reports))
        if tree is not None:
            self.cache.store_value(self.name, tree, (tree, facts))


_ahead: dict[str, _Begun] = {}  # what `warm` began and `plan` finishes, by their arguments


def facts_digest(root: Path, facts: Scanned, tests: int, fingerprint: str) -> str:
    """A digest of everything a plan is made of besides options, configuration and catalogue: each file's
    path and facts (as pickled: equal bytes mean equal facts; a file the prefilter left out is its empty
    row), the lines `granted.requested` reads from a file's source, the scan's notices and how many test
    files were left out (`fingerprint` adds the rest: the cache's, the package the root is). The pickle's
    digest is the cache's when it loaded or stored those facts."""
    from scopeplan.scanner.cache import dumps
    from scopeplan.scanner.facts import FileFacts

    digest = hashlib.sha256(f"{fingerprint}\0{tests}\0".encode())
    known = facts.digests if len(facts.digests) == len(facts) else (None,) * len(facts)
    for f, pickled in zip(facts, known):
        text = f"{f.path}\0{f.module}\0".encode("utf-8", "surrogateescape")
        if pickled is None and f == FileFacts(f.path, f.module):
            digest.update(b"-\0" + text)
            continue
        digest.update(b"+\0" + text + (pickled or hashlib.sha256(dumps(f)).hexdigest()).encode() + b"\0")
        if f.symbols:
            from scopeplan.scopesource import lines_read

            digest.update(repr(lines_read(root, f)).encode() + b"\0")
    for notice in facts.notices:
        digest.update(b"notice\0" + notice.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _with(tree: str | None, package: str) -> str | None:
    """The tree's key with the package the root is (module names depend on it, not on any scanned file)."""
    return None if tree is None else hashlib.sha256(f"{tree}\0{package}".encode()).hexdigest()


_STR = {str}


def _listings(found: object) -> dict[str, tuple[object, ...]]:
    """The folder listings `discover` kept, if every row has the shape it writes; else none."""
    if not isinstance(found, dict):
        return {}
    for folder, row in found.items():
        if not (type(folder) is str and type(row) is tuple and len(row) == 4):
            return {}
        head, checked, files, dirs = row
        if not (type(head) is tuple and len(head) == 4 and type(checked) is int and (files is None) == (dirs is None)):
            return {}
        if (type(head[0]) is not int or type(head[1]) is not int or type(head[2]) is not int
                or type(head[3]) is not int):
            return {}
        if files is not None and not (type(files) is tuple and type(dirs) is tuple
                                      and set(map(type, files)) <= _STR and set(map(type, dirs)) <= _STR):
            return {}
    return found


def _built(result: Plan) -> Kept:
    return Kept(result, None, result.complete, {})
