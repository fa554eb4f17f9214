"""Parsing on several processes gives exactly what one process gives; progress shows only on a terminal."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path

import pytest

from scopeplan import progress
from scopeplan.scanner import parallel, scan, scan_source
from test_prefilter import SAMPLES, TRICKY, build, render


def _jobs(root: Path) -> list[tuple[bytes, Path]]:
    return [(p.read_bytes(), p.relative_to(root)) for p in sorted(root.rglob("*.py"))]


@pytest.fixture
def always_parallel(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)


@pytest.mark.parametrize("constructors_from", [0, 10**12], ids=["rebuilt constructors", "libcst's constructors"])
def test_parse_all_is_the_same_on_one_and_on_several_workers(tmp_path, always_parallel, monkeypatch,
                                                             constructors_from):
    monkeypatch.setattr(parallel, "FAST_CONSTRUCTORS_BYTES", constructors_from)  # the workers' (constructors.py)
    jobs = _jobs(build(tmp_path))
    one = parallel.parse_all(jobs, workers=1)
    assert parallel.parse_all(jobs, workers=2) == one
    assert parallel.parse_all(jobs, workers=3) == one
    assert one == [scan_source(data, relative) for data, relative in jobs]


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_plans_equal_on_one_and_on_several_workers(sample, always_parallel, monkeypatch):
    from scopeplan import catalogue

    cat = catalogue.load()
    one = render(sample, cat, monkeypatch, workers=1, use_cache=False, prefilter=False)
    assert render(sample, cat, monkeypatch, workers=2, use_cache=False, prefilter=False) == one
    assert render(sample, cat, monkeypatch, workers=2, use_cache=False) == one


def test_scan_equal_on_one_and_on_several_workers(tmp_path, always_parallel):
    root = build(tmp_path)
    for prefilter in (False, True):
        assert scan(root, workers=2, use_cache=False, prefilter=prefilter) == scan(
            root, workers=1, use_cache=False, prefilter=prefilter)


def test_chunks_cover_every_file_once_largest_first():
    jobs = [(b"x" * size, Path(f"f{size}.py")) for size in (5, 50, 1, 500, 20, 7)]
    chunks = parallel._chunks(jobs, 3)
    flat = [i for chunk in chunks for i in chunk]
    assert sorted(flat) == list(range(len(jobs)))
    assert [len(jobs[i][0]) for i in flat] == sorted((len(d) for d, _ in jobs), reverse=True)


def test_meanwhile_steps_run_in_order_once_while_the_workers_parse(tmp_path, always_parallel):
    jobs = _jobs(build(tmp_path))
    done: list[str] = []
    with parallel.kept(1) as pool:
        parallel.meanwhile(*(lambda name=name: done.append(name) for name in "abc"))
        parallel.meanwhile(lambda: done.append("first"), first=True)
        assert pool.parse(jobs) == [scan_source(data, relative) for data, relative in jobs]
        assert done == ["first", "a", "b", "c"]
        pool.parse(jobs)
        assert done == ["first", "a", "b", "c"]  # each once
        parallel.meanwhile(lambda: done.append("left"))
    assert parallel._idle == [] and "left" not in done  # what no parse waited for is dropped with the pool


def test_the_warm_up_scans_a_file_that_exercises_the_walk():
    facts = scan_source(parallel._WARM_UP, Path("warm_up.py"))
    assert facts.error is None and facts.functions  # a warm-up that failed would warm nothing up


def test_a_worker_that_dies_costs_only_its_file(tmp_path, always_parallel, monkeypatch):
    jobs = _jobs(build(tmp_path, {k: v for k, v in TRICKY.items() if k.startswith("src/shop/")}))
    expected = parallel.parse_all(jobs, workers=1)
    victim = len(jobs) // 2
    real = parallel._work_one

    def crash_on_victim(index):
        if index == victim:
            os.kill(os.getpid(), signal.SIGSEGV)  # what libcst's native parser does on deep nesting
        return real(index)

    monkeypatch.setattr(parallel, "_work_one", crash_on_victim)
    for workers in (1, 2):
        got = parallel.parse_all(jobs, workers=workers)
        assert [f for i, f in enumerate(got) if i != victim] == [f for i, f in enumerate(expected) if i != victim]
        assert got[victim].path == expected[victim].path
        assert got[victim].error == "too complex to analyse: the parser crashed (SIGSEGV)"


def test_a_file_over_the_deadline_is_an_error_row(tmp_path, monkeypatch):
    jobs = _jobs(build(tmp_path, {k: v for k, v in TRICKY.items() if k.startswith("src/shop/")}))
    expected = parallel.parse_all(jobs, workers=1)
    real = parallel._work_one

    def stall_on_first(index):
        if index == 0:
            time.sleep(600)
        return real(index)

    monkeypatch.setattr(parallel, "_work_one", stall_on_first)
    monkeypatch.setattr(parallel, "FILE_SECONDS", 0.5)
    got = parallel.parse_all(jobs, workers=1)
    assert got[1:] == expected[1:]
    assert got[0].error.startswith("too complex to analyse: took more than")


def test_done_counts_every_file(tmp_path, always_parallel):
    jobs = _jobs(build(tmp_path))
    seen = []
    parallel.parse_all(jobs, workers=2, done=seen.append)
    assert sum(seen) == len(jobs)


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert progress.wanted(_Tty()) and not progress.wanted(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted(_Tty())


def test_progress_draws_and_erases(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setattr(progress, "INTERVAL", 0)
    out = _Tty()
    bar = progress.Progress("parsing", out, enabled=True)
    bar.add(4)
    bar.advance(2)
    assert "2/4 files" in out.getvalue()
    bar.close()
    assert out.getvalue().endswith("\r\x1b[2K")
    quiet = io.StringIO()
    silent = progress.Progress("parsing", quiet, enabled=False)
    silent.add(4), silent.advance(4), silent.close()
    assert quiet.getvalue() == ""


_SLOW_SCAN = """
import os, sys, time
from pathlib import Path
import scopeplan.scanner as scanner
from scopeplan.scanner import parallel

parallel.MIN_PARALLEL_BYTES = 0

def slow(index):
    Path(sys.argv[2], str(os.getpid())).write_text("working")
    time.sleep(300)

parallel._work_one = slow
scanner.scan(Path(sys.argv[1]), use_cache=False, workers=2, prefilter=False)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_workers_die_with_a_killed_parent(tmp_path):
    import subprocess
    import sys

    root = build(tmp_path / "tree")
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "slow_scan.py"
    script.write_text(_SLOW_SCAN)
    scan_process = subprocess.Popen([sys.executable, str(script), str(root), str(marks)])
    try:
        for _ in range(600):  # the workers are running once each has written its mark
            if len(list(marks.iterdir())) >= 2 or scan_process.poll() is not None:
                break
            time.sleep(0.1)
        workers = [int(p.name) for p in marks.iterdir()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        scan_process.kill()  # kill -9
        scan_process.wait()
    for _ in range(100):
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the killed scan"
