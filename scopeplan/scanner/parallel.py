"""Parse files in forked worker processes, so that no file can take the run down.

libcst's native parser can crash the process (signal 11 on deep nesting), exhaust memory or stall on
input nobody meant to write. Every parse therefore runs in a forked worker: a worker that dies, runs
out of its memory limit or overruns the per-file deadline costs exactly the file it was on, which
becomes an error row; it is replaced and the rest of its chunk goes on. Workers import libcst
themselves and say when they are ready, so a pool started early (`kept`, `Pool.start`) loads libcst
while this process discovers and reads the tree; they live for the whole scan (the prefilter's rounds
reuse them), take chunks of jobs by pipe, largest first, and stream back one small FileFacts per file;
they die with their parent (PR_SET_PDEATHSIG, and a parent-pid check).

Where fork is not available (Windows, or macOS by policy), files are parsed in this process; the
pre-parse budget (budget.py) still keeps the known crashes out.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from scopeplan import GC_THRESHOLDS
from scopeplan.scanner.cache import dumps
from scopeplan.scanner.worker import die_with, facts_of, frames, limit_memory, receive, send

if TYPE_CHECKING:  # imported where a row is made: `early` forks a worker before the facts' module loads
    from scopeplan.scanner.facts import FileFacts

Job = tuple[bytes, Path]  # a file's bytes and its path relative to the root

# Below this much source one worker is enough (libcst parses ~0.5 MB/s per core).
MIN_PARALLEL_BYTES = 96_000
CHUNKS_PER_WORKER = 12  # small enough to balance the load, large enough to keep IPC rare
FILE_SECONDS = 120.0  # one file's parse and fold; the budget keeps ordinary files far below it
FAST_CONSTRUCTORS_BYTES = 100_000  # a chunk this large repays `constructors.install` (8 ms, 0.08 ms per kB)
WARM_UP_WAIT = 0.005  # seconds a ready worker waits for work before it warms up
READY = -1  # the index of a worker's first message: libcst is loaded, it waits for work

_jobs: dict[int, Job] = {}  # in a worker: the chunk it is on, by index
_open: list[Pool] = []  # the pool `kept` opened, which parse_all uses
_early: list[Pool] = []  # a pool `early` started, until `kept` takes it
_idle: list[Callable[[], object]] = []  # work for this process while the first chunks are parsed (`meanwhile`)


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def forks() -> bool:
    """Whether files are parsed in forked workers here (else in this process)."""
    return hasattr(os, "fork") and sys.platform != "darwin"


def parse_all(jobs: list[Job], workers: int = 0, done: Callable[[int], None] | None = None) -> list[FileFacts]:
    """FileFacts of every job, in job order; identical whatever the number of workers (0: one per core).
    Inside `kept`, on its pool; else on a pool of its own."""
    if not jobs:
        return []
    if not forks():
        return _in_process(jobs, done)
    if _open:
        return _open[-1].parse(jobs, done)
    pool = Pool(workers)
    try:
        return pool.parse(jobs, done)
    finally:
        pool.close()


@contextmanager
def kept(workers: int = 0) -> Iterator[Pool]:
    """A pool that every `parse_all` inside uses (the one `early` started, when it is of this size); its
    workers end with the block."""
    pool = _early.pop() if _early and _early[-1].size == Pool(workers).size else Pool(workers)
    discard()
    _open.append(pool)
    try:
        yield pool
    finally:
        _open.remove(pool)
        _idle.clear()  # what nobody waited long enough to do is left undone
        pool.close()


def early(workers: int = 0) -> None:
    """Start one worker now, for the next `kept` pool of this size: a run that will surely parse loads
    libcst meanwhile."""
    if forks() and not _early:
        pool = Pool(workers)
        pool.start()
        _early.append(pool)


def discard() -> None:
    """End the workers `early` started that no pool took."""
    while _early:
        _early.pop().close()


def meanwhile(*steps: Callable[[], object], first: bool = False) -> None:
    """Have the `steps` done, in order, while this process waits for the workers (each once); work with no
    effect but time, such as importing what comes after the scan. A step runs only when no worker has
    anything to say, so each should be short: the parent hands out the next chunk after it. `first`: before
    the steps already waiting."""
    if first:
        _idle[:0] = steps
    else:
        _idle.extend(steps)


def _in_process(jobs: list[Job], done) -> list[FileFacts]:
    from scopeplan.scanner import scan_source

    out = []
    for data, relative in jobs:
        out.append(scan_source(data, relative))
        if done:
            done(1)
    return out


def _chunks(jobs: list[Job], count: int) -> list[list[int]]:
    """Indexes in chunks of about equal bytes, largest files first so no worker ends last on a big one."""
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][0]))
    target = max(sum(len(jobs[i][0]) for i in order) // max(count, 1), 1)
    chunks: list[list[int]] = []
    size = 0
    for index in order:
        if not chunks or size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += len(jobs[index][0])
    return chunks


def _warm() -> None:
    """Import libcst and the walk, and parse once: what a worker does before it says it is ready."""
    import ctypes  # noqa: F401  (the workers' parent-death signal)

    import libcst

    from scopeplan.scanner import source, walk  # noqa: F401

    libcst.parse_module(b"pass\n")


def _warm_up(tasks: int) -> None:
    """Scan a small file once, unless work comes within a few milliseconds of saying ready (a parent that was
    waiting for this worker): a first scan costs a few small ones (imports, compiled patterns, per-type
    tables), paid here while the parent still reads the tree."""
    if not select.select([tasks], [], [], WARM_UP_WAIT)[0]:
        from scopeplan.scanner.source import scan_source

        scan_source(_WARM_UP, Path("warm_up.py"))


_WARM_UP = b"""import requests
from .auth import token

