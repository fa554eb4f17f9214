#!/usr/bin/env python3
"""How fast is scopeplan on this machine? Timings as ratios to a bare `ast.parse` of the same files.

usage: python benchmarks/run.py [--repeat N] [--corpus large,sdk] [--home DIR] [--no-peers] [--no-cli]
                                [--timeout SECONDS] [--cli-timeout SECONDS] [--full] [--no-startup] [--no-compile]

Builds two corpora reproducibly under --home (default ~/.cache/scopeplan-bench, never in the repository):
  large  django 5.2.19, requests 2.34.2, urllib3 2.8.0 sdists (pip download) + sample_projects/legacy_requests_v2:
         ~2,900 files that are mostly not Zoho code
  sdk    the zohocrmsdk8-0 7.0.0 wheel, unpacked: every file names CRM paths
First the start-up figure (`scopeplan --version` and `--help` against `python -c pass`). Then, in one run,
several repetitions each, interleaved (floor, then each measure, repetition by repetition),
prints for each measure its median wall time (whole process, interpreter start included), the ratio to the
ast.parse floor of the same corpus, lines/s and the peak RSS of the largest process (wait4 ru_maxrss, which
covers the worker processes too). Nothing here asserts a time: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
SDISTS = ("django==5.2.19", "requests==2.34.2", "urllib3==2.8.0")
WHEEL = "zohocrmsdk8-0==7.0.0"
SAMPLE = "legacy_requests_v2"
CHANGED = {"large": f"{SAMPLE}/crm_sync/api.py", "sdk": "zohocrmsdk/src/com/zoho/crm/api/record/record_operations.py"}
PEERS = ("ruff==0.17.6", "fixit==2.2.1")
TARGETS = {  # corpus -> measure -> (limit as x ast.parse, what the issue asks)
    "large": {"scopeplan, cold": 0.15, "scopeplan, warm": 0.03, "scopeplan, one file changed": 0.06},
    "sdk": {"scopeplan, cold": 8.0},
}
MEMORY_LIMIT_MIB = 250
STARTUP_LIMIT = 3.0  # `scopeplan --version` as a multiple of `python -c pass`
TIMEOUT = [600.0]

FLOOR = r"""
import ast, os, sys
root = sys.argv[1]
for folder, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".py"):
            data = open(os.path.join(folder, name), "rb").read()
            try:
                ast.parse(data)
            except (SyntaxError, ValueError):
                pass
"""
SCAN = r"""
import sys
from pathlib import Path
from scopeplan.scanner import scan
scan(Path(sys.argv[1]), use_cache=sys.argv[2] == "cache", prefilter=sys.argv[3] == "prefilter")
"""
FIXIT_TOML = """[tool.fixit]
root = true
disable = ["fixit.rules"]
enable = [".scopeplan_fixit_rule"]
"""
FIXIT_RULE = '''import libcst as cst
from libcst.metadata import QualifiedNameProvider

from fixit import LintRule


class RequestsGetCall(LintRule):
    """Every call whose qualified name is requests.get (import-aware)."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def visit_Call(self, node: cst.Call) -> None:
        if QualifiedNameProvider.has_name(self, node, "requests.get"):
            self.report(node, "requests.get call")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each fast measure (default 5)")
    parser.add_argument("--corpus", default="large,sdk", help="which corpora: large, sdk or both")
    parser.add_argument("--home", type=Path, default=Path.home() / ".cache" / "scopeplan-bench")
    parser.add_argument("--no-peers", action="store_true", help="skip ruff and fixit")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end `scopeplan scan` runs")
    parser.add_argument("--timeout", type=float, default=600, help="give up on one run after this many seconds")
    parser.add_argument("--cli-timeout", type=float, default=0, help="timeout of one `scopeplan scan` run")
    parser.add_argument("--full", action="store_true", help="also time the scan with the prefilter off, once")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up figure (--version vs python)")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not byte-compile the scopeplan being timed first (see compile_scopeplan)")
    args = parser.parse_args()
    TIMEOUT[0] = args.timeout
    home = args.home.expanduser()
    corpora = build(home, args.corpus.split(","))
    peers = None if args.no_peers else install_peers(home)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, scopeplan at {REPO}")
    if not args.no_compile:
        compile_scopeplan()
    if not args.no_startup:
        startup(args.repeat)
    for name, root in corpora.items():
        results = run_corpus(name, root, args, peers)
        report(name, root, results)


def compile_scopeplan() -> None:
    """Byte-compile the scopeplan package the timed processes import, as `pip install` does: in a checkout
    run with PYTHONDONTWRITEBYTECODE=1 (or from a read-only tree) every run would compile its modules
    again, ~25 ms that no installed scopeplan pays (__pycache__ is ignored by git)."""
    code = "import compileall, os, scopeplan; compileall.compile_dir(os.path.dirname(scopeplan.__file__), quiet=1)"
    subprocess.run([PY, "-c", code], check=True)
    where = subprocess.run([PY, "-c", "import scopeplan; print(scopeplan.__file__)"], capture_output=True, text=True)
    print(f"byte-compiled {Path(where.stdout.strip()).parent} first, as an install is (--no-compile: not)")


