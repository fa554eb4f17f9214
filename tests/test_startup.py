"""Start-up: a command imports what it needs when it needs it; `--version` needs nothing but the version."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from scopeplan.cli import main


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has imported after running `code`."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules), file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


def test_the_fast_version_line_is_clicks():
    fast = subprocess.run([sys.executable, "-m", "scopeplan", "--version"], capture_output=True, text=True, check=True)
    assert fast.stdout == CliRunner().invoke(main, ["--version"]).output
    assert fast.stdout.startswith("scopeplan, version ")


def test_version_imports_neither_click_nor_the_commands():
    loaded = _modules_after("import sys, runpy; sys.argv = ['scopeplan', '--version']; "
                            "runpy.run_module('scopeplan', run_name='__main__')")
    assert "scopeplan" in loaded
    assert not {m for m in loaded if m == "click" or m.startswith(("click.", "scopeplan."))} - {"scopeplan.__main__"}


def test_the_command_line_module_imports_no_engine_report_or_fetch_code():
    loaded = _modules_after("import scopeplan.cli")
    heavy = {"libcst", "httpx", "networkx", "scopeplan.report", "scopeplan.catalogue.fetch", "scopeplan.plan",
             "scopeplan.scanner", "scopeplan.model"}
    assert not heavy & loaded


def test_the_catalogue_group_is_there_when_asked_for():
    runner = CliRunner()
    listed = runner.invoke(main, ["--help"]).output
    assert "catalogue" in listed and "scan" in listed
    fetch_help = runner.invoke(main, ["catalogue", "fetch", "--help"])
    assert fetch_help.exit_code == 0 and "--dc" in fetch_help.output
    assert "[html|json|markdown|sarif|text]" in runner.invoke(main, ["scan", "--help"]).output
