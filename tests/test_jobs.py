"""Scopes per job: entry points by framework decorator, by configuration and by having no caller; split advice."""

from __future__ import annotations

import pytest

from scopeplan.jobs import Configured, Decorated, Uncalled, framework

FRAMEWORKS = [
    ("celery.shared_task", "Celery task"), ("proj.celery.app.task", "task (Celery/Airflow)"),
    ("click.command", "click command"), ("cli.command", "CLI command"), ("rq.decorators.job", "RQ job"),
    ("web.app.app.route", "Flask/FastAPI route"), ("router.get", "HTTP route"), ("api.post", "HTTP route"),
    ("rest_framework.decorators.api_view", "Django REST view"),
    ("django.views.decorators.http.require_POST", "Django view"), ("mcp.tool", "MCP tool"),
    ("server.mcp.tool", "MCP tool"), ("airflow.decorators.task", "Airflow task"), ("airflow.decorators.dag", "Airflow DAG"),
]
NOT_FRAMEWORKS = ["property", "staticmethod", "functools.lru_cache", "functools.wraps", "contextlib.contextmanager",
                  "pytest.fixture", "retry", "app.errorhandler", "cache.memoize"]


@pytest.mark.parametrize("decorator, name", FRAMEWORKS)
def test_framework_decorators(decorator, name):
    assert framework(decorator) == name


@pytest.mark.parametrize("decorator", NOT_FRAMEWORKS)
def test_decorators_that_do_not_make_an_entry_point(decorator):
    assert framework(decorator) is None


JOBS = {
    "app/crm.py": '''
        import requests
        API = "https://www.zohoapis.com/crm/v8"
        def leads():
            return requests.get(API + "/Leads")
        def drop(lead_id):
            requests.delete(f"{API}/Leads/{lead_id}")
    ''',
    "app/tasks.py": '''
        from celery import shared_task
        from app import crm
        @shared_task
        def export():
            return crm.leads()
        @shared_task
        def purge():
            for lead in crm.leads():
                crm.drop(lead["id"])
        def run_all():
            export()
            purge()
    ''',
}


def test_each_job_gets_the_scopes_under_it(project):
    result = project(JOBS)
    jobs = {j.function: j for j in result.jobs}
    assert jobs["app.tasks:export"].scopes == ("ZohoCRM.modules.leads.READ",)
    assert jobs["app.tasks:purge"].scopes == ("ZohoCRM.modules.leads.DELETE", "ZohoCRM.modules.leads.READ")
    # a Celery task called by another function is still an entry point: the worker runs it on its own
    assert jobs["app.tasks:export"].why == (Decorated("celery.shared_task", "Celery task"),)
    assert Uncalled() in jobs["app.tasks:run_all"].why
    assert {e.function for e in result.entry_points} >= {"app.tasks:export", "app.tasks:purge", "app.tasks:run_all"}


def test_a_read_only_job_sharing_a_token_with_a_deleting_one_is_told_to_split(project):
    (split,) = project(JOBS).splits
    assert split.job == "app.tasks:export"
    assert split.needs == ("ZohoCRM.modules.leads.READ",)
    assert split.spared == ("ZohoCRM.modules.leads.DELETE",)
    assert "app.tasks:purge" in split.writers


def test_no_split_when_nothing_deletes(project):
    files = dict(JOBS)
    files["app/crm.py"] = files["app/crm.py"].split("        def drop")[0]
    files["app/tasks.py"] = files["app/tasks.py"].split("        @shared_task\n        def purge")[0]
    assert project(files).splits == ()


def test_configured_entry_points(tmp_path, small_catalogue):
    import textwrap

    from scopeplan.config import load
    from scopeplan.plan import plan

    for name, source in JOBS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(source))
    (tmp_path / "pyproject.toml").write_text('[tool.scopeplan]\nentry-points = ["app.crm:le*"]\n')
    jobs = {j.function: j for j in plan(tmp_path, small_catalogue, config=load(tmp_path)).jobs}
    assert Configured("app.crm:le*") in jobs["app.crm:leads"].why