# -- start-up ---------------------------------------------------------------------------------------------

def startup(repeat: int) -> None:
    """`scopeplan --version` (and `--help`, which loads the command line) against a bare interpreter."""
    measures = [Measure("python -c pass (floor)", [PY, "-c", "pass"]),
                Measure("scopeplan --version", [PY, "-m", "scopeplan", "--version"]),
                Measure("scopeplan --help", [PY, "-m", "scopeplan", "--help"])]
    for rep in range(3 * repeat):  # short runs: more of them, interleaved like the rest
        for m in measures:
            print(f"  start-up: {m.label} ({rep + 1}/{3 * repeat})", file=sys.stderr, flush=True)
            sample = timed(m.cmd, TIMEOUT[0])
            if sample is not None:
                m.samples.append(sample)
    floor = statistics.median(s[0] for s in measures[0].samples)
    print("\n## start-up\n")
    print("| measure | n | median s | × python -c pass | peak MiB |")
    print("|---|---:|---:|---:|---:|")
    for m in measures:
        wall = statistics.median(s[0] for s in m.samples)
        print(f"| {m.label} | {len(m.samples)} | {wall:.3f} | {wall / floor:.2f} | {max(s[1] for s in m.samples):.0f} |")
    ratio = statistics.median(s[0] for s in measures[1].samples) / floor
    print(f"\ntarget start-up / scopeplan --version: ≤ {STARTUP_LIMIT}× python -c pass → {ratio:.2f}× "
          f"{'met' if ratio <= STARTUP_LIMIT else 'MISSED'}")


# -- corpora ----------------------------------------------------------------------------------------------

def build(home: Path, names: list[str]) -> dict[str, Path]:
    """The corpora, downloaded and unpacked once (a marker file says a corpus is complete)."""
    downloads = home / "dl"
    out = {}
    for name in names:
        root = home / "corpora" / name
        if not (root / ".complete").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            if name == "large":
                _pip_download(downloads, list(SDISTS), source=True)
                for spec in SDISTS:
                    project, version = spec.split("==")
                    archive = next(downloads.glob(f"{project}-{version}.tar.gz"))
                    with tarfile.open(archive) as tar:
                        try:
                            tar.extractall(root, filter="data")
                        except TypeError:  # Python without extraction filters
                            tar.extractall(root)
                    (root / f"{project}-{version}").rename(root / project)
                shutil.copytree(REPO / "sample_projects" / SAMPLE, root / SAMPLE)
            elif name == "sdk":
                _pip_download(downloads, [WHEEL], source=False)
                with zipfile.ZipFile(next(downloads.glob("zohocrmsdk8_0-7.0.0-*.whl"))) as wheel:
                    wheel.extractall(root)
            else:
                raise SystemExit(f"unknown corpus {name!r} (large, sdk)")
            (root / ".complete").write_text("built by benchmarks/run.py\n")
        out[name] = root
    return out


def _pip_download(folder: Path, specs: list[str], source: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    extra = ["--no-binary", ":all:"] if source else []
    subprocess.run([PY, "-m", "pip", "download", "-q", "--no-deps", *extra, "-d", str(folder), *specs], check=True)


def install_peers(home: Path) -> Path | None:
    """A virtualenv with ruff and fixit (pinned); None when it cannot be built."""
    venv = home / "peers"
    bin_ = venv / "bin"
    if not (bin_ / "fixit").exists() or not (bin_ / "ruff").exists():
        try:
            subprocess.run([PY, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(bin_ / "pip"), "install", "-q", *PEERS], check=True)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"peers not installed ({exc}); skipping them")
            return None
    return bin_


