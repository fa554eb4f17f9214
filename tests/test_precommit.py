"""The real `pre-commit` runs this repository's hook on a scratch integration: it passes, then fails on a new scope.

`pre-commit try-repo` installs the hook from a git repository at a commit, plus only the tracked changes of a
dirty work tree, so the test commits a snapshot of this work tree (package, pyproject, hook manifest) to a
scratch repository first: what is tested is the code in front of you, committed or not. Installing the hook's
environment needs PyPI (pip installs scopeplan's dependencies); running the hook needs no network.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scopeplan.cli import main

ROOT = Path(__file__).resolve().parent.parent
LEGACY = ROOT / "sample_projects" / "legacy_requests_v2"
NOTES = '''\
import requests

from crm_sync.auth import auth_headers
from crm_sync.settings import ZOHO_API_BASE


def add_note(parent_id, text):
    return requests.get(f"{ZOHO_API_BASE}/Notes", params={"parent_id": parent_id, "text": text},
                        headers=auth_headers())
'''

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                       reason="pre-commit is not installed (pip install -e '.[test]' brings it)"),
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), GIT_AUTHOR_NAME="scopeplan tests",
               GIT_AUTHOR_EMAIL="tests@example.invalid", GIT_COMMITTER_NAME="scopeplan tests",
               GIT_COMMITTER_EMAIL="tests@example.invalid")
    return env


def _git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=repo,
                   env=env, check=True, capture_output=True)


def _snapshot(target: Path, env: dict[str, str]) -> Path:
    """This work tree's installable files, committed to a fresh repository."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "scopeplan", target / "scopeplan", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git(target, env, "init", "-q")
    _git(target, env, "add", "-A")
    _git(target, env, "commit", "-qm", "snapshot of the scopeplan work tree")
    return target


def _try_repo(hook_repo: Path, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "scopeplan", "--all-files"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)


def test_the_hook_passes_then_fails_on_a_commit_that_needs_a_new_scope(tmp_path, monkeypatch):
    env = _env(tmp_path)
    hook_repo = _snapshot(tmp_path / "scopeplan", env)
    project = tmp_path / "integration"
    shutil.copytree(LEGACY / "crm_sync", project / "crm_sync", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(project)
    assert CliRunner().invoke(main, ["baseline"]).exit_code == 0
    _git(project, env, "init", "-q")
    _git(project, env, "add", "-A")
    _git(project, env, "commit", "-qm", "integration and its baseline")

    passed = _try_repo(hook_repo, project, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "scopeplan scope drift" in passed.stdout and "Passed" in passed.stdout

    (project / "crm_sync" / "notes.py").write_text(NOTES)
    _git(project, env, "add", "-A")
    _git(project, env, "commit", "-qm", "add notes")
    failed = _try_repo(hook_repo, project, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout and "exit code: 1" in failed.stdout
    assert "New scope ZohoCRM.modules.notes.READ" in failed.stdout
    assert "crm_sync/notes.py:8  crm_sync.notes:add_note" in failed.stdout


def _readme_recipe() -> str:
    """The `.pre-commit-config.yaml` block of the README's pre-commit section, exactly as a reader copies it."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### pre-commit", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the pre-commit section has one yaml block: the recipe"
    return blocks[0]


PLACEHOLDER = "https://github.com/<owner>/scopeplan@<commit>"


def test_the_readme_recipe_runs_with_the_real_pre_commit(tmp_path, monkeypatch):
    """The README's `repo: local` hook, with only its placeholder filled in, passes then fails on a new scope."""
    recipe = _readme_recipe()
    assert recipe.count(PLACEHOLDER) == 1 and "repo: local" in recipe
    env = _env(tmp_path)
    hook_repo = _snapshot(tmp_path / "scopeplan", env)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env, capture_output=True, text=True,
                            check=True).stdout.strip()
    project = tmp_path / "integration"
    shutil.copytree(LEGACY / "crm_sync", project / "crm_sync", ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".pre-commit-config.yaml").write_text(recipe.replace(PLACEHOLDER, f"file://{hook_repo}@{commit}"))
    monkeypatch.chdir(project)
    assert CliRunner().invoke(main, ["baseline"]).exit_code == 0
    _git(project, env, "init", "-q")
    _git(project, env, "add", "-A")
    _git(project, env, "commit", "-qm", "integration, its baseline and the README's hook")

    def hook() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=900)

    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "scopeplan scope drift" in passed.stdout and "Passed" in passed.stdout
    (project / "crm_sync" / "notes.py").write_text(NOTES)
    _git(project, env, "add", "-A")
    failed = hook()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "New scope ZohoCRM.modules.notes.READ" in failed.stdout