H = "https://www.zohoapis.com"
# (id, source of app/crm.py, the scopes of job `app.crm:job`): an unresolved call's certain scopes count in the
# job as they count in the plan's scope set; the module-dependent rest does not (it is not certain).
UNRESOLVED_JOBS = [
    ("matched-only", f'import requests\ndef job():\n    return requests.get("{H}/crm/v8/Leads")\n',
     ("ZohoCRM.modules.leads.READ",)),
    ("runtime-coql-keeps-coql-read",
     f'import requests\ndef job(q):\n    return requests.post("{H}/crm/v8/coql", json={{"select_query": q}})\n',
     ("ZohoCRM.coql.READ",)),
    ("runtime-coql-beside-a-matched-call",
     f'import requests\ndef job(q):\n    requests.get("{H}/crm/v8/users")\n'
     f'    return requests.post("{H}/crm/v8/coql", json={{"select_query": q}})\n',
     ("ZohoCRM.coql.READ", "ZohoCRM.users.READ")),
    ("runtime-coql-under-a-helper",
     f'import requests\ndef query(q):\n    return requests.post("{H}/crm/v8/coql", json={{"select_query": q}})\n'
     'def job():\n    return query(input())\n',
     ("ZohoCRM.coql.READ",)),
    ("module-hole-keeps-nothing-certain",
     f'import requests\ndef job(m):\n    requests.get("{H}/crm/v8/users")\n    return requests.get(f"{H}/crm/v8/{{m}}")\n',
     ("ZohoCRM.users.READ",)),
]


@pytest.mark.parametrize("source, scopes", [c[1:] for c in UNRESOLVED_JOBS], ids=[c[0] for c in UNRESOLVED_JOBS])
def test_a_job_keeps_the_certain_scopes_of_its_unresolved_calls(project, source, scopes):
    result = project({"app/crm.py": source})
    jobs = {j.function: j for j in result.jobs}
    assert jobs["app.crm:job"].scopes == scopes
    # every job's scopes are in the plan's set, and the set is no more than what the jobs need
    assert set(scopes) <= set(result.scope_names)
    assert set(result.scope_names) == {s for j in result.jobs for s in j.scopes}
    # and the picture of jobs, endpoints and scopes draws them
    from scopeplan.report.graph import build

    assert set(scopes) <= {n.label for n in build(result).nodes if n.id.startswith("s")}


def _reach_as_written(graph, start):
    """jobs._reach as it was first written (each job builds its own index of callers): the oracle."""
    seen, todo = {start}, [start]
    while todo:
        for callee, _ in graph.get(todo.pop(), ()):
            if callee not in seen:
                seen.add(callee)
                todo.append(callee)
    into = {}
    for caller in seen:
        for callee, loops in graph.get(caller, ()):
            into.setdefault(callee, []).append((caller, loops))
    times, active = {}, set()

    def count(fn):
        if fn in times:
            return times[fn]
        if fn in active:
            return None, f"recursion through {fn}"
        active.add(fn)
        total = (1, None) if fn == start else (0, None)
        for caller, loops in sorted(into.get(fn, ()), key=lambda c: c[0]):
            n, why = count(caller) if caller != fn else (None, f"recursion in {fn}")
            for loop in loops:
                if n is None:
                    break
                n, why = (None, loop.describe()) if loop.bound is None else (n * loop.bound, None)
            if total[0] is not None:
                total = (None, why) if n is None else (total[0] + n, None)
        active.discard(fn)
        times[fn] = total
        return total

    for fn in sorted(seen):
        count(fn)
    return times


@pytest.mark.parametrize("seed", range(40))
def test_reach_counts_as_first_written(seed):
    """Callers indexed in sorted order give the counts (and reasons) of callers sorted at each count, cycles included."""
    import random

    from scopeplan.jobs import _outgoing, _reach
    from scopeplan.model import LoopBound

    rng = random.Random(seed)
    names = [f"m:f{i}" for i in range(rng.randint(2, 12))]
    graph: dict = {}
    for _ in range(rng.randint(1, 30)):
        loops = tuple(LoopBound(f"m.py:{rng.randint(1, 9)}", rng.choice(["for", "while"]), rng.choice([None, 2, 3]))
                      for _ in range(rng.randint(0, 2)))
        graph.setdefault(rng.choice(names), []).append((rng.choice(names), loops))
    outgoing = _outgoing(graph)
    for start in names:
        assert _reach(graph, start, outgoing) == _reach(graph, start) == _reach_as_written(graph, start)
