"""The facts cache: warm equals cold, changes are seen, bad entries are rebuilt, two runs can share it."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from pathlib import Path

import pytest

from scopeplan.scanner import cache as cache_module
from scopeplan.scanner import parallel, scan
from test_prefilter import SAMPLES, TRICKY, build, render


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """The per-user secret goes to a temporary cache home, not the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))


@pytest.fixture
def parsed(monkeypatch):
    """The relative paths each scan parses (cache misses), run by run."""
    log: list[list[str]] = []
    real = parallel.parse_all

    def spy(jobs, workers=0, done=None):
        log[-1].extend(relative.as_posix() for _, relative in jobs)
        return real(jobs, workers, done)

    monkeypatch.setattr(parallel, "parse_all", spy)

    def run(root, **options):
        log.append([])
        facts = scan(root, **options)
        return facts, log[-1]

    return run


def _age(root: Path, seconds: int = 60) -> None:
    """Make every file look older than the last run's start (as files usually are)."""
    for path in root.rglob("*.py"):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_cold_and_warm_plans_are_equal(sample, tmp_path, monkeypatch):
    from scopeplan import catalogue

    cat = catalogue.load()
    folder = tmp_path / "cache"
    uncached = render(sample, cat, monkeypatch, use_cache=False)
    assert render(sample, cat, monkeypatch, cache_dir=folder) == uncached  # cold: fills the cache
    assert render(sample, cat, monkeypatch, cache_dir=folder) == uncached  # warm


def test_warm_scan_parses_nothing_and_equals_cold(tmp_path, parsed):
    root = build(tmp_path / "tree")
    _age(root)
    cold, first = parsed(root)
    assert first and (root / ".scopeplan_cache" / ".gitignore").read_text().strip().endswith("*")
    assert (root / ".scopeplan_cache" / "CACHEDIR.TAG").exists()
    warm, second = parsed(root)
    assert warm == cold and second == []
    assert scan(root, use_cache=False) == cold
    assert not list((root / ".scopeplan_cache").rglob(".tmp-*")), "a temporary file was left behind"


def test_one_changed_file_is_parsed_again(tmp_path, parsed):
    root = build(tmp_path / "tree")
    _age(root)
    parsed(root)
    target = root / "src/shop/paths.py"
    target.write_text(target.read_text().replace("/crm/v8", "/crm/v7"))
    facts, again = parsed(root)
    assert again == ["src/shop/paths.py"]
    assert facts == scan(root, use_cache=False)


def test_same_size_change_with_old_mtime_is_seen(tmp_path, parsed):
    root = build(tmp_path / "tree")
    _age(root)
    parsed(root)
    target = root / "src/shop/paths.py"
    st = target.stat()
    target.write_text(target.read_text().replace("v8", "v7"))  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime: the ctime still moves
    facts, again = parsed(root)
    assert again == ["src/shop/paths.py"]
    assert facts == scan(root, use_cache=False)


def test_no_cache_reads_and_writes_nothing(tmp_path, parsed):
    root = build(tmp_path / "tree")
    _, first = parsed(root, use_cache=False)
    _, second = parsed(root, use_cache=False)
    assert first == second and not (root / ".scopeplan_cache").exists()


