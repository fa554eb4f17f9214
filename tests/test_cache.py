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


def _records(root: Path) -> list[tuple[Path, int, int]]:
    """(pack, offset, length) of every record the index names, in key order."""
    cache = cache_module.Cache.open(root)
    index = cache._read_index()
    return [(cache.folder / "packs" / index[key][0], index[key][1], index[key][2]) for key in sorted(index)]


def _overwrite(pack: Path, offset: int, data: bytes) -> None:
    with open(pack, "r+b") as out:
        out.seek(offset)
        out.write(data)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "foreign-key", "other-secret"])
def test_a_bad_entry_is_ignored_and_rebuilt(tmp_path, parsed, damage):
    root = build(tmp_path / "tree")
    _age(root)
    cold, first = parsed(root)
    records = _records(root)
    assert len(records) == len(first) > 1 and len({pack for pack, _, _ in records}) == 1  # one pack per run
    pack = records[0][0]
    blobs = [pack.read_bytes()[offset:offset + length] for _, offset, length in records]
    if damage == "truncate":
        pack.write_bytes(pack.read_bytes()[: records[0][1] + records[0][2] // 2])
    elif damage == "foreign-key":  # the index points each file's key at another file's valid record
        cache = cache_module.Cache.open(root)
        index = cache._read_index()
        keys = sorted(index)
        cache._write(cache.folder / "index", "index", {k: index[keys[(i + 1) % len(keys)]] for i, k in enumerate(keys)})
    for (_, offset, length), blob in zip(records, blobs):
        if damage == "garbage":
            _overwrite(pack, offset, os.urandom(length))
        elif damage == "other-secret":  # written by someone without this user's secret (a cache committed)
            _overwrite(pack, offset + blob.index(b"\0") + 1, b"\0" * 32)
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
    cache.store(key, _Boom())  # correctly signed, but not scopeplan's facts
    assert cache.load(key) is None
    cache.flush()
    assert cache_module.Cache.open(tmp_path, folder).load(key) is None
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
    (stale / "packs").mkdir(parents=True)
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


# -- packs: what a flush writes, and what a damaged or shared pack gives back -------------------------

def _facts(i: int):
    from scopeplan.scanner.facts import FileFacts

    return FileFacts(f"m{i}.py", f"m{i}", signs=(f"names /crm/v8/x{i} " + "x" * 200,))


def _filled(tmp_path: Path, count: int = 5, flush: bool = True):
    """A cache holding `count` entries (keys by index), flushed unless told otherwise."""
    cache = cache_module.Cache.open(tmp_path, tmp_path / "cache")
    keys = [cache.key(f"m{i}.py", str(i).encode()) for i in range(count)]
    for i, key in enumerate(keys):
        cache.store(key, _facts(i))
    if flush:
        cache.flush()
    return cache, keys


def _reopen(tmp_path: Path):
    return cache_module.Cache.open(tmp_path, tmp_path / "cache")


def _packs(cache) -> list[Path]:
    folder = cache.folder / "packs"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_stored_facts_load_before_and_after_the_flush(tmp_path):
    cache, keys = _filled(tmp_path, flush=False)
    assert [cache.load(k) for k in keys] == [_facts(i) for i in range(len(keys))]
    assert _packs(cache) == [] and not (cache.folder / "index").exists()  # nothing written before the flush
    digests = dict(cache.digests)
    cache.flush()
    again = _reopen(tmp_path)
    assert [again.load(k) for k in keys] == [_facts(i) for i in range(len(keys))]
    assert again.digests == digests


def test_packs_are_read_where_there_is_no_pread(tmp_path, monkeypatch):
    """Windows has no os.pread: a record is read by seeking, with the same bytes."""
    cache, keys = _filled(tmp_path)
    monkeypatch.delattr("os.pread")
    again = _reopen(tmp_path)
    assert [again.load(k) for k in reversed(keys)] == [_facts(i) for i in reversed(range(len(keys)))]


def test_a_run_storing_many_entries_writes_one_pack(tmp_path):
    cache, keys = _filled(tmp_path, count=300)
    written = sorted(p.relative_to(cache.folder).as_posix() for p in cache.folder.rglob("*") if p.is_file())
    assert len(written) == 2 and written[0] == "index" and written[1].startswith("packs/")
    cache.flush()  # nothing stored since: nothing written
    assert len(_packs(cache)) == 1


def test_a_cache_that_loads_no_facts_never_reads_the_index(tmp_path, monkeypatch):
    _filled(tmp_path)

    def refuse(self):
        raise AssertionError("the index was read")

    monkeypatch.setattr(cache_module.Cache, "_read_index", refuse)
    cache = _reopen(tmp_path)
    cache.manifest()
    cache.load_value("plan", "k", ())
    cache.flush()


def _fifo(pack: Path, victim: Path) -> None:
    pack.unlink()
    os.mkfifo(pack)


def _symlink(pack: Path, victim: Path) -> None:
    (victim / pack.name).write_bytes(pack.read_bytes())  # a valid pack, but reached through a link
    pack.unlink()
    pack.symlink_to(victim / pack.name)


def _folder_link(pack: Path, victim: Path) -> None:
    (victim / pack.name).write_bytes(pack.read_bytes())
    pack.unlink()
    pack.parent.rmdir()
    pack.parent.symlink_to(victim, target_is_directory=True)


def _resign(pack: Path, victim: Path) -> None:
    data = bytearray(pack.read_bytes())
    data[data.index(0, len(cache_module.packs.PACK_MAGIC)) + 1] ^= 1  # first record: key NUL signature payload
    pack.write_bytes(bytes(data))


DAMAGES = [  # (id, what is done to the flushed pack, the keys that must miss: all, the first or last record's)
    ("bad-signature", _resign, "first"),
    ("truncated", lambda pack, victim: pack.write_bytes(pack.read_bytes()[:-10]), "last"),
    ("emptied", lambda pack, victim: pack.write_bytes(b""), "all"),
    ("missing", lambda pack, victim: pack.unlink(), "all"),
    ("symlink", _symlink, "all"),
    ("fifo", _fifo, "all"),
    ("packs-folder-link", _folder_link, "all"),
]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and FIFOs")
@pytest.mark.parametrize("damage, misses", [(d[1], d[2]) for d in DAMAGES], ids=[d[0] for d in DAMAGES])
def test_a_damaged_pack_is_a_miss_never_an_error(tmp_path, damage, misses):
    cache, keys = _filled(tmp_path)
    (pack,) = _packs(cache)
    victim = tmp_path / "victim"
    victim.mkdir()
    damage(pack, victim)
    before = sorted(p.name for p in victim.iterdir())
    again = _reopen(tmp_path)
    found = [again.load(k) for k in keys]  # a FIFO would hang a blocking open
    order = sorted(range(len(keys)), key=lambda i: keys[i])  # records are in key order in the pack
    missing = {"all": set(range(len(keys))), "first": {order[0]}, "last": {order[-1]}}[misses]
    assert found == [None if i in missing else _facts(i) for i in range(len(keys))]
    for i in missing:
        again.store(keys[i], _facts(i))
    again.flush()  # rebuilt (or, through a link, left alone)
    assert sorted(p.name for p in victim.iterdir()) == before
    if damage is not _folder_link:
        assert [_reopen(tmp_path).load(k) for k in keys] == [_facts(i) for i in range(len(keys))]


@pytest.mark.parametrize("compacting", [False, True], ids=["appending", "compacting"])
def test_a_concurrent_flush_never_makes_entries_wrong(tmp_path, monkeypatch, compacting):
    if compacting:
        monkeypatch.setattr(cache_module, "MAX_PACKS", 1)  # every flush compacts
    first, keys = _filled(tmp_path, count=6)
    assert first.load(keys[0]) == _facts(0)  # first has read the index and opened its pack
    second = _reopen(tmp_path)
    others = [second.key(f"n{i}.py", b"") for i in range(4)]
    for i, key in enumerate(others):
        second.store(key, _facts(100 + i))
    second.flush()
    assert [first.load(k) for k in keys] in ([_facts(i) for i in range(6)], [None] * 6)
    extra = first.key("late.py", b"")
    first.store(extra, _facts(200))
    first.flush()  # merged with what second wrote meanwhile
    expected = {**{k: _facts(i) for i, k in enumerate(keys)}, **{k: _facts(100 + i) for i, k in enumerate(others)},
                extra: _facts(200)}
    third = _reopen(tmp_path)
    assert {k: third.load(k) for k in expected} == expected
    assert {p.name for p in _packs(third)} == {entry[0] for entry in third._read_index().values()}
    assert len(_packs(third)) == (2 if compacting else 3)  # compacting keeps the largest pack as it is


def test_a_lost_index_update_costs_hits_never_answers(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_PACKS", 2)
    first, keys = _filled(tmp_path, count=6)
    late = first.key("late.py", b"")
    first.store(late, _facts(6))
    first.flush()  # a second, smaller pack
    stale = (first.folder / "index").read_bytes()
    second = _reopen(tmp_path)
    others = [second.key(f"n{i}.py", b"") for i in range(4)]
    for i, key in enumerate(others):
        second.store(key, _facts(100 + i))
    second.flush()  # three packs: the small one is merged into second's, and removed
    (first.folder / "index").write_bytes(stale)  # as if a run that read the index before wrote it after
    third = _reopen(tmp_path)
    expected = [_facts(i) for i in range(7)] + [_facts(100 + i) for i in range(4)]
    found = [third.load(k) for k in keys + [late] + others]
    assert all(got is None or got == want for got, want in zip(found, expected))
    assert found[:6] == expected[:6] and found[6:] == [None] * 5  # lost: the removed pack's, and second's


def _flushes(cache, keys, rounds):
    for round_ in range(rounds):
        cache.store(keys[round_ % len(keys)], _facts(round_))
        cache.flush()


COMPACTIONS = [  # (id, keys stored, flushes: one entry each, packs left)
    ("few-packs", 8, 8, 8),
    ("many-packs", 9, 9, 2),  # the largest stays, the others are merged with the new entries
    ("mostly-dead", 1, 3, 1),  # the same key stored again and again: two thirds of the bytes are dead
]


@pytest.mark.parametrize("count, rounds, left", [c[1:] for c in COMPACTIONS], ids=[c[0] for c in COMPACTIONS])
def test_compaction_keeps_what_the_index_names_and_removes_the_rest(tmp_path, count, rounds, left):
    cache = cache_module.Cache.open(tmp_path, tmp_path / "cache")
    keys = [cache.key(f"m{i}.py", b"") for i in range(count)]
    folder = cache.folder / "packs"
    folder.mkdir()
    old, young = folder / ("a" * 32), folder / ("b" * 32)  # unindexed packs: a dead run's, a running one's
    for orphan in (old, young):
        orphan.write_bytes(b"x")
    os.utime(old, (0, 0))
    _flushes(cache, keys, rounds)
    index = _reopen(tmp_path)._read_index()
    named = {entry[0] for entry in index.values()}
    remaining = {p.name for p in _packs(cache)} - {young.name}
    assert len(named) == left and remaining == named | ({old.name} if left == rounds else set())
    assert young.exists()
    latest = {keys[r % count]: _facts(r) for r in range(rounds)}
    again = _reopen(tmp_path)
    assert {k: again.load(k) for k in latest} == latest


def test_what_a_failing_scan_parsed_is_flushed(tmp_path, monkeypatch):
    import scopeplan.scanner as scanner

    root = build(tmp_path / "tree")
    real = scanner._Run.select

    def fails(self, sources, keep=()):
        self.parse(sources[:1])  # parsed and stored, then the scan fails
        raise RuntimeError("boom")

    monkeypatch.setattr(scanner._Run, "select", fails)
    with pytest.raises(RuntimeError):
        scan(root)
    monkeypatch.setattr(scanner._Run, "select", real)
    cache = cache_module.Cache.open(root)
    assert len(cache._read_index()) == 1 and len(_packs(cache)) == 1
    assert not (cache.folder / "manifest").exists()  # the manifest is only written by a scan that ends


def test_merging_many_packs_leaves_the_largest_as_it_is(tmp_path):
    cache, keys = _filled(tmp_path, count=50)
    (big,) = _packs(cache)
    before = big.stat()
    small = [cache.key(f"s{i}.py", b"") for i in range(cache_module.MAX_PACKS)]
    for i, key in enumerate(small):
        cache.store(key, _facts(100 + i))
        cache.flush()
    left = _packs(cache)
    assert len(left) == 2 and big in left and big.stat().st_ino == before.st_ino
    again = _reopen(tmp_path)
    assert [again.load(k) for k in keys + small] == [_facts(i) for i in range(50)] + [
        _facts(100 + i) for i in range(len(small))]


def test_the_cache_keeps_this_runs_and_the_last_runs_facts_not_every_edit(tmp_path, parsed):
    """Edit one Zoho file twenty times: the index names only the versions the last two runs saw, so the packs
    stay the size of a few versions; setting the file back to its last version is still no parse."""
    root = build(tmp_path / "tree", {"app/zoho_sync.py": "import requests\n", "app/other.py": "import requests\n"})
    target = root / "app/zoho_sync.py"

    def version(n: int) -> str:
        return f"import requests\n\ndef f():\n    return requests.get('https://www.zohoapis.com/crm/v8/Leads/{n}')\n"

    for n in range(20):
        target.write_text(version(n))
        _age(root)
        parsed(root)
    cache = cache_module.Cache.open(root)
    index = cache._read_index()
    assert 2 <= len(index) <= 3  # the other file, this version and the last one
    sizes = sum(p.stat().st_size for p in _packs(cache))
    assert sizes < 4 * sum(entry[2] for entry in index.values())  # compaction dropped what it forgot
    target.write_text(version(18))
    _age(root)
    assert parsed(root)[1] == []  # the last run's version: loaded, not parsed


def test_a_manifest_another_run_replaced_is_read_again(tmp_path):
    first, second = cache_module.Cache.open(tmp_path), cache_module.Cache.open(tmp_path)
    assert first.manifest() == {}
    second.save_manifest({"files": {}, "selection": None})
    assert first.manifest() == {"files": {}, "selection": None}  # not the empty one it read before
    assert first.manifest() is first.manifest()  # unchanged since: not read again
