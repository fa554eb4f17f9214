"""Files scopeplan reads that are not source (issue 14): baseline, pyproject.toml, catalogue file, cache.

Each must be a regular file under a size limit with bounded content, or a one-line error naming the file
(exit 3): a FIFO must not hang, /dev/zero must not exhaust memory, `[[[[...` must not raise RecursionError,
a credit of 10**400 must not raise OverflowError. The CLI runs in a subprocess under an address-space
limit and a timeout, so a regression fails the test instead of hanging it or eating the machine.
And on a full disk the old baseline and cache survive byte for byte, with no temp file left behind.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SMALL
from gate_cases import CRM
from scopeplan import safeio
from scopeplan.catalogue import cache, parse
from scopeplan.catalogue.target import Fetched, Target
from scopeplan.cli import main

MEMORY = 2 * 1024**3
LOOSE = 30.0
MORE_CALLS = "".join(f'\n\ndef lead_{i}():\n    return requests.get("https://www.zohoapis.com/crm/v8/Leads/{i}")\n'
                     for i in range(3))


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def scopeplan(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "SCOPEPLAN_CACHE_DIR": str(cwd / "usercache"),
               **{k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "TMPDIR")}, **(env or {})}
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "scopeplan", *args], cwd=cwd, env=environ, capture_output=True,
                              text=True, timeout=60, preexec_fn=_limit_memory, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"scopeplan {' '.join(args)} was still running after 60 s")
    assert time.monotonic() - start < LOOSE
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def app(tmp_path):
    """A small integration with its catalogue file named in pyproject.toml, and an approved baseline."""
    (tmp_path / "zoho").mkdir()
    (tmp_path / "zoho" / "apis.json").write_text(json.dumps(SMALL))
    (tmp_path / "pyproject.toml").write_text('[tool.scopeplan]\ncatalogue = "zoho/apis.json"\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "crm.py").write_text(CRM)
    code, _, err = scopeplan("baseline", "--no-cache", cwd=tmp_path)
    assert code == 0, err
    return tmp_path


def _one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 3, err
    assert err.startswith("scopeplan: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err


def _replace(path: Path, make) -> None:
    path.unlink()
    make(path)


def _sparse(size: int):
    def make(path: Path) -> None:
        with open(path, "wb") as out:
            out.truncate(size)  # a sparse file: 200 MB to stat and read, nothing on disk
    return make


def _text(text: str):
    return lambda path: path.write_text(text)


def _link_to_dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _too_big_number(path: Path) -> None:
    doc = json.loads(path.with_name("good.json").read_text())
    doc["credits"]["per_run_worst_case"] = 10**400
    path.write_text(json.dumps(doc))


BASELINES = [
    pytest.param(os.mkfifo, "a FIFO (named pipe), not a regular file", id="fifo"),
    pytest.param(_link_to_dev_zero, "a character device, not a regular file", id="dev-zero"),
    pytest.param(_sparse(200 * safeio.MB), "200 MB, more than the 50 MB limit for a baseline", id="200MB"),
    pytest.param(_text("[" * 100_000 + "]" * 100_000), "nested too deeply", id="deep"),
    pytest.param(_too_big_number, "is out of range (scopeplan reads integers up to 2**53 - 1)", id="10**400"),
]


@pytest.mark.parametrize("make, expected", BASELINES)
def test_a_hostile_baseline_is_a_one_line_error_for_check(app, make, expected):
    baseline = app / ".scopeplan.json"
    baseline.with_name("good.json").write_bytes(baseline.read_bytes())
    _replace(baseline, make)
    code, _, err = scopeplan("check", "--no-cache", cwd=app)
    _one_line_error(code, err, "baseline ", ".scopeplan.json", expected)


CONFIGS = [
    pytest.param(_sparse(200 * safeio.MB), "200 MB, more than the 10 MB limit for a pyproject.toml", id="200MB"),
    pytest.param(_text("[tool.scopeplan]\nx = " + "[" * 5_000 + "]" * 5_000 + "\n"), "nested too deeply", id="deep"),
]


@pytest.mark.parametrize("make, expected", CONFIGS)
def test_a_hostile_pyproject_is_a_one_line_error(app, make, expected):
    _replace(app / "pyproject.toml", make)
    code, _, err = scopeplan("scan", "--no-cache", cwd=app)
    _one_line_error(code, err, "pyproject.toml", expected)


CATALOGUES = [
    pytest.param(os.mkfifo, "a FIFO (named pipe), not a regular file", id="fifo"),
    pytest.param(_link_to_dev_zero, "a character device, not a regular file", id="dev-zero"),
    pytest.param(_sparse(200 * safeio.MB), "200 MB, more than the 64 MB limit for a catalogue", id="200MB"),
    pytest.param(_text('{"__apis": ' + "[" * 100_000 + "]" * 100_000 + "}"), "nested too deeply", id="deep"),
]


@pytest.mark.parametrize("make, expected", CATALOGUES)
def test_a_hostile_catalogue_file_is_a_one_line_error(app, make, expected):
    _replace(app / "zoho" / "apis.json", make)
    code, _, err = scopeplan("scan", "--no-cache", cwd=app)
    _one_line_error(code, err, "catalogue ", "apis.json", expected)


def _cached(where: Path) -> cache.Entry:
    payload = json.dumps(SMALL).encode()
    url = "https://www.zohoapis.com/crm/v8/__apis"
    return cache.save(Fetched(payload, parse(payload, source="live", origin=url), url), Target(), directory=where)


@pytest.mark.parametrize("which", ["payload", "meta"])
@pytest.mark.parametrize("make", [os.mkfifo, _link_to_dev_zero], ids=["fifo", "dev-zero"])
def test_a_hostile_cache_file_is_an_error_or_a_miss_never_a_hang(app, which, make):
    entry = _cached(app / "usercache")
    _replace(entry.payload if which == "payload" else entry.meta, make)
    code, _, err = scopeplan("scan", "--no-cache", "--catalogue", "live", cwd=app)
    if which == "payload":
        _one_line_error(code, err, "cached catalogue", "not a regular file")
    else:  # an unreadable entry is a cache miss, as a hand-edited one always was
        _one_line_error(code, err, "no live catalogue cached")


# ------------------------------------------------------------------ a full disk

def _enospc_on_temp_files(monkeypatch) -> None:
    """os.write raises ENOSPC for scopeplan's temp files (`.NAME.xxxx.tmp`), and behaves for every other file."""
    real = os.write

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


