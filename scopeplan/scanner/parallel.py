"""Parse files in forked worker processes, so that no file can take the run down.

libcst's native parser can crash the process (signal 11 on deep nesting), exhaust memory or stall on
input nobody meant to write. Every parse therefore runs in a forked worker: a worker that dies, runs
out of its memory limit or overruns the per-file deadline costs exactly the file it was on, which
becomes an error row; it is replaced and the rest of its chunk goes on. Workers get their parent's
jobs by inheritance (fork), take chunks of indexes largest first, and stream back one small
FileFacts per file; they die with their parent (PR_SET_PDEATHSIG, and a parent-pid check).

Where fork is not available (Windows, or macOS by policy), files are parsed in this process; the
pre-parse budget (budget.py) still keeps the known crashes out.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scopeplan.scanner.facts import FileFacts

Job = tuple[bytes, Path]  # a file's bytes and its path relative to the root

# Below this much source one worker is enough (libcst parses ~0.5 MB/s per core).
MIN_PARALLEL_BYTES = 96_000
CHUNKS_PER_WORKER = 12  # small enough to balance the load, large enough to keep IPC rare
FILE_SECONDS = 120.0  # one file's parse and fold; the budget keeps ordinary files far below it
WORKER_MEMORY = 768 * 2**20  # address space a worker may add to what it inherits

GC_THRESHOLDS = (10_000, 10, 10)  # a parse makes a million small objects, few of them cyclic garbage: the
# default (700, 10, 10) collects every few hundred and spends a tenth of the parse on it
_jobs: list[Job] = []  # the jobs, inherited by forked workers
_HEADER = struct.Struct("<Q")


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_all(jobs: list[Job], workers: int = 0, done: Callable[[int], None] | None = None) -> list[FileFacts]:
    """FileFacts of every job, in job order; identical whatever the number of workers (0: one per core)."""
    if not jobs:
        return []
    if not hasattr(os, "fork") or sys.platform == "darwin":
        return _in_process(jobs, done)
    workers = workers or cores()
    total = sum(len(data) for data, _ in jobs)
    if workers <= 1 or len(jobs) < 2 or total < MIN_PARALLEL_BYTES:
        workers = 1
    chunks = _chunks(jobs, workers * CHUNKS_PER_WORKER)
    return _Pool(jobs, chunks, min(workers, len(chunks)), done).run()


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
    """Import libcst and parse once before forking, so no worker pays for it again."""
    import ctypes  # noqa: F401  (the workers' parent-death signal)

    import libcst

    from scopeplan.scanner import walk  # noqa: F401

    libcst.parse_module(b"pass\n")


class _Worker:
    """One forked worker: its pid, pipes, the indexes it still owes, and since when it is on the first."""

    def __init__(self, pid: int, tasks: int, results: int):
        self.pid, self.tasks, self.results = pid, tasks, results
        self.pending: list[int] = []
        self.since = time.monotonic()
        self.buffer = bytearray()


class _Pool:
    def __init__(self, jobs: list[Job], chunks: list[list[int]], size: int, done):
        self.jobs, self.queue, self.size, self.done = jobs, list(chunks), size, done
        self.results: list[FileFacts | None] = [None] * len(jobs)
        self.workers: dict[int, _Worker] = {}  # by result fd

    def run(self) -> list[FileFacts]:
        global _jobs
        _warm()
        _jobs = self.jobs
        try:
            for _ in range(self.size):
                if self.queue:
                    self._give(self._spawn())
            while self.workers:
                self._step()
        finally:
            for worker in list(self.workers.values()):
                self._retire(worker, kill=True)
            _jobs = []
        return self.results  # type: ignore[return-value]

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
        _send(worker.tasks, chunk)

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
            for index, facts in _frames(worker.buffer):
                self._record(index, facts)
                if index in worker.pending:
                    worker.pending.remove(index)
                worker.since = time.monotonic()
            if not worker.pending:
                if self.queue:
                    self._give(worker)
                else:
                    self._retire(worker)
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.pending and now - worker.since > FILE_SECONDS:
                self._fail(worker, f"too complex to analyse: took more than {FILE_SECONDS:.0f} s")

    def _record(self, index: int, facts: FileFacts) -> None:
        if self.results[index] is None:
            self.results[index] = facts
            if self.done:
                self.done(1)

    def _died(self, worker: _Worker) -> None:
        status = self._retire(worker)
        if worker.pending:
            self._blame(worker, _how(status))

    def _fail(self, worker: _Worker, message: str) -> None:
        self._retire(worker, kill=True)
        self._blame(worker, message)

    def _blame(self, worker: _Worker, message: str) -> None:
        """The file the worker was on gets the error row; the rest of its chunk goes to a new worker."""
        culprit, rest = worker.pending[0], worker.pending[1:]
        data, relative = self.jobs[culprit]
        from scopeplan.scanner.files import module_name

        self._record(culprit, FileFacts(relative.as_posix(), module_name(relative)[0], error=message))
        if rest:
            self.queue.insert(0, rest)
        if self.queue and len(self.workers) < self.size:
            self._give(self._spawn())

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


def _send(fd: int, value) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _frames(buffer: bytearray):
    """Complete (index, facts) messages at the start of buffer, removed from it."""
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            return
        payload = bytes(buffer[_HEADER.size:_HEADER.size + size])
        del buffer[:_HEADER.size + size]
        yield pickle.loads(payload)


def _receive(fd: int):
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    return pickle.loads(_read_exactly(fd, _HEADER.unpack(header)[0]) or b"")


def _read_exactly(fd: int, size: int) -> bytes | None:
    out = bytearray()
    while len(out) < size:
        chunk = os.read(fd, size - len(out))
        if not chunk:
            return None
        out += chunk
    return bytes(out)


def _serve(parent: int, tasks: int, results: int) -> None:
    """The worker's loop: chunks of indexes in, one (index, FileFacts) out per file, until EOF."""
    _die_with(parent)
    _limit_memory()
    import faulthandler

    faulthandler.disable()  # a crash is reported as the file's error row, not as a dump on stderr
    gc.freeze()  # what the worker inherited is never garbage: no collection walks (and copies) it
    gc.set_threshold(*GC_THRESHOLDS)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C stops the parent; it ends the workers
    while True:
        chunk = _receive(tasks)
        if chunk is None:
            return
        for index in chunk:
            facts = _work_one(index)
            try:
                _send(results, (index, facts))
            except (RecursionError, pickle.PicklingError, MemoryError):
                data, relative = _jobs[index]
                _send(results, (index, FileFacts(relative.as_posix(), facts.module,
                                                 error="too complex to analyse: its facts nest too deeply")))


def _work_one(index: int) -> FileFacts:
    from scopeplan.scanner import scan_source

    return scan_source(*_jobs[index])


def _die_with(parent: int) -> None:
    """Ask the kernel to kill this worker when its parent dies; leave at once if it is already gone."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def _limit_memory() -> None:
    """Cap the worker's address space, so a blow-up is this file's MemoryError (or its death), not the
    machine's swap."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + WORKER_MEMORY
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass
