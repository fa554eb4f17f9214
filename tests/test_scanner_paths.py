"""Discovery and module names on strings give what the Path versions gave."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from scopeplan.scanner import discover, scan
from scopeplan.scanner.files import module_name

NAMES = ["a/b/c.py", "a/__init__.py", "__init__.py", "__init__", "x.py", ".hidden.py", "a/.b.py", "noext",
         "a/b..py", "src/x/y.pyw", "./a.py", "a//b.py", "a/../b.py"]


@pytest.mark.parametrize("relative", NAMES)
def test_module_name_of_a_string_is_that_of_its_path(relative):
    assert module_name(relative) == module_name(Path(relative))


def test_module_names_of_the_usual_cases():
    assert module_name("pkg/sub/mod.py") == ("pkg.sub.mod", False)
    assert module_name("pkg/__init__.py") == ("pkg", True)


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_discovery_returns_strings_and_knows_its_links(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "real.py").write_text("X = 1\n")
    os.symlink("real.py", tmp_path / "pkg" / "alias.py")
    found = discover(tmp_path)
    assert found == [str(tmp_path / "pkg" / "alias.py"), str(tmp_path / "pkg" / "real.py")]
    assert all(type(p) is str for p in found)
    assert found.links == {str(tmp_path / "pkg" / "alias.py")}
    # a link inside the root is read as the file it names, as before
    assert [f.path for f in scan(tmp_path, use_cache=False)] == ["pkg/real.py", "pkg/real.py"]
    assert scan(tmp_path, [Path(p) for p in found], use_cache=False) == scan(tmp_path, use_cache=False)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _age(root: Path) -> None:
    """Folders last changed a minute ago, as they usually are before a run: their listings can be trusted."""
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        st = folder.stat()
        os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns - 60_000_000_000))


def _same(root: Path, listings: dict) -> None:
    kept, plain = discover(root, listings), discover(root)
    assert (kept, kept.notices, kept.links) == (plain, plain.notices, plain.links)


CHANGES = {
    "add-a-file": lambda r: (r / "pkg" / "new.py").write_text(""),
    "remove-a-file": lambda r: (r / "pkg" / "a.py").unlink(),
    "add-a-folder": lambda r: _tree(r, {"pkg/sub2/x.py": ""}),
    "rename-a-folder": lambda r: (r / "pkg" / "sub").rename(r / "pkg" / "moved"),
    "make-a-venv": lambda r: (r / "pkg" / "sub" / "pyvenv.cfg").write_text(""),
    "add-a-skipped-folder": lambda r: _tree(r, {"pkg/node_modules/x.py": ""}),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_kept_folder_listings_find_what_a_fresh_listing_finds(tmp_path, change):
    root = _tree(tmp_path / "tree", {"pkg/a.py": "", "pkg/sub/b.py": "", "top.py": ""})
    _age(root)
    listings: dict = {}
    _same(root, listings)
    assert listings, "settled folders are kept"
    CHANGES[change](root)
    _same(root, listings)
    _same(root, listings)


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_folder_with_a_link_is_always_listed(tmp_path):
    root = _tree(tmp_path / "tree", {"pkg/a.py": "", "other/b.py": "", "other/c.py": ""})
    os.symlink(root / "other" / "b.py", root / "pkg" / "link.py")
    _age(root)
    listings: dict = {}
    _same(root, listings)
    assert str(root / "pkg") not in listings and str(root / "other") in listings
    (root / "pkg" / "link.py").unlink()
    os.symlink(tmp_path / "outside.py", root / "pkg" / "link.py")  # now dangling, same folder entry name
    _same(root, listings)


def test_a_folder_changed_within_the_racy_window_is_listed_again(tmp_path, monkeypatch):
    """A folder whose stat does not move when an entry is added (a coarse clock; here a time ahead of it)."""
    from scopeplan.scanner import files

    ahead = (time.time_ns() // 1_000_000_000 + 3600) * 1_000_000_000
    monkeypatch.setattr(files, "_folder_stat", lambda folder: (ahead, ahead, 1, 1))
    root = _tree(tmp_path / "tree", {"pkg/a.py": ""})
    listings: dict = {}
    discover(root, listings)
    (root / "pkg" / "b.py").write_text("")
    assert str(root / "pkg" / "b.py") in discover(root, listings)
