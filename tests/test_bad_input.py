"""Bad files are reported and the scan goes on; bad paths get a clear message and exit 3."""

from __future__ import annotations

import os
import sys

import pytest
from click.testing import CliRunner

from conftest import rows
from scopeplan.cli import main

GOOD = 'import requests\nrequests.get("https://www.zohoapis.com/crm/v2/Leads")\n'

# A file that cannot matter (no sign of Zoho, imports nothing that does) is not parsed, so only the broken
# files that could hold Zoho calls are reported: these mention a Zoho URL.
ZOHO = b'URL = "https://www.zohoapis.com/crm/v2/Leads"\n'
BAD_FILES = [
    # Python 2 alone is read through a translation (test_py2.py); broken Python 2 is still an error row.
    ("python2", ZOHO + b'print "hello"\ndef f(:\n', "not valid Python 3 (Python 2 code?)"),
    ("syntax", ZOHO + b"def f(:\n    pass\n", "not valid Python 3"),
    ("latin1-without-cookie", "x = 'caf\u00e9'\n".encode("latin-1"), "not valid utf-8 text"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
    ("unknown-encoding-cookie", b"# -*- coding: klingon -*-\nx = 1\n", "cannot decode the file"),
]


@pytest.mark.parametrize("data,message", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_an_error_row_and_the_scan_goes_on(tmp_path, project, data, message):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_bytes(data)
    result = project({"app/good.py": GOOD})
    assert [(e.file, message in e.message) for e in result.errors] == [("app/bad.py", True)]
    assert rows(result) == [("GET", "/crm/v2/Leads", "matched", ("ZohoCRM.modules.leads.READ",))]


def test_huge_file(tmp_path, project):
    (tmp_path / "big.py").write_bytes(b"x = 1\n" * 400_000)
    result = project({"app/good.py": GOOD})
    assert [e.file for e in result.errors] == ["big.py"] and "too large" in result.errors[0].message


def test_empty_files_are_fine(tmp_path, project):
    result = project({"app/__init__.py": "", "app/good.py": GOOD})
    assert result.errors == () and len(result.resolutions) == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path, project):
    locked = tmp_path / "locked.py"
    locked.write_text("x = 1\n")
    locked.chmod(0)
    result = project({"app/good.py": GOOD})
    assert [e.file for e in result.errors] == ["locked.py"] and "permission denied" in result.errors[0].message


def test_skipped_folders(tmp_path, project):
    for folder in (".venv/lib", "node_modules/x", ".git/hooks", "build", "env_like"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "m.py").write_text(GOOD)
    (tmp_path / "env_like" / "pyvenv.cfg").write_text("home = /usr\n")
    assert [r.site.location.file for r in project({"app/good.py": GOOD}).resolutions] == ["app/good.py"]


@pytest.mark.parametrize("setup,message", [
    (lambda p: p / "nope", "no such file or directory"),
    (lambda p: p, "no Python files to scan"),
])
def test_bad_paths_exit_3_with_a_message(tmp_path, setup, message):
    result = CliRunner().invoke(main, ["scan", str(setup(tmp_path))])
    assert result.exit_code == 3 and message in result.output


def test_strict_exits_3_on_failures_and_0_without(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    assert CliRunner().invoke(main, ["scan", str(tmp_path), "--strict"]).exit_code == 0
    (tmp_path / "bad.py").write_bytes(ZOHO + b"def f(:\n")
    assert CliRunner().invoke(main, ["scan", str(tmp_path)]).exit_code == 0
    assert CliRunner().invoke(main, ["scan", str(tmp_path), "--strict"]).exit_code == 3


def test_strict_exits_3_on_unresolved(tmp_path):
    (tmp_path / "w.py").write_text("import requests\ndef zoho_get(url):\n    return requests.get(url)\n")
    assert CliRunner().invoke(main, ["scan", str(tmp_path), "--strict"]).exit_code == 3


def test_help_documents_exit_codes():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0 and "Exit codes" in result.output
