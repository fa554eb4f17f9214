"""Discovery and module names on strings give what the Path versions gave."""

from __future__ import annotations

import os
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
