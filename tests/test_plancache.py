"""The kept plan: a warm run with nothing changed resolves nothing and reads no file, and prints what a
fresh run prints, byte for byte; anything the plan depends on that changes makes it build again."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import scopeplan.plan as plan_module
import scopeplan.scanner as scanner
from scopeplan import plancache
from scopeplan.cli import main
from test_prefilter import SAMPLES, build


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """The per-user secret goes to a temporary cache home, not the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))


@pytest.fixture
def runs(monkeypatch):
    """Run the CLI; each result carries `built` (the plan was made afresh) and `read` (files read)."""
    real_plan, real_read = plan_module.plan, scanner.read
    log = {"built": 0, "read": []}

    def counting_plan(*args, **kwargs):
        log["built"] += 1
        return real_plan(*args, **kwargs)

    def counting_read(path):
        log["read"].append(os.path.basename(path))
        return real_read(path)

    monkeypatch.setattr(plan_module, "plan", counting_plan)
    monkeypatch.setattr(scanner, "read", counting_read)

    def run(*args):
        log["built"], log["read"] = 0, []
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code in (0, 1, 3), result.output
        result.built, result.read = log["built"], list(log["read"])
        return result

    return run


def _copy(sample: Path, into: Path) -> Path:
    """A fresh copy (new mtimes and ctimes, as `cp -r` gives), without any cache the sample may carry."""
    shutil.copytree(sample, into, copy_function=shutil.copyfile, ignore=shutil.ignore_patterns(".scopeplan_cache"))
    return into


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_a_kept_plan_prints_what_a_fresh_run_prints(sample, tmp_path, runs):
    root = _copy(sample, tmp_path / sample.name)  # copied just before its first run: the racy case
    fresh = runs("scan", root, "--format", "json", "--no-cache")
    cold = runs("scan", root, "--format", "json")
    assert cold.built == 1 and cold.output == fresh.output
    warm = runs("scan", root, "--format", "json")
    assert (warm.built, warm.read) == (0, []), "a warm run with nothing changed resolved or read again"
    assert warm.output == fresh.output and warm.exit_code == fresh.exit_code
    text = runs("scan", root)  # another format from the same kept plan
    assert text.built == 0 and text.output == runs("scan", root, "--no-cache").output
    runs("scan", root, "--strict")  # --strict's verdict and reasons (stderr) from a kept plan
    strict, fresh_strict = runs("scan", root, "--strict"), runs("scan", root, "--strict", "--no-cache")
    assert strict.built == 0
    assert (strict.output, strict.exit_code) == (fresh_strict.output, fresh_strict.exit_code)


def test_check_and_explain_use_the_kept_plan(tmp_path, runs):
    root = _copy(SAMPLES[0], tmp_path / "project")
    assert runs("baseline", root).built == 1
    fresh = runs("check", root, "--format", "json", "--no-cache")
    warm = runs("check", root, "--format", "json")
    assert (warm.built, warm.output, warm.exit_code) == (0, fresh.output, fresh.exit_code)
    scope = "ZohoCRM.modules.leads.READ"
    assert runs("explain", scope, root).output == runs("explain", scope, root, "--no-cache").output


def test_a_changed_file_builds_the_plan_again_and_its_change_is_seen(tmp_path, runs):
    root = build(tmp_path / "tree")
    runs("scan", root, "--format", "json")
    before = runs("scan", root, "--format", "json")
    assert before.built == 0
    target = root / "src/shop/paths.py"
    target.write_text(target.read_text().replace("/crm/v8", "/crm/v2/private/json"))
    after = runs("scan", root, "--format", "json")
    assert after.built == 1 and after.output != before.output
    assert after.output == runs("scan", root, "--format", "json", "--no-cache").output
    assert runs("scan", root, "--format", "json").built == 0


def test_an_edit_within_the_racy_window_is_seen(tmp_path, runs, monkeypatch):
    """A stat that does not change when the content does (whole-second timestamps, an edit in the same
    tick; here a time ahead of the clock, so the window never closes, however slow the machine): the
    manifest cannot vouch for the file, so the plan is not taken from the cache and the edit is seen."""
    ahead = (time.time_ns() // 1_000_000_000 + 3600) * 1_000_000_000

    def coarse_stat(path):
        st = os.stat(path)
        return (st.st_size, ahead, ahead, st.st_ino)

    monkeypatch.setattr(scanner, "_stat", coarse_stat)
    root = build(tmp_path / "tree")
    first = runs("scan", root, "--format", "json")
    target = root / "src/shop/paths.py"
    target.write_text(target.read_text().replace("v8", "v7"))  # same size, same (coarse) stat
    again = runs("scan", root, "--format", "json")
    assert again.built == 1 and "paths.py" in again.read
    assert again.output != first.output
    assert again.output == runs("scan", root, "--format", "json", "--no-cache").output


def test_an_edit_after_an_edit_is_guessed_before_discovery(tmp_path, runs, monkeypatch):
    """`recently_changed`: the files the manifest saw change last are stat-ed first, so a run after another
    edit of them starts its worker before discovery; nothing changed, or a file edited long ago: no guess."""
    from scopeplan.scanner.cache import Cache

    root = build(tmp_path / "tree")
    runs("scan", root, "--format", "json")
    runs("scan", root, "--format", "json")  # settled: the manifest vouches for every file
    assert not scanner.recently_changed(root, Cache.open(root))
    edited, other = root / "src/shop/paths.py", root / "src/shop/__init__.py"
    edited.write_text(edited.read_text() + "\nA = 1\n")
    time.sleep(0.05)  # past the racy window: the run records this stat as the latest the manifest saw
    monkeypatch.setattr(scanner, "RECENT_FILES", 1)  # the manifest names only the latest file
    runs("scan", root, "--format", "json")
    assert Cache.open(root).manifest()["recent"] == ("src/shop/paths.py",)
    edited.write_text(edited.read_text() + "\nB = 2\n")
    assert scanner.recently_changed(root, Cache.open(root))
    runs("scan", root, "--format", "json")
    other.write_text(other.read_text() + "\nC = 3\n")  # changed, but not among the latest: left to discovery
    assert not scanner.recently_changed(root, Cache.open(root))
    edited.unlink()  # a recent file deleted: the run will not be the last one's either
    assert scanner.recently_changed(root, Cache.open(root))


def test_options_configuration_and_scopeplan_itself_are_part_of_the_key(tmp_path, runs, monkeypatch):
    root = _copy(SAMPLES[0], tmp_path / "project")
    runs("scan", root, "--format", "json")
    assert runs("scan", root, "--format", "json").built == 0
    compact = runs("scan", root, "--format", "json", "--compact")
    assert compact.built == 1
    assert compact.output == runs("scan", root, "--format", "json", "--compact", "--no-cache").output
    (root / "pyproject.toml").write_text('[tool.scopeplan]\nexclude = ["nothing/*.py"]\n')
    assert runs("scan", root, "--format", "json").built == 1  # the configuration changed
    assert runs("scan", root, "--format", "json").built == 0
    monkeypatch.setattr(plancache, "source_digest", lambda: "another build of scopeplan")
    assert runs("scan", root, "--format", "json").built == 1


def test_the_source_digest_follows_every_source_file(tmp_path):
    package = tmp_path / "scopeplan"
    shutil.copytree(plancache.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    first = plancache.source_digest(package)
    engine = package / "program" / "evaluate.py"
    engine.write_text(engine.read_text() + "\n# changed\n")
    plancache.source_digest.cache_clear()
    second = plancache.source_digest(package)
    assert second != first
    data = package / "data" / "catalogue_v8.json"
    os.utime(data, ns=(data.stat().st_atime_ns, data.stat().st_mtime_ns + 1_000_000_000))  # a rebuilt catalogue
    plancache.source_digest.cache_clear()
    assert plancache.source_digest(package) != second


def test_a_damaged_or_foreign_entry_is_rebuilt(tmp_path, runs):
    root = _copy(SAMPLES[0], tmp_path / "project")
    fresh = runs("scan", root, "--format", "json", "--no-cache").output
    runs("scan", root, "--format", "json")
    entries = list((root / ".scopeplan_cache").glob("*/values/plan-*-facts"))  # the one holding the plan
    assert len(entries) == 1
    data = entries[0].read_bytes()
    from scopeplan.scanner.cache import MAGIC

    assert data.startswith(MAGIC)  # the signed format of every cache entry
    entries[0].write_bytes(data[:-40] + bytes(40))  # signature no longer matches
    again = runs("scan", root, "--format", "json")
    assert again.built == 1 and again.output == fresh
    entries[0].write_bytes(b"not an entry")
    again = runs("scan", root, "--format", "json")
    assert again.built == 1 and again.output == fresh
    assert runs("scan", root, "--format", "json").built == 0
    pointer = next(p for p in (root / ".scopeplan_cache").glob("*/values/plan-*") if p not in entries)
    pointer.write_bytes(b"not an entry")  # the tree's entry: the files are scanned, the facts find the plan
    again = runs("scan", root, "--format", "json")
    assert (again.built, again.output) == (0, fresh)
    assert not list((root / ".scopeplan_cache").rglob(".tmp-*")), "a temporary file was left behind"


def test_no_cache_keeps_no_plan(tmp_path, runs):
    root = _copy(SAMPLES[0], tmp_path / "project")
    runs("scan", root, "--no-cache")
    assert runs("scan", root, "--no-cache").built == 1
    assert not (root / ".scopeplan_cache").exists()


def test_a_new_file_in_a_known_folder_is_found_and_builds_again(tmp_path, runs):
    root = build(tmp_path / "tree")
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:  # settled folders: listings kept
        st = folder.stat()
        os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns - 60_000_000_000))
    runs("scan", root, "--format", "json")
    before = runs("scan", root, "--format", "json")
    assert before.built == 0
    (root / "src/shop/extra.py").write_text('import httpx\n\n\ndef purge():\n'
                                            '    httpx.delete("https://www.zohoapis.com/crm/v8/Leads/1")\n')
    after = runs("scan", root, "--format", "json")
    assert after.built == 1 and "src/shop/extra.py" in after.output
    assert after.output == runs("scan", root, "--format", "json", "--no-cache").output