BASE = "https://example.com/api"


class Client(requests.Session):
    def get_item(self, kind, key=None, **params):
        for attempt in range(3):
            try:
                with self.get(f"{BASE}/{kind}/{key}", headers={"Authorization": token()}, params=params) as r:
                    return [row["id"] for row in r.json().get("data", []) if row]
            except (KeyError, ValueError):
                continue
        return None if key else {"kind": kind}
"""


class _Worker:
    """One forked worker: its pid, pipes, the indexes it still owes, and since when it is on the first."""

    def __init__(self, pid: int, tasks: int, results: int):
        self.pid, self.tasks, self.results = pid, tasks, results
        self.ready = False
        self.pending: list[int] = []
        self.since = time.monotonic()
        self.buffer = bytearray()


class Pool:
    """Forked workers kept between calls of `parse`; `size` of them at most (0: one per core)."""

    def __init__(self, size: int = 0):
        self.size = max(size or cores(), 1)
        self.workers: dict[int, _Worker] = {}  # by result fd
        self.early_deaths = 0  # workers that died before they were ready
        self.jobs: list[Job] = []
        self.queue: list[list[int]] = []
        self.results: list[FileFacts | None] = []
        self.done: Callable[[int], None] | None = None
        self.local = False  # workers cannot start: the rest of this round is parsed here
        # told of each file's facts as they come, with the bytes the cache keeps of them when a worker sent them
        self.on_result: Callable[[int, FileFacts, bytes | None], None] | None = None
        self.want = 1  # workers this round may use

    def start(self, count: int = 1) -> None:
        """Have `count` workers (at most `size`) running or starting; they load libcst meanwhile."""
        if forks():
            while len(self.workers) < min(count, self.size):
                self._spawn()

    def parse(self, jobs: list[Job], done: Callable[[int], None] | None = None) -> list[FileFacts]:
        """FileFacts of every job, in job order."""
        if not jobs:
            return []
        total = sum(len(data) for data, _ in jobs)
        want = 1 if self.size <= 1 or len(jobs) < 2 or total < MIN_PARALLEL_BYTES else self.size
        self.jobs, self.done = jobs, done
        # a round too small to share goes out whole, one chunk per worker running: its worker then goes on while
        # this process does a `meanwhile` step, instead of waiting for the next chunk
        self.queue = _chunks(jobs, want * CHUNKS_PER_WORKER if want > 1 else max(len(self.workers), 1))
        self.results = [None] * len(jobs)
        self.local = False
        self.want = min(want, len(self.queue))
        try:
            self.start(self.want)
            while self.queue or any(w.pending for w in self.workers.values()):
                if self.local:
                    self._parse_here()
                    break
                self._hand_out()
                if _idle and not select.select(list(self.workers), [], [], 0)[0]:
                    _idle.pop(0)()  # the workers are busy (or still loading libcst): this wait is free
                    continue
                self._step()
        except BaseException:
            self.close()  # a worker's state is unknown after an interruption
            raise
        finally:
            self.jobs, self.queue, self.done = [], [], None
        results, self.results = self.results, []
        return results  # type: ignore[return-value]

    def close(self) -> None:
        """End every worker (an idle one at once; one still loading libcst is killed)."""
        for worker in list(self.workers.values()):
            self._retire(worker, kill=not worker.ready or bool(worker.pending))

    def _parse_here(self) -> None:
        from scopeplan.scanner import scan_source

        for chunk in self.queue:
            for index in chunk:
                self._record(index, scan_source(*self.jobs[index]))
        self.queue = []

    def _hand_out(self) -> None:
        for worker in list(self.workers.values()):
            if self.queue and worker.ready and not worker.pending:
                self._give(worker)

    def _spawn(self) -> _Worker:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        parent = os.getpid()
        inherited = [fd for w in self.workers.values() for fd in (w.tasks, w.results)]
        pid = os.fork()
        if pid == 0:  # the worker
            code = 70
            try:
                os.close(task_w)
                os.close(result_r)
                for fd in inherited:
                    os.close(fd)
                _serve(parent, task_r, result_w)
                code = 0
            except BaseException:
                pass
            finally:
                os._exit(code)
        os.close(task_r)
        os.close(result_w)
        worker = _Worker(pid, task_w, result_r)
        self.workers[result_r] = worker
        return worker

    def _give(self, worker: _Worker) -> None:
        chunk = self.queue.pop(0)
        worker.pending = list(chunk)
        worker.since = time.monotonic()
        send(worker.tasks, [(index, *self.jobs[index]) for index in chunk])

    def _step(self) -> None:
        now = time.monotonic()
        late = min((w.since + FILE_SECONDS for w in self.workers.values() if w.pending), default=now + 1.0)
        ready, _, _ = select.select(list(self.workers), [], [], max(0.0, min(late - now, 1.0)))
        for worker in [self.workers[fd] for fd in ready]:
            if self.workers.get(worker.results) is not worker:
                continue  # retired meanwhile (its fd number may already be a new worker's)
            try:
                chunk = os.read(worker.results, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self._died(worker)
                continue
            worker.buffer += chunk
            for index, payload in frames(worker.buffer):
                if index == READY:
                    worker.ready = True
                    continue
                self._record(index, *facts_of(payload, self.jobs[index][1]))
                if index in worker.pending:
                    worker.pending.remove(index)
                worker.since = time.monotonic()
            if worker.ready and not worker.pending and self.queue:
                self._give(worker)
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.pending and now - worker.since > FILE_SECONDS:
                self._fail(worker, f"too complex to analyse: took more than {FILE_SECONDS:.0f} s")

    def _record(self, index: int, facts: FileFacts, payload: bytes | None = None) -> None:
        if self.results[index] is None:
            self.results[index] = facts
            if self.on_result is not None:
                self.on_result(index, facts, payload)
            if self.done:
                self.done(1)

    def _died(self, worker: _Worker) -> None:
        status = self._retire(worker)
        if worker.pending:
            self._blame(worker, _how(status))
        elif not worker.ready:  # it could not even load libcst: load it here (which says why if it cannot)
            self.early_deaths += 1
            _warm()
            if self.early_deaths > 1:
                self.local = not self.workers  # forking itself fails: the rest is parsed in this process
                return
        self._replace()

    def _fail(self, worker: _Worker, message: str) -> None:
        self._retire(worker, kill=True)
        self._blame(worker, message)
        self._replace()

    def _blame(self, worker: _Worker, message: str) -> None:
        """The file the worker was on gets the error row; the rest of its chunk goes back in the queue."""
        culprit, rest = worker.pending[0], worker.pending[1:]
        data, relative = self.jobs[culprit]
        from scopeplan.scanner.facts import FileFacts
        from scopeplan.scanner.files import module_name

        self._record(culprit, FileFacts(relative.as_posix(), module_name(relative)[0], error=message))
        worker.pending = []
        if rest:
            self.queue.insert(0, rest)

    def _replace(self) -> None:
        if self.queue and len(self.workers) < self.want:
            self._spawn()

    def _retire(self, worker: _Worker, kill: bool = False) -> int:
        """Close a worker's pipes and reap it; returns its wait status."""
        self.workers.pop(worker.results, None)
        for fd in (worker.tasks, worker.results):
            try:
                os.close(fd)
            except OSError:
                pass
        if kill:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            return os.waitpid(worker.pid, 0)[1]
        except ChildProcessError:
            return 0


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        why = {"SIGSEGV": "the parser crashed", "SIGABRT": "the parser aborted (out of memory?)",
               "SIGKILL": "the worker was killed (out of memory?)"}.get(name, "the worker died")
        return f"too complex to analyse: {why} ({name})"
    return f"too complex to analyse: the worker stopped (exit status {os.WEXITSTATUS(status)})"


