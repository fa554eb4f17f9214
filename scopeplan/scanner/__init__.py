"""Scan a source tree: read each file, parse the ones that can matter once with libcst, fold them into FileFacts.

One file's bytes become its facts in `source.py` (`scan_source`, re-exported here).

`scan` reads every file, keeps only those the prefilter cannot rule out (`prefilter.py`), takes their
facts from the cache when the content is unchanged (`cache.py`) and parses the rest on every core
(`parallel.py`). A file the prefilter rules out still appears, as an empty FileFacts with its path
and module name, so that the rest of the pipeline sees the same modules with or without it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from scopeplan.scanner.files import FINE_NS, discover, module_name, read, settled
from scopeplan.scanner.tail import code_end
from scopeplan.scanner.manifest import pack as _pack, unpack as _unpack, valid_entry, valid_manifest as _valid_manifest

if TYPE_CHECKING:
    from scopeplan.scanner.facts import FileFacts

__all__ = ["FileFacts", "Scanned", "discover", "scan", "scan_source", "vouched"]


def __getattr__(name: str):
    """`FileFacts`, `scan_source` and `decode`, imported when first asked for: a warm run that only checks
    the manifest never needs them."""
    if name == "FileFacts":
        from scopeplan.scanner.facts import FileFacts

        return FileFacts
    if name in ("scan_source", "decode"):
        from scopeplan.scanner import source

        return getattr(source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")



class Scanned(list):
    """`scan`'s FileFacts (a list), with `notices`: things the run did not do and why (cache off, skipped
    links). They are not errors: a plan reports them, `--strict` does not fail on them."""

    notices: tuple[str, ...] = ()
    digests: tuple[str | None, ...] = ()  # per file, the sha256 of its facts' pickle when the cache knows it


def scan(root: Path, paths: list[Path] | None = None, *, workers: int = 0, use_cache: bool = True,
         cache_dir: Path | None = None, prefilter: bool = True, progress: bool | None = None,
         keep: Iterable[str] = (), on_notice=None) -> Scanned:
    """FileFacts for every Python file under root (or the given paths), in path order.

    `workers`: processes to parse with (0: one per core). `use_cache`: reuse facts of unchanged files
    from `cache_dir` (default `<root>/.scopeplan_cache`). `prefilter`: parse only the files that can
    matter; the result is the same either way. `progress`: a progress line on stderr (None: only
    when stderr is a terminal). `keep`: dotted names (`pkg.mod:func`) whose modules are always parsed,
    e.g. the entry points the configuration names. `on_notice`: called with each notice (default: a
    `scopeplan: notice:` line on stderr); the notices are also the result's `notices`.
    """
    from scopeplan.scanner.facts import FileFacts

    from scopeplan.progress import Progress

    notices: list[str] = []
    root = root.resolve()
    base = root if root.is_dir() else root.parent
    if paths is None:
        found = discover(root)
        notices.extend(found.notices)
        files: list[Path] = found
    else:
        files = paths
        notices.extend(getattr(paths, "notices", ()))
    cache = None
    if use_cache:
        from scopeplan.scanner.cache import Cache

        cache = Cache.open(base, cache_dir, notices)
    from scopeplan.scanner.parallel import kept

    with kept(workers) as pool:
        run = _Run(base, cache, pool, Progress("parsing", enabled=progress))
        sources: list[_Source] = []
        try:
            sources = run.read_all(files, prefilter, notices)
            if prefilter:
                run.select(sources, tuple(sorted(keep)))
            else:
                run.parse([s for s in sources if s.facts is None])
        finally:
            run.progress.close()
            if cache is not None:  # what parsing stored, as one pack, also when the scan fails: the manifest names it
                cache.flush(_worth_keeping(sources, run.manifest) if sources else None)
    if cache is not None:
        run.save_manifest(sources, complete=paths is None)
    out = Scanned(s.facts if s.facts is not None else FileFacts(s.relative, s.module) for s in sources)
    out.notices = tuple(dict.fromkeys(notices))
    if cache is not None:  # what the facts of each file pickle to, when known: a kept plan is keyed by them
        out.digests = tuple(cache.digests.get(s.key) if s.facts is not None and s.key else None for s in sources)
    for notice in out.notices:
        if on_notice is None:
            print(f"scopeplan: notice: {notice}", file=sys.stderr)
        else:
            on_notice(notice)
    return out


@dataclass(eq=False)
class _Source:
    """One file during a run: where it is, its bytes (read lazily), cache key, summary, facts."""

    path: str
    relative: str
    module: str
    package: bool
    stat: tuple | None = None
    data: bytes | None = None
    key: str | None = None
    summary: object = None
    facts: FileFacts | None = None  # set once parsed (or when the file cannot be read)
    checked: int | None = None  # when its content was last proved to be `key` (manifest time, ns)
    code: str | None = None  # the key of its bytes without their tail (tail.py); None: the same as `key`
    same: str | None = None  # the key of the last run's version, when it has the same facts and summary


def _stat(path) -> tuple[int, int, int, int] | None:
    """What the manifest compares: size, mtime, ctime, inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _relatives(base: Path, files, notices: list[str] | None = None):
    """(path string, posix path relative to base) of each file inside base; the others are a notice."""
    prefix = str(base).rstrip(os.sep) + os.sep
    links = getattr(files, "links", None)  # discovery knows its links; other lists are asked
    for path in files:
        text = os.fspath(path)
        if text.startswith(prefix) and not (text in links if links is not None else os.path.islink(text)):
            relative = text[len(prefix):]  # discovered under the root: no realpath
            yield text, relative if os.sep == "/" else relative.replace(os.sep, "/")
            continue
        try:
            yield text, Path(text).resolve().relative_to(base).as_posix()
        except (ValueError, OSError, RuntimeError):  # outside the root, or a link loop
            if notices is not None:
                notices.append(f"{text}: skipped: it is not inside the scanned folder {base}")