def test_a_new_set_of_options_on_a_known_tree_scans_the_same_files(tmp_path, runs):
    """A tree the manifest vouches for, with no plan kept for these options yet: the rebuilt plan leaves the
    test files out as any run does."""
    root = _copy(SAMPLES[0], tmp_path / "project")
    (root / "tests").mkdir()
    (root / "tests" / "test_calls.py").write_text(
        'import requests\n\n\ndef test_purge():\n    requests.delete("https://www.zohoapis.com/crm/v8/Deals/1")\n')
    runs("scan", root, "--format", "json")
    compact = runs("scan", root, "--format", "json", "--compact")
    assert compact.built == 1
    assert compact.output == runs("scan", root, "--format", "json", "--compact", "--no-cache").output


def _oauth_sample() -> Path:
    return next(p for p in SAMPLES if p.name == "oauth_web_v8")


def test_an_edit_that_changes_no_fact_keeps_the_plan(tmp_path, runs, monkeypatch):
    """A touch, or a comment added after the last line: the file is read and parsed again, its facts are the
    ones the plan was made of, so nothing is resolved again; the report is still what a fresh run prints."""
    root = _copy(_oauth_sample(), tmp_path / "project")
    runs("scan", root, "--format", "json")
    target = root / "webapp" / "crm.py"
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns - 5_000_000_000))  # a touch (settled at once)
    touched = runs("scan", root, "--format", "json")
    assert (touched.built, set(touched.read)) == (0, {"crm.py"})
    target.write_text(target.read_text() + "\n# a note for the next reader\n")
    noted = runs("scan", root, "--format", "json")
    assert (noted.built, set(noted.read)) == (0, {"crm.py"})  # read, perhaps twice (the racy window)
    assert noted.output == runs("scan", root, "--format", "json", "--no-cache").output
    assert runs("scan", root, "--format", "json").read == []  # the next warm run is vouched for again
    target.write_text(target.read_text() + "# another\n")
    monkeypatch.setattr(plancache, "source_digest", lambda: "another build of scopeplan")
    assert runs("scan", root, "--format", "json").built == 1  # same facts, another scopeplan: built again


def test_an_edit_that_moves_a_call_builds_the_plan_again(tmp_path, runs):
    root = _copy(_oauth_sample(), tmp_path / "project")
    before = runs("scan", root, "--format", "json")
    target = root / "webapp" / "crm.py"
    target.write_text("# a comment above everything: every line below moves\n" + target.read_text())
    after = runs("scan", root, "--format", "json")
    assert after.built == 1 and after.output != before.output
    assert after.output == runs("scan", root, "--format", "json", "--no-cache").output


def test_a_scope_setting_that_moves_builds_the_plan_again(tmp_path, runs):
    """The line of a module-level scope setting is read from the source, not kept in the facts: a blank
    comment moved from above it to below it changes the report and no fact, so it must change the key."""
    root = _copy(_oauth_sample(), tmp_path / "project")
    runs("scan", root, "--format", "json")
    before = runs("scan", root, "--format", "json", "--no-cache")
    assert "settings.py:8" in runs("scan", root).output
    target = root / "webapp" / "settings.py"
    lines = target.read_text().split("\n")
    assert lines[6].startswith("# What the consent") and lines[7].startswith("ZOHO_SCOPES = ")
    lines[6], lines[7] = lines[7], lines[6]  # the comment below the setting: nothing else moves
    target.write_text("\n".join(lines))
    after = runs("scan", root, "--format", "json")
    assert after.built == 1 and after.output != before.output
    assert after.output == runs("scan", root, "--format", "json", "--no-cache").output
    assert "settings.py:7" in runs("scan", root).output


def test_the_package_the_root_is_is_part_of_the_key(tmp_path, runs):
    """A root with an `__init__.py` names its own modules `root.x`, even when the configuration leaves
    that file out of the scan: removing it changes what resolves, with no scanned file changed."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.scopeplan]\nexclude = ["__init__.py"]\n')
    (root / "__init__.py").write_text("")
    (root / "b.py").write_text('URL = "https://www.zohoapis.com/crm/v8"\n')
    (root / "a.py").write_text("import requests\nfrom proj.b import URL\n\n\ndef purge():\n"
                               '    requests.delete(URL + "/Leads/1")\n')
    runs("scan", root, "--format", "json")
    before = runs("scan", root, "--format", "json")
    assert before.built == 0
    (root / "__init__.py").unlink()
    after = runs("scan", root, "--format", "json")
    assert after.output == runs("scan", root, "--format", "json", "--no-cache").output
    assert after.built == 1 and after.output != before.output