def _serve(parent: int, tasks: int, results: int) -> None:
    """The worker's loop: load libcst, say so, then chunks of jobs in, one (index, facts) out per file,
    until EOF; the facts as the cache stores them, so that the parent keeps those bytes as they are."""
    global _jobs
    die_with(parent)
    import faulthandler

    faulthandler.disable()  # a crash is reported as the file's error row, not as a dump on stderr
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the parent; it ends the workers
    _warm()
    limit_memory()
    gc.freeze()  # what the worker loaded is never garbage: no collection walks (and copies) it
    gc.set_threshold(*GC_THRESHOLDS)
    send(results, (READY, None))
    _warm_up(tasks)
    while True:
        chunk = receive(tasks)
        if chunk is None:
            return
        _jobs = {index: (data, relative) for index, data, relative in chunk}
        if sum(len(data) for _, data, _ in chunk) >= FAST_CONSTRUCTORS_BYTES:
            from scopeplan.scanner.constructors import install

            install()  # once: 8 ms, which a chunk this size repays
        for index, _, _ in chunk:
            facts = _work_one(index)
            try:
                payload = dumps(facts)
            except (RecursionError, pickle.PicklingError, MemoryError):
                from scopeplan.scanner.facts import FileFacts

                data, relative = _jobs[index]
                payload = dumps(FileFacts(relative.as_posix(), facts.module,
                                          error="too complex to analyse: its facts nest too deeply"))
            send(results, (index, payload))


def _work_one(index: int) -> FileFacts:
    from scopeplan.scanner import scan_source

    return scan_source(*_jobs[index])
