"""Parse files on every core: forked workers, chunks of files largest first, only FileFacts come back."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from scopeplan.scanner.facts import FileFacts

Job = tuple[bytes, Path]  # a file's bytes and its path relative to the root

# Below this much source a pool costs more than it saves (libcst parses ~0.5 MB/s per core).
MIN_PARALLEL_BYTES = 96_000
CHUNKS_PER_WORKER = 12  # small enough to balance the load, large enough to keep IPC rare

_jobs: list[Job] = []  # the worker's copy of the jobs: inherited when forked, sent once when spawned


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_all(jobs: list[Job], workers: int = 0, done: Callable[[int], None] | None = None) -> list[FileFacts]:
    """FileFacts of every job, in job order; identical whatever the number of workers (0: one per core)."""
    from scopeplan.scanner import scan_source

    workers = workers or cores()
    total = sum(len(data) for data, _ in jobs)
    if workers <= 1 or len(jobs) < 2 or total < MIN_PARALLEL_BYTES:
        out = []
        for data, relative in jobs:
            out.append(scan_source(data, relative))
            if done:
                done(1)
        return out
    results: list[FileFacts | None] = [None] * len(jobs)
    chunks = _chunks(jobs, workers * CHUNKS_PER_WORKER)
    _warm()
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    try:
        with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context,
                                 initializer=_init, initargs=(jobs,)) as pool:
            for future in as_completed([pool.submit(_work, chunk) for chunk in chunks]):
                batch = future.result()
                for index, facts in batch:
                    results[index] = facts
                if done:
                    done(len(batch))
    except (BrokenProcessPool, OSError):  # a worker died (or none could start): finish in this process
        for index, facts in enumerate(results):
            if facts is None:
                results[index] = scan_source(*jobs[index])
                if done:
                    done(1)
    return results  # type: ignore[return-value]


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
    import libcst

    from scopeplan.scanner import walk  # noqa: F401

    libcst.parse_module(b"pass\n")


def _init(jobs: list[Job]) -> None:
    global _jobs
    _jobs = jobs


def _work(indexes: list[int]) -> list[tuple[int, FileFacts]]:
    from scopeplan.scanner import scan_source

    return [(i, scan_source(*_jobs[i])) for i in indexes]
