"""A plain warm `scan` is answered before click loads, with the bytes the command line prints."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scopeplan.quickscan import plain

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_projects" / "legacy_requests_v2"

PLAIN = [  # (arguments after `scan`, (PATH, format) or None: the command line handles them)
    ([], (".", "text")),
    (["src"], ("src", "text")),
    (["--format", "json"], (".", "json")),
    (["src", "--format=sarif"], ("src", "sarif")),
    (["--format", "json", "src"], ("src", "json")),
    (["src", "other"], None),
    (["--strict"], None),
    (["-o", "out.txt"], None),
    (["--format"], None),
    (["--debug", "src"], None),
    ([""], None),
]


@pytest.mark.parametrize("args,expected", PLAIN, ids=[" ".join(a) or "-" for a, _ in PLAIN])
def test_plain_arguments(args, expected):
    assert plain(args) == expected


_PROBE = """
import runpy, sys
sys.argv = ["scopeplan", "scan", *sys.argv[1:]]
try:
    runpy.run_module("scopeplan", run_name="__main__")
finally:
    print("click loaded" if "click" in sys.modules else "click not loaded", file=sys.stderr)
"""


def _scan(tree: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(tree.parent / "home-cache")}
    return subprocess.run([sys.executable, "-c", _PROBE, str(tree), *args], capture_output=True, env=env)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_warm_scan_prints_the_kept_report_without_click(tmp_path, fmt):
    tree = tmp_path / "project"
    shutil.copytree(SAMPLE, tree)
    cold = _scan(tree, "--format", fmt)
    assert cold.returncode == 0 and b"click loaded" in cold.stderr
    warm = _scan(tree, "--format", fmt)
    assert warm.returncode == 0 and b"click not loaded" in warm.stderr
    assert warm.stdout == cold.stdout
    assert warm.stderr.replace(b"click not loaded", b"") == cold.stderr.replace(b"click loaded", b"")
    other = _scan(tree, "--format", "markdown")  # a format not kept yet: the command line renders it
    assert other.returncode == 0 and b"click loaded" in other.stderr
    (tree / "crm_sync" / "api.py").write_text((tree / "crm_sync" / "api.py").read_text() + "\nx = 1\n")
    changed = _scan(tree, "--format", fmt)
    assert changed.returncode == 0 and b"click loaded" in changed.stderr and changed.stdout == cold.stdout
