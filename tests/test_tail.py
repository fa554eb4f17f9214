"""An edit of only the comment and blank lines after a file's code keeps its facts without a parse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scopeplan.scanner import parallel, scan, scan_source
from scopeplan.scanner.tail import code_end
from test_prefilter import build

CASES = [  # (source, where its code ends; None: at the end, it has no tail)
    (b"x = 1\n", None),
    (b"x = 1\n# note\n", 6),
    (b"x = 1\n\n  # note\n\t\n", 6),
    (b"x = 1", None),  # no final newline: no tail
    (b"x = 1\n# note", None),
    (b"def f():\n    return 1\n    # indented\n", 22),
    (b"x = 1\n# scopeplan: ignore\n", None),  # a hint is read: not tail
    (b"x = 1\n# the Zoho sync\n", None),  # a sign of Zoho is read: not tail
    (b"x = 1\n# see /crm/v8/Leads\n", None),
    (b"x = 1\n# caf\xc3\xa9\n", None),  # not ASCII
    (b"x = 1\n# a \\ b\n", None),  # a backslash
    (b"x = 1\r\n# note\r\n", None),  # CR line ends
    (b"x = 1 + \\\n# note\n", None),  # a continued line before it
    (b"# only\n# comments\n", None),
    (b"x = 1\n# zoho\n# note\n", 13),  # the tail starts after the last line that is not one
]


@pytest.mark.parametrize("source,end", CASES, ids=[repr(c[0][-12:]) for c in CASES])
def test_code_end(source, end):
    assert code_end(source) == (len(source) if end is None else end)


TAILS = [b"\n# benchmark edit 1\n", b"    # indented note\n\n", b"#x\n", b"\n\n"]
SOURCES = [
    b'import requests\nURL = "https://www.zohoapis.com/crm/v8/Leads"\n\ndef f():\n    return requests.get(URL)\n',
    b"class A:\n    def f(self):\n        return self.get('/crm/v8/Deals')  # scopeplan: modules=Deals\n",
    b"x = (1,\n     2)\n",
    b'"""doc"""\n',
]


@pytest.mark.parametrize("tail", TAILS)
@pytest.mark.parametrize("source", SOURCES)
def test_a_tail_changes_no_fact(source, tail):
    assert code_end(source + tail) == len(source)
    assert scan_source(source + tail, Path("m.py")) == scan_source(source, Path("m.py"))


@pytest.fixture
def parsed(monkeypatch):
    log: list[str] = []
    real = parallel.parse_all

    def spy(jobs, workers=0, done=None):
        log.extend(relative.as_posix() for _, relative in jobs)
        return real(jobs, workers, done)

    monkeypatch.setattr(parallel, "parse_all", spy)
    return log


def _age(root: Path) -> None:
    for path in root.rglob("*.py"):
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 60 * 1_000_000_000))


@pytest.mark.parametrize("prefilter", [True, False])
def test_a_comment_appended_is_not_parsed_and_the_facts_are_a_fresh_scans(tmp_path, parsed, monkeypatch, prefilter):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    root = build(tmp_path / "tree")
    _age(root)
    scan(root, prefilter=prefilter)
    target = root / "src/shop/paths.py"
    original = target.read_bytes()
    for number in (1, 2, 10):  # each edit replaces the last one's comment, as an editor's would
        target.write_bytes(original + f"\n# edit {number}\n".encode())
        parsed.clear()
        facts = scan(root, prefilter=prefilter)
        assert "src/shop/paths.py" not in parsed
        assert facts == scan(root, use_cache=False, prefilter=prefilter)


@pytest.mark.parametrize("edit", [b"\n# scopeplan: ignore\n", b"\nx = 1\n", b"\n# names /crm/v2/Leads\n"])
def test_an_edit_the_scanner_reads_is_parsed(tmp_path, parsed, monkeypatch, edit):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    root = build(tmp_path / "tree")
    _age(root)
    scan(root)
    target = root / "src/shop/paths.py"
    target.write_bytes(target.read_bytes() + edit)
    parsed.clear()
    facts = scan(root)
    assert "src/shop/paths.py" in parsed
    assert facts == scan(root, use_cache=False)