def _entries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.parent.parent.name == "facts"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign-key", "other-secret"])
def test_a_bad_entry_is_ignored_and_rebuilt(tmp_path, parsed, damage):
    root = build(tmp_path / "tree")
    _age(root)
    cold, first = parsed(root)
    entries = _entries(root / ".scopeplan_cache")
    assert len(entries) == len(first) > 1
    blobs = [entry.read_bytes() for entry in entries]
    for i, (entry, blob) in enumerate(zip(entries, blobs)):
        if damage == "truncate":
            entry.write_bytes(blob[: len(blob) // 2])
        elif damage == "garbage":
            entry.write_bytes(os.urandom(len(blob)))
        elif damage == "foreign-key":  # a valid entry of another file, under this file's key
            entry.write_bytes(blobs[(i + 1) % len(blobs)])
        else:  # written by someone without this user's secret (a cache committed to the repository)
            payload = blob[len(cache_module.MAGIC) + 32:]
            entry.write_bytes(cache_module.MAGIC + b"\0" * 32 + payload)
    warm, again = parsed(root)
    assert warm == cold and sorted(again) == sorted(first)
    assert parsed(root)[1] == []  # rebuilt


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > PWNED",))


def test_an_entry_naming_another_class_is_refused(tmp_path):
    folder = tmp_path / "cache"
    cache = cache_module.Cache.open(tmp_path, folder)
    key = cache.key("a.py", b"x = 1\n")
    cache._write(cache._path(key), key, _Boom())  # correctly signed, but not scopeplan's facts
    assert cache.load(key) is None
    assert not (Path.cwd() / "PWNED").exists() and not (tmp_path / "PWNED").exists()


def test_the_fingerprint_follows_the_scanner_source(tmp_path, monkeypatch):
    copy = tmp_path / "scanner"
    copy.mkdir()
    for source in Path(cache_module.__file__).parent.glob("*.py"):
        (copy / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(cache_module, "_SCANNER", copy)
    before = cache_module.fingerprint()
    (copy / "walk.py").write_text((copy / "walk.py").read_text() + "\n# changed\n")
    assert cache_module.fingerprint() != before


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path):
    root = build(tmp_path / "tree")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    assert scan(root, cache_dir=blocked) == scan(root, use_cache=False)


def test_older_scanners_folders_are_removed(tmp_path):
    root = build(tmp_path / "tree")
    scan(root)  # scopeplan creates (and tags) the folder
    stale = root / ".scopeplan_cache" / ("0" * 24)
    (stale / "facts").mkdir(parents=True)
    scan(root)
    assert not stale.exists()
    assert (root / ".scopeplan_cache" / cache_module.fingerprint()).is_dir()


def _scan_in_child(root: str, out: str) -> None:
    facts = scan(Path(root))
    Path(out).write_bytes(pickle.dumps(facts))


def test_two_concurrent_runs_share_the_cache(tmp_path):
    root = build(tmp_path / "tree", {**TRICKY, **{f"src/shop/more{i}.py": f'U{i} = "https://www.zohoapis.com/crm/v8/x{i}"\n'
                                                  for i in range(30)}})
    _age(root)
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_scan_in_child, args=(str(root), str(tmp_path / f"out{i}")))
                for i in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    expected = scan(root, use_cache=False)
    for i in range(2):
        assert pickle.loads((tmp_path / f"out{i}").read_bytes()) == expected
    assert scan(root) == expected  # and what they left behind is a valid cache


@pytest.fixture
def reads(monkeypatch):
    """The files each scan reads (opens for their bytes)."""
    import scopeplan.scanner as scanner

    log: list[str] = []
    real = scanner.read

    def spy(path):
        log.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(scanner, "read", spy)
    return log


def test_a_tree_copied_just_before_its_first_run_is_not_read_again(tmp_path, reads):
    import shutil

    source = build(tmp_path / "tree")
    root = tmp_path / "copy"
    shutil.copytree(source, root, copy_function=shutil.copyfile)  # fresh mtimes and ctimes, as `cp -r` gives
    cold = scan(root)
    assert reads
    reads.clear()
    assert scan(root) == cold
    assert reads == [], "an unchanged tree was read again because it was written just before the first run"


def test_a_file_edited_within_the_racy_window_is_read_again(tmp_path, reads, monkeypatch):
    """On a file system with whole-second timestamps, an edit in the same second keeps the stat."""
    import time

    import scopeplan.scanner as scanner

    def coarse_stat(path):
        st = os.stat(path)
        second = time.time_ns() // 1_000_000_000 * 1_000_000_000
        return (st.st_size, second, second, st.st_ino)

    monkeypatch.setattr(scanner, "_stat", coarse_stat)
    root = build(tmp_path / "tree")
    scan(root)
    target = root / "src/shop/paths.py"
    target.write_text(target.read_text().replace("v8", "v7"))  # same size, same (coarse) stat
    reads.clear()
    facts = scan(root)
    assert "paths.py" in reads
    assert facts == scan(root, use_cache=False)