def _grow(app: Path) -> None:
    with open(app / "app" / "crm.py", "a") as out:
        out.write(MORE_CALLS)


def test_baseline_on_a_full_disk_keeps_the_old_file_byte_for_byte(app, monkeypatch):
    baseline = app / ".scopeplan.json"
    old = baseline.read_bytes()
    _grow(app)
    monkeypatch.chdir(app)
    _enospc_on_temp_files(monkeypatch)
    result = CliRunner().invoke(main, ["baseline", "--no-cache"])
    assert result.exit_code == 3, result.output
    assert result.stderr == f"scopeplan: error: {baseline.name}: No space left on device\n"
    assert baseline.read_bytes() == old
    assert not [p.name for p in app.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB tmpfs (root only; skipped elsewhere)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Fill the disk but `leave` bytes (give or take a block)."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler", "wb") as out:
        out.write(b"x" * max(0, free - leave))


def test_baseline_on_a_really_full_tmpfs_keeps_the_old_file(app, tiny_disk):
    target = tiny_disk / ".scopeplan.json"
    target.write_bytes((app / ".scopeplan.json").read_bytes())
    old = target.read_bytes()
    _grow(app)
    _fill(tiny_disk, leave=0)
    code, _, err = scopeplan("baseline", "--no-cache", "--baseline", str(target), cwd=app)
    _one_line_error(code, err, f"{target}: No space left on device")
    assert target.read_bytes() == old
    assert sorted(p.name for p in tiny_disk.iterdir()) == [".scopeplan.json", "filler"]


def test_the_catalogue_cache_on_a_full_disk_keeps_the_old_entry_and_adds_nothing(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    _cached(where)
    before = {p: p.read_bytes() for p in where.rglob("*") if p.is_file()}
    _enospc_on_temp_files(monkeypatch)
    other = json.loads(json.dumps(SMALL))
    other["__apis"][0]["operation_types"][0]["max_credits"] = 7
    payload = json.dumps(other).encode()
    url = "https://www.zohoapis.com/crm/v8/__apis"
    with pytest.raises(OSError) as info:
        cache.save(Fetched(payload, parse(payload, source="live", origin=url), url), Target(), directory=where)
    assert info.value.errno == errno.ENOSPC and not info.value.filename.endswith(".tmp")
    assert {p: p.read_bytes() for p in where.rglob("*") if p.is_file()} == before


def test_the_catalogue_cache_keeps_no_orphan_payload_when_its_metadata_cannot_be_written(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    _cached(where)
    before = {p: p.read_bytes() for p in where.rglob("*") if p.is_file()}
    real = safeio.write_atomic

    def full_for_metadata(path, data, **kw):
        if str(path).endswith(".meta.json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data, **kw)

    monkeypatch.setattr(safeio, "write_atomic", full_for_metadata)
    other = json.loads(json.dumps(SMALL))
    other["__apis"][0]["operation_types"][0]["max_credits"] = 9
    payload = json.dumps(other).encode()
    url = "https://www.zohoapis.com/crm/v8/__apis"
    with pytest.raises(OSError):
        cache.save(Fetched(payload, parse(payload, source="live", origin=url), url), Target(), directory=where)
    assert {p: p.read_bytes() for p in where.rglob("*") if p.is_file()} == before
