"""safeio: bounded reads of regular files, bounded JSON, atomic writes that survive a failure."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from scopeplan import safeio


def test_a_regular_file_under_the_limit_is_read(tmp_path):
    (tmp_path / "f").write_bytes(b"12345")
    assert safeio.read_bytes(tmp_path / "f", 5) == b"12345"


@pytest.mark.parametrize("make, expected", [
    (lambda p: p.mkdir(), "a directory, not a regular file"),
    (lambda p: os.mkfifo(p), "a FIFO (named pipe), not a regular file"),
    (lambda p: p.symlink_to("/dev/null"), "a character device, not a regular file"),
    (lambda p: p.write_bytes(b"123456"), "6 bytes, more than the 5 bytes limit for a thing"),
], ids=["directory", "fifo", "device", "too-big"])
def test_anything_else_is_refused_with_a_sentence_and_the_file_name(tmp_path, make, expected):
    path = tmp_path / "f"
    make(path)
    with pytest.raises(safeio.Refused) as info:
        safeio.read_bytes(path, 5, "thing")
    assert info.value.strerror.startswith(expected) and info.value.filename == str(path)


def test_a_file_that_lies_about_its_size_is_still_cut_at_the_limit():
    # /proc files say st_size 0 and hold more: the read itself stops at limit + 1 bytes.
    with pytest.raises(safeio.Refused, match="more than the 10 bytes limit"):
        safeio.read_bytes("/proc/self/status", 10)


def test_a_missing_file_is_the_usual_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        safeio.read_bytes(tmp_path / "nope", 5)


@pytest.mark.parametrize("text, expected", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"n": ' + "9" * 401 + "}", "the number 99999999... (401 digits) is out of range"),
    ('{"n": 9007199254740992}', "the number 9007199254740992 is out of range"),
    ('{"n": -9007199254740992}', "is out of range"),
    ('{"n": 1e400}', "the number 1e400 is out of range"),
    ('{"n": NaN}', "NaN is not a JSON number"),
], ids=["deep", "10**400", "2**53", "-2**53", "1e400", "NaN"])
def test_json_is_bounded(text, expected):
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        safeio.loads_json(text)


def test_json_within_bounds_is_plain_json():
    assert safeio.loads_json('{"a": [1, -2, 9007199254740991, 0.5, "x"]}') == {"a": [1, -2, 2**53 - 1, 0.5, "x"]}


def test_deep_toml_is_a_value_error(tmp_path):
    (tmp_path / "p.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ValueError, match="nested too deeply"):
        safeio.load_toml(tmp_path / "p.toml", 1_000_000)


def test_write_atomic_keeps_the_mode_of_the_file_it_replaces_and_handles_short_writes(tmp_path, monkeypatch):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data[:3])))  # 3 bytes at a time
    safeio.write_atomic(target, b"0123456789")
    assert target.read_bytes() == b"0123456789" and stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_write_atomic_on_a_full_disk_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError) as info:
        safeio.write_atomic(target, b"new")
    assert (info.value.errno, info.value.filename) == (errno.ENOSPC, str(target))
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


def test_write_atomic_when_fsync_reports_the_full_disk(tmp_path, monkeypatch):
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        safeio.write_atomic(target, b"new")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


def test_write_atomic_in_a_missing_folder_is_an_error_unless_asked_to_create_it(tmp_path):
    with pytest.raises(FileNotFoundError):
        safeio.write_atomic(tmp_path / "no" / "f", b"x")
    safeio.write_atomic(tmp_path / "no" / "f", b"x", parents=True)
    assert (tmp_path / "no" / "f").read_bytes() == b"x"
