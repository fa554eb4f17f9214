"""Python 2 files are read through a line-preserving translation; Python 3 files never are."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scopeplan.scanner import py2, scan_source
from scopeplan.scanner.ir import Glob

URL = '"https://www.zohoapis.com/crm/v2/Leads"'

# (id, Python 2 source with `CALL` where the HTTP call goes): the call must keep its line.
CASES = [
    ("print-statement", 'print "fetching"\nr = CALL\nprint r.status_code, "done"\n'),
    ("print-chevron", 'import sys\nprint >>sys.stderr, "x"  # valid Python 3 alone\nprint "y"\nr = CALL\n'),
    ("except-comma", 'try:\n    r = CALL\nexcept Exception, e:\n    print e\n'),
    ("backticks", 'r = CALL\nlabel = `r`\n'),
    ("not-equal", 'r = CALL\nif r.status_code <> 200:\n    raise ValueError, "bad status"\n'),
    ("octal-and-long", 'mode = 0644\nlimit = 200L\nr = CALL\n'),
    ("ur-prefix", 'pattern = ur"\\d+"\nr = CALL\n'),
    ("exec-in", 'exec "x = 1" in {}\nr = CALL\n'),
    ("list-comp-tuple", 'ids = [i for i in 1, 2]\nr = CALL\n'),
    ("call-inside-print", 'print requests.get(' + URL + ').json()\n'),
]


def _source(body: str) -> bytes:
    return ("import requests\n" + body.replace("CALL", f"requests.get({URL})")).encode()


@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_python2_call_keeps_its_line(body):
    data = _source(body)
    facts = scan_source(data, Path("legacy.py"))
    assert facts.error is None and facts.python2
    expected = next(i for i, line in enumerate(data.decode().splitlines(), 1) if "requests.get" in line)
    assert [i.line for i in facts.invokes if i.callee == Glob("requests.get")] == [expected]


NOT_PYTHON = [
    ("unclosed-paren", "import requests\nrequests.get(\n"),
    ("bad-def", "def (:\n    pass\n"),
    ("python2-and-broken", 'print "x"\ndef f(:\n'),
]


@pytest.mark.parametrize("source", [c[1] for c in NOT_PYTHON], ids=[c[0] for c in NOT_PYTHON])
def test_a_file_neither_grammar_accepts_is_an_error_row(source):
    facts = scan_source(source.encode(), Path("broken.py"))
    assert facts.error is not None and facts.error.startswith("not valid Python 3")
    assert not facts.python2 and not facts.invokes


def test_a_python3_file_is_never_translated(monkeypatch):
    def refuse(text):
        raise AssertionError("a Python 3 file reached the Python 2 translation")

    monkeypatch.setattr(py2, "translate", refuse)
    facts = scan_source(_source("r = CALL\nprint(r)\n"), Path("modern.py"))
    assert facts.error is None and not facts.python2 and len(facts.invokes) == 1


def test_translation_never_renames_modules():
    """`urllib2` stays `urllib2`: the models know the Python 2 names; a rename would change the call."""
    text = 'import urllib2\nprint "x"\nurllib2.urlopen("https://www.zohoapis.com/crm/v2/Leads")\n'
    assert py2.translate(text) == 'import urllib2\nprint("x")\nurllib2.urlopen("https://www.zohoapis.com/crm/v2/Leads")\n'


def test_the_plan_lists_python2_files_as_a_notice_not_an_error(project):
    result = project({
        "old.py": textwrap.dedent(f'''\
            import requests
            print "sync"
            requests.get({URL})
        '''),
        "new.py": f"import requests\nrequests.get({URL})\n",
    })
    assert result.python2 == ("old.py",)
    assert result.errors == ()
    assert sorted((r.site.location.file, r.site.location.line) for r in result.resolutions) == [
        ("new.py", 2), ("old.py", 3)]
