"""Hostile trees: the cache never reaches outside its folder, discovery survives links, FIFOs and depth."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopeplan.cli import main
from scopeplan.scanner import cache as cache_module
from scopeplan.scanner import discover, scan

GOOD = 'import requests\nrequests.get("https://www.zohoapis.com/crm/v2/Leads")\n'
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="links and FIFOs")


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))


def _tree(root: Path, files: dict[str, str] | None = None) -> Path:
    for name, text in (files or {"app/good.py": GOOD}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _victim(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A folder outside the tree with 24-character subfolders, as a user's files might be."""
    victim = tmp_path / "victim"
    (victim / ("a" * 24)).mkdir(parents=True)
    (victim / ("a" * 24) / "precious.txt").write_text("keep me")
    (victim / ("0123456789abcdef01234567")).mkdir()
    (victim / "notes.txt").write_text("keep me too")
    return victim, _snapshot(victim)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


# -- the cache folder ---------------------------------------------------------------------------------

@posix_only
def test_a_cache_folder_that_is_a_link_is_never_followed(tmp_path):
    root = _tree(tmp_path / "tree")
    victim, before = _victim(tmp_path)
    (root / ".scopeplan_cache").symlink_to(victim, target_is_directory=True)
    seen: list[str] = []
    facts = scan(root, on_notice=seen.append)
    assert _snapshot(victim) == before, "the scan wrote into or deleted from a folder outside the tree"
    assert facts == scan(root, use_cache=False, on_notice=seen.append)
    assert len(seen) == 1 and "symbolic link" in seen[0] and facts.notices == (seen[0],)


def test_a_folder_scopeplan_did_not_create_is_left_alone(tmp_path):
    root = _tree(tmp_path / "tree")
    folder = root / ".scopeplan_cache"
    (folder / ("b" * 24)).mkdir(parents=True)
    (folder / ("0" * 24)).mkdir()
    before = _snapshot(folder)
    facts = scan(root, on_notice=lambda n: None)
    assert _snapshot(folder) == before
    assert "CACHEDIR.TAG" in facts.notices[0]


def test_the_notice_goes_to_stderr_when_nobody_takes_it(tmp_path, capsys):
    root = _tree(tmp_path / "tree")
    (root / ".scopeplan_cache").write_text("not a folder")
    scan(root)
    assert "scopeplan: notice: cache off:" in capsys.readouterr().err


@posix_only
def test_links_planted_inside_a_tagged_cache_are_not_followed(tmp_path):
    root = _tree(tmp_path / "tree")
    scan(root)  # a real cache, tagged
    here = root / ".scopeplan_cache" / cache_module.fingerprint()
    victim, before = _victim(tmp_path)
    for pack in (here / "packs").iterdir():
        pack.unlink()
    (here / "packs").rmdir()
    (here / "packs").symlink_to(victim, target_is_directory=True)  # the next pack would land in victim
    (here / "index").unlink()
    os.symlink("/dev/zero", here / "index")  # a read that would never end
    (root / ".scopeplan_cache" / ("c" * 24)).symlink_to(victim / ("a" * 24), target_is_directory=True)
    (here / "manifest").unlink()
    os.symlink("/dev/zero", here / "manifest")  # a read that would never end
    assert scan(root) == scan(root, use_cache=False)
    assert _snapshot(victim) == before


def test_a_signed_but_malformed_manifest_is_rebuilt(tmp_path):
    root = _tree(tmp_path / "tree")
    expected = scan(root, use_cache=False)
    cache = cache_module.Cache.open(root)
    for bad in ({"started": "yesterday", "files": {}}, {"files": {"app/good.py": ("x", 1)}},
                {"files": {"app/good.py": ((1, 2, 3, "4"), "k", None, 0)}}, {"files": {}, "selection": 5},
                {"files": {}, "recent": "app/good.py"}, {"files": {}, "recent": (1,)},
                ["not", "a", "dict"], {"files": "nope"}):
        cache.save_manifest(bad)  # correctly signed with this user's secret
        assert scan(root) == expected
        assert isinstance(cache.manifest(), dict) and cache.manifest() != bad  # rebuilt


def test_pickled_manifest_of_another_class_does_not_run(tmp_path):
    root = _tree(tmp_path / "tree")
    cache = cache_module.Cache.open(root)

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'PWNED'}",))

    cache._write(cache.folder / "manifest", "manifest", {"files": Boom()})
    scan(root)
    assert not (tmp_path / "PWNED").exists()


# -- discovery ----------------------------------------------------------------------------------------