def vouched(root: Path, files: list, cache) -> str | None:
    """A digest of every file's path and content key, when the last run's manifest vouches for each of
    them (same stat, and settled: see `_settled`), so that nothing is read; None as soon as one file is
    new, changed, racy or unreadable. `files` as `scan` takes them; `cache` an open `Cache`."""
    base = root if root.is_dir() else root.parent
    known = _valid_manifest(cache.manifest()).get("files")
    if not known:
        return None
    notices: list[str] = list(getattr(files, "notices", ()))
    digest = hashlib.sha256(cache.print.encode())
    for text, relative in _relatives(base.resolve(), files, notices):
        entry = known.get(relative)
        if entry is None:
            return None
        stat = _stat(text)
        if stat is None or stat != entry[0] or not _settled(stat, entry[3]):
            return None
        digest.update(f"{relative}\0{entry[1]}\0".encode("utf-8", "surrogateescape"))
    for notice in notices:
        digest.update(f"notice\0{notice}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def recently_changed(root: Path, cache) -> bool:
    """Whether one of the files the manifest saw change last (`_recent`) has changed since: a guess, before
    discovery and at a few stats' cost, that this run will parse (an edit tends to follow an edit). False
    without a manifest; a wrong guess costs a worker started for nothing, or started later."""
    manifest = cache.manifest()  # only its few recent entries are checked here (`vouched` checks the whole)
    known, recent = manifest.get("files"), manifest.get("recent")
    if not isinstance(known, dict) or not isinstance(recent, tuple):
        return False
    base = root if root.is_dir() else root.parent
    for relative in recent:
        entry = known.get(relative) if isinstance(relative, str) else None
        if not valid_entry(entry):
            return True  # a file gone from the manifest, or a malformed one: this run will not be the last one
        stat = _stat(os.path.join(base, relative))
        if stat != entry[0] or not _settled(stat, entry[3]):
            return True
    return False


RECENT_FILES = 8  # how many of the files whose stat changed last the manifest names (`recently_changed`)


def _recent(files: dict) -> tuple[str, ...]:
    """The files of a manifest whose stat changed last (mtime or ctime), RECENT_FILES of them."""
    import heapq  # imported here: a warm run saves no manifest

    return tuple(heapq.nlargest(RECENT_FILES, files, key=lambda name: max(files[name][0][1], files[name][0][2])))


def _worth_keeping(sources: list[_Source], manifest: dict) -> set[str]:
    """The facts keys this run's files have, and the last run's (a file set back to its last version, a
    branch checked out again, is not parsed again)."""
    last = {entry[1] for entry in manifest.get("files", {}).values()}  # a valid manifest (`valid_manifest`)
    return {s.key for s in sources if s.key} | {s.same for s in sources if s.same} | last


def _settled(stat: tuple, checked: int | None) -> bool:
    """Whether a file with this stat, whose content was checked at `checked`, cannot have changed since
    without its stat changing."""
    return settled(stat[1], stat[2], checked)


class _Run:
    """The state of one scan: cache, manifest, workers and progress."""

    def __init__(self, base: Path, cache, pool, progress):
        self.base = base
        self.cache = cache
        self.pool = pool  # parallel.Pool: started when the first file is read, so libcst loads meanwhile
        self.workers = pool.size
        self.progress = progress
        self.started = time.time_ns()
        self.manifest = _valid_manifest(cache.manifest()) if cache is not None else {}
        self.tree: str | None = None  # a digest of every file's path and content key, for the selection

    def read_all(self, files: list, prefilter: bool, notices: list[str] | None = None) -> list[_Source]:
        """A source for every file (strings or Paths); read only when the manifest cannot vouch for it."""
        from scopeplan.scanner.facts import FileFacts
        from scopeplan.scanner.parallel import MIN_PARALLEL_BYTES
        from scopeplan.scanner.source import decode

        sources = []
        known = self.manifest.get("files", {})
        bound = 0  # bytes read that will surely be parsed unless cached: past one worker's share, start them all
        for text, relative in _relatives(self.base, files, notices):
            name, package = module_name(relative)
            source = _Source(text, relative, name, package)
            sources.append(source)
            entry = known.get(relative)
            source.stat = _stat(text)
            if (entry is not None and source.stat == entry[0] and _settled(source.stat, entry[3])
                    and (entry[2] is not None or not prefilter)):
                source.key, source.summary = entry[1], _unpack(entry[2])  # unchanged since the last run: not read
                source.checked, source.code = entry[3], entry[4]
                continue
            if not self._load(source, entry):
                continue
            if prefilter:
                bad = decode(source.data, source.relative, name)
                if isinstance(bad, FileFacts):  # cheap, so every file gets it: the same row a parse gives
                    source.facts, source.stat = bad, None
                    continue
                source.summary = _summarise(source.data, name, package)
                if source.same is not None and not _same_selection(source.summary, _unpack(entry[2])):
                    source.same = None
            if source.same is None and (not prefilter or source.summary.seed):
                bound += len(source.data)
                if bound >= MIN_PARALLEL_BYTES and len(self.pool.workers) < self.pool.size:
                    self.pool.start(self.pool.size)
        return sources

    def _load(self, source: _Source, entry: tuple | None = None) -> bool:
        """Read the file's bytes (and key); a file that cannot be read becomes its error row. `entry`: the
        file's row in the last run's manifest, whose facts it keeps when only its tail changed."""
        from scopeplan.scanner.facts import FileFacts

        data = read(source.path)
        if isinstance(data, str):
            source.facts = FileFacts(source.relative, source.module, error=data)
            source.data = source.key = source.summary = None
            return False
        source.data = data
        if self.cache is not None:
            source.key = self.cache.key(source.relative, data)
            source.checked = self.started  # stat before read, both after this moment
            end = code_end(data)
            source.code = None if end == len(data) else self.cache.key(source.relative, data[:end])
            if entry is not None and entry[1] != source.key and self._same_facts(source, entry):
                return True
        if not self.pool.workers:
            self.pool.start()  # a file read may be a file to parse: libcst loads in the worker meanwhile
        return True

    def _same_facts(self, source: _Source, entry: tuple) -> bool:
        """Whether the file's last version, in the manifest's `entry`, had the same code and facts that
        still hold (tail.py): then they are kept under its new key too, and it is not parsed."""
        if (source.code or source.key) != (entry[4] or entry[1]):
            return False
        from scopeplan.scanner.budget import too_complex
        from scopeplan.scanner.source import decode

        text = decode(source.data, source.relative, source.module)
        if not isinstance(text, str) or too_complex(text) is not None:
            return False

        def holds(facts) -> bool:
            from scopeplan.scanner.facts import FileFacts

            return (isinstance(facts, FileFacts) and facts.path == source.relative and facts.error is None
                    and not facts.python2)

        if not self.cache.alias(entry[1], source.key, holds):
            return False
        source.same = entry[1]
        return True

    def select(self, sources: list[_Source], keep: tuple[str, ...] = ()) -> None:
        """Parse what can matter; when no file changed since the last run, the same files as then."""
        readable = [s for s in sources if s.facts is None]
        if self.cache is not None:
            self.tree = _tree(sources, keep, False)
            last = self.manifest.get("selection")
            if last is not None and last[0] in (self.tree, _tree(sources, keep, True)):
                chosen = set(last[1])
                self.parse([s for s in readable if s.relative in chosen])
                return
        from scopeplan.scanner.parallel import meanwhile

        meanwhile(_import_rounds, first=True)  # ~50 ms, needed next: while the workers parse the seeds
        self.parse([s for s in readable if s.summary.seed])
        from scopeplan.scanner.rounds import select

        select(self, readable, keep)

    def _bytes(self, source: _Source) -> bytes:
        if source.data is None and source.facts is None:
            self._load(source)
        return source.data or b""

    def parse(self, sources: list[_Source]) -> None:
        """Facts for each source: from the cache when its content is known, else parsed on all cores."""
        from scopeplan.scanner.facts import FileFacts

        from scopeplan.scanner.parallel import parse_all

        todo = []
        for source in sources:
            if source.facts is not None:
                continue
            if self.cache is not None and source.key is not None:
                facts = self.cache.load(source.key)
                if isinstance(facts, FileFacts) and facts.path == source.relative:
                    source.facts = facts
                    continue
            if source.data is None and not self._load(source):
                continue
            todo.append(source)
        if not todo:
            return
        self.progress.add(len(todo))
        stored: set[int] = set()

        def store(index: int, facts: FileFacts, payload: bytes | None) -> None:  # while the workers parse the rest
            if self.cache is not None and todo[index].key is not None:
                self.cache.store(todo[index].key, facts, payload)
            stored.add(index)

        self.pool.on_result = store
        try:
            results = parse_all([(s.data, Path(s.relative)) for s in todo], self.workers, self.progress.advance)
        finally:
            self.pool.on_result = None
        for index, (source, facts) in enumerate(zip(todo, results)):
            source.facts = facts
            if index not in stored and self.cache is not None and source.key is not None:
                self.cache.store(source.key, facts)

    def save_manifest(self, sources: list[_Source], complete: bool) -> None:
        self._settle(sources)
        old = self.manifest.get("files", {})
        files = {} if complete else dict(old)
        for s in sources:
            if s.stat is not None and s.key is not None:
                files[s.relative] = (s.stat, s.key, _pack(s.summary), s.checked, s.code)
        selection = None
        if self.tree is not None:
            selection = (self.tree, tuple(s.relative for s in sources if s.facts is not None and s.key is not None))
        if files != old or selection != self.manifest.get("selection"):
            self.cache.save_manifest({"files": files, "selection": selection, "recent": _recent(files)})

    def _settle(self, sources: list[_Source]) -> None:
        """Files changed just before this run (a fresh checkout or copy) are checked once more now that
        their timestamp tick has passed, so the next run need not read them: stat, then read, then
        compare with the key this run used. On coarse-timestamp file systems the next run does it."""
        racy = [s for s in sources if s.stat is not None and s.key is not None and not _settled(s.stat, s.checked)]
        if not racy:
            return
        wait = max(max(s.stat[1], s.stat[2]) for s in racy) + FINE_NS - time.time_ns()
        if 0 < wait <= FINE_NS:
            time.sleep(wait / 1e9)  # at most one tick: cheaper than reading these files on every later run
        for s in racy:
            now = time.time_ns()
            if _stat(s.path) != s.stat or not _settled(s.stat, now):
                continue
            data = read(s.path)
            if isinstance(data, bytes) and self.cache.key(s.relative, data) == s.key:
                s.checked = now


def _import_rounds() -> None:
    import scopeplan.scanner.rounds  # noqa: F401


def _tree(sources: list[_Source], keep: tuple[str, ...], same: bool) -> str:
    """A digest of what the selection is made of: every file's path and key (with `same`, the last run's
    key of a file whose facts and summary are the last run's) or error."""
    digest = hashlib.sha256(repr(keep).encode())
    for s in sources:
        key = (s.same or s.key) if same else s.key
        digest.update(f"{s.relative}\0{key if s.facts is None else s.facts.error}\0".encode(
            "utf-8", "surrogateescape"))
    return digest.hexdigest()


def _same_selection(new, old) -> bool:
    """Whether a file with the same facts as its last version, and these summaries, plays the same part in
    the selection: a seed is chosen first whatever its bytes say; the others may be chosen by a word of
    theirs (`Producers.reaches`), which a comment can hold."""
    return old is not None and new.seed and old.seed and tuple(new.refs) == tuple(old.refs)


def _summarise(data: bytes, name: str, package: bool):
    from scopeplan.scanner.summary import summarise  # imported here: a warm run never needs it

    return summarise(data, name, package)