def count(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        if ".scopeplan_cache" in path.parts:
            continue
        files += 1
        lines += path.read_bytes().count(b"\n")
    return files, lines


# -- timing -----------------------------------------------------------------------------------------------

def timed(cmd: list[str], timeout: float, cwd: Path | None = None, env: dict | None = None):
    """(wall seconds, peak RSS MiB of the largest process) of one whole process; None when it timed out."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    fired = threading.Event()

    def kill():
        fired.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    timer.cancel()
    wall = time.perf_counter() - start
    if fired.is_set():
        return None
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024


class Measure:
    """One command to time: how to prepare each run, and how many runs."""

    def __init__(self, label: str, cmd: list[str], before=None, runs: int = 5, cwd: Path | None = None,
                 env: dict | None = None, timeout: float = 0, warm: bool = False):
        self.label, self.cmd, self.before, self.runs, self.cwd, self.env = label, cmd, before, runs, cwd, env
        self.timeout = timeout
        self.warm = warm  # each timed run follows an untimed run of the same command
        self.samples: list[tuple[float, float]] = []
        self.timed_out = False
        self.failed = ""


def run_corpus(name: str, root: Path, args, peers: Path | None) -> list[Measure]:
    cache = root / ".scopeplan_cache"
    changed = root / CHANGED[name]
    original = changed.read_bytes()
    counter = iter(range(1, 10_000))

    def clear():
        shutil.rmtree(cache, ignore_errors=True)

    def touch():  # a code edit: a trailing comment keeps the file's facts (scanner/tail.py), which is no change
        n = next(counter)
        changed.write_bytes(original + f"\n_benchmark_edit = {n}  # benchmark edit {n}\n".encode())

    slow = max(1, min(args.repeat, 3))
    cli = [PY, "-m", "scopeplan", "scan", str(root), "--format", "json"]
    scan = [PY, "-c", SCAN, str(root)]
    measures = [
        Measure("ast.parse (floor)", [PY, "-c", FLOOR, str(root)], runs=args.repeat),
        Measure("scan stage, cold (no cache)", [*scan, "nocache", "prefilter"], runs=slow),
        Measure("scan stage, warm", [*scan, "cache", "prefilter"], runs=args.repeat, warm=True),
        Measure("scan stage, one file changed", [*scan, "cache", "prefilter"], before=touch, runs=args.repeat),
    ]
    if not args.no_cli:
        measures += [
            Measure("scopeplan, cold", cli, before=clear, runs=slow, timeout=args.cli_timeout),
            Measure("scopeplan, warm", cli, runs=args.repeat, timeout=args.cli_timeout, warm=True),
            Measure("scopeplan, one file changed", cli, before=touch, runs=args.repeat, timeout=args.cli_timeout),
        ]
    if args.full:
        measures.append(Measure("scan stage, prefilter off, 1 run", [*scan, "nocache", "full"], runs=1))
    if peers is not None:
        measures.append(Measure("ruff --select S113", [str(peers / "ruff"), "check", "--isolated", "--no-cache",
                                                       "--select", "S113", "--exit-zero", str(root)],
                                runs=args.repeat))
        rules = root.parent / f"{name}-fixit"
        rules.mkdir(exist_ok=True)
        (rules / "fixit.toml").write_text(FIXIT_TOML)
        (rules / "scopeplan_fixit_rule.py").write_text(FIXIT_RULE)
        measures.append(Measure("fixit, 1 QualifiedName rule, 1 run", [str(peers / "fixit"), "--config-file",
                                                                      str(rules / "fixit.toml"), "lint", str(root)],
                                runs=1, cwd=rules, env={"PYTHONPATH": str(rules)}))
    try:
        clear()
        timed([*scan, "cache", "prefilter"], args.timeout)  # warm the page cache
        for rep in range(max(m.runs for m in measures)):
            for m in measures:
                if rep >= m.runs or m.timed_out or m.failed:
                    continue
                m.timeout = m.timeout or args.timeout
                # a warm measure starts from its own command's cache: past the cold runs (`slow`), the one-file
                # edit of the measure before would otherwise make it the second run after a change
                if m.warm and timed(m.cmd, m.timeout) is None:
                    m.timed_out = True
                    continue
                if m.before:
                    m.before()
                print(f"  {name}: {m.label} ({rep + 1}/{m.runs})", file=sys.stderr, flush=True)
                try:
                    sample = timed(m.cmd, m.timeout, m.cwd, m.env)
                except RuntimeError as exc:
                    m.failed = str(exc)
                    print(exc, file=sys.stderr)
                    continue
                if sample is None:
                    m.timed_out = True
                else:
                    m.samples.append(sample)
    finally:
        changed.write_bytes(original)
        clear()
    return measures


def report(name: str, root: Path, measures: list[Measure]) -> None:
    files, lines = count(root)
    floor = statistics.median(s[0] for s in measures[0].samples)
    print(f"\n## {name}: {root} ({files:,} files, {lines:,} lines)\n")
    print("| measure | n | median s | × ast.parse | lines/s | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    medians = {}
    for m in measures:
        m.timeout = m.timeout or TIMEOUT[0]
        if not m.samples:
            why = "failed" if m.failed else f"timed out (> {m.timeout:.0f} s)"
            print(f"| {m.label} | 0 | {why} | | | |")
            continue
        wall = statistics.median(s[0] for s in m.samples)
        peak = max(s[1] for s in m.samples)
        medians[m.label] = (wall / floor, peak)
        note = " (a run timed out)" if m.timed_out else ""
        print(f"| {m.label}{note} | {len(m.samples)} | {wall:.3f} | {wall / floor:.3f} | {lines / wall:,.0f} |"
              f" {peak:.0f} |")
    print()
    for label, limit in TARGETS.get(name, {}).items():
        if label in medians:
            ratio = medians[label][0]
            print(f"target {name} / {label}: ≤ {limit}× → {ratio:.3f}× {'met' if ratio <= limit else 'MISSED'}")
        else:
            print(f"target {name} / {label}: ≤ {limit}× → not measured (timed out or skipped): MISSED")
    peak = max((p for _, p in medians.values()), default=0)
    ours = max((p for label, (_, p) in medians.items() if label.startswith(("scopeplan", "scan"))), default=0)
    print(f"target {name} / peak memory of any scopeplan process: ≤ {MEMORY_LIMIT_MIB} MiB → {ours:.0f} MiB "
          f"{'met' if ours <= MEMORY_LIMIT_MIB else 'MISSED'} (largest of all tools: {peak:.0f} MiB)")


if __name__ == "__main__":
    main()