@posix_only
def test_a_fifo_named_like_python_does_not_hang(tmp_path):
    root = _tree(tmp_path / "tree")
    os.mkfifo(root / "app" / "x.py")
    found = discover(root)
    assert [Path(p).name for p in found] == ["good.py"] and "x.py" in found.notices[0]
    result = CliRunner().invoke(main, ["scan", str(root), "--no-cache"])
    assert result.exit_code == 0 and "Traceback" not in result.output


@posix_only
def test_a_fifo_given_as_a_path_is_an_error_row(tmp_path):
    from scopeplan.scanner.files import read

    os.mkfifo(tmp_path / "x.py")
    assert "not a regular file" in read(tmp_path / "x.py")


def _remove_deep(root: Path) -> None:
    """Remove a tree too deep for shutil.rmtree (which recurses), from the bottom up, by folder fds."""
    fds = [os.open(root, os.O_RDONLY)]
    try:
        while "d" in os.listdir(fds[-1]):
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        while fds:
            fd = fds.pop()
            for name in os.listdir(fd):
                if name != "d":
                    os.unlink(name, dir_fd=fd)
            if fds:
                os.rmdir("d", dir_fd=fds[-1])
            os.close(fd)
    finally:
        for fd in fds:
            os.close(fd)


@pytest.fixture
def deep_root(tmp_path):
    root = tmp_path / "tree"
    yield root
    _remove_deep(root)


def test_a_very_deep_tree(deep_root):
    root = deep_root
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:  # built one level at a time, relative to the last: os.makedirs itself recurses
        for _ in range(1100):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("m.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as out:
            out.write(GOOD)
    finally:
        os.close(fd)
    (root / "top.py").write_text(GOOD)
    found = discover(root)
    assert [Path(p).name for p in found] == ["top.py", "m.py"]
    facts = scan(root, use_cache=False)
    assert [f.path.count("/") for f in facts] == [0, 1100]


def test_discovery_order_is_files_then_subfolders_in_name_order(tmp_path):
    root = _tree(tmp_path / "tree", {"b/z.py": "", "b/a/y.py": "", "a/x.py": "", "m.py": "", "a/c/w.py": ""})
    assert [Path(p).relative_to(root).as_posix() for p in discover(root)] == [
        "m.py", "a/x.py", "a/c/w.py", "b/z.py", "b/a/y.py"]


@posix_only
def test_bad_links_are_skipped_with_a_notice(tmp_path):
    root = _tree(tmp_path / "tree")
    outside = tmp_path / "outside.py"
    outside.write_text(GOOD)
    links = root / "links"
    links.mkdir()
    os.symlink("loop_b.py", links / "loop_a.py")
    os.symlink("loop_a.py", links / "loop_b.py")
    os.symlink("nowhere.py", links / "dangling.py")
    os.symlink("/dev/zero", links / "zero.py")
    os.symlink("/proc/self/mem", links / "mem.py")
    os.symlink(outside, links / "out.py")
    os.symlink(links, links / "self_dir.py")  # a folder link named .py
    os.symlink(root / "app", links / "again")  # a folder link: never followed
    found = discover(root)
    assert [Path(p).relative_to(root).as_posix() for p in found] == ["app/good.py"]
    assert sorted(n.split(":")[0] for n in found.notices) == [
        "links/dangling.py", "links/loop_a.py", "links/loop_b.py", "links/mem.py", "links/out.py", "links/zero.py"]
    result = CliRunner().invoke(main, ["scan", str(root), "--no-cache"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "/crm/v2/Leads" in result.output


@posix_only
def test_a_link_given_as_a_path_outside_the_root_is_skipped(tmp_path):
    root = _tree(tmp_path / "tree")
    outside = tmp_path / "outside.py"
    outside.write_text(GOOD)
    os.symlink(outside, root / "out.py")
    seen: list[str] = []
    facts = scan(root, [root / "app" / "good.py", root / "out.py"], use_cache=False, on_notice=seen.append)
    assert [f.path for f in facts] == ["app/good.py"] and "not inside" in seen[0]


def test_a_folder_that_cannot_be_listed_is_an_error_row(tmp_path, monkeypatch):
    root = _tree(tmp_path / "tree", {"app/good.py": GOOD, "locked/secret.py": GOOD})
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    facts = scan(root, use_cache=False)
    assert [(f.path, f.error) for f in facts] == [
        ("app/good.py", None), ("locked", "cannot read the folder: permission denied; its files are not scanned")]
    strict = CliRunner().invoke(main, ["scan", str(root), "--no-cache", "--strict"])
    assert strict.exit_code == 3 and "permission denied" in strict.output
