"""Worst-case credits over the call graph: static loops multiply, while loops and recursion are unbounded."""

from __future__ import annotations

import pytest

from scopeplan.config import Config
from scopeplan.plan import plan

H = "https://www.zohoapis.com/crm/v8"


def points(result):
    return {p.function: (p.worst_case, p.unbounded_because) for p in result.entry_points}


CASES = [
    ("single-call", f'import requests\ndef main():\n    requests.get("{H}/Leads")\n', {"app.m:main": (1, None)}),
    ("range-loop", f'import requests\ndef main():\n    for _ in range(5):\n        requests.post("{H}/Leads", json={{}})\n',
     {"app.m:main": (50, None)}),  # 5 x POST Leads at up to 10 credits
    ("loop-over-modules-counts-each-once",
     f'import requests\ndef main():\n    for m in ("Leads", "Deals"):\n        requests.get(f"{H}/{{m}}")\n',
     {"app.m:main": (2, None)}),
    ("pagination-while", f'import requests\ndef main():\n    more = True\n    while more:\n'
                         f'        more = requests.get("{H}/Leads").json()["info"]["more_records"]\n',
     {"app.m:main": (None, "while loop at app/m.py:4")}),
    ("loop-hint", f'import requests\ndef main():\n    page = 1\n    while page:  # scopeplan: loop<=20\n'
                  f'        page = requests.get("{H}/Leads").json()\n', {"app.m:main": (20, None)}),
    ("loop-over-argument", f'import requests\ndef main(ids):\n    for i in ids:\n        requests.get(f"{H}/Leads/{{i}}")\n',
     {"app.m:main": (None, "for loop at app/m.py:3")}),
    ("callee-in-loop", f'import requests\ndef one():\n    requests.get("{H}/users")\n'
                       f'def main():\n    for _ in range(3):\n        one()\n', {"app.m:main": (3, None)}),
    ("recursion", f'import requests\ndef walk(page):\n    data = requests.get(f"{H}/Leads?page={{page}}").json()\n'
                  f'    if data:\n        walk(page + 1)\ndef main():\n    walk(1)\n',
     {"app.m:main": (None, "recursion: app.m:walk -> app.m:walk")}),
]


@pytest.mark.parametrize("source,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_entry_points(project, source, expected):
    assert points(project({"app/m.py": source})) == expected


def test_configured_entry_point_and_budget(tmp_path, small_catalogue):
    (tmp_path / "m.py").write_text(f'import requests\ndef one():\n    requests.get("{H}/users")\n'
                                   f'def main():\n    for _ in range(4):\n        one()\n')
    config = Config(entry_points=("m:one",), edition="enterprise", users=25, runs_per_day=(("*", 100),))
    result = plan(tmp_path, small_catalogue, config=config)
    assert points(result) == {"m:main": (4, None), "m:one": (1, None)}
    b = result.budget
    assert (b.allowance, b.daily_worst_case) == (75_000, 500)  # 50,000 + 25 x 1,000; (4 + 1) x 100
    assert b.share == pytest.approx(500 / 75_000)


def test_edition_limits_are_overridable(tmp_path, small_catalogue):
    (tmp_path / "m.py").write_text(f'import requests\ndef main():\n    requests.get("{H}/users")\n')
    config = Config(edition="enterprise", users=10, edition_limits=(("enterprise", (("base", 15000), ("per_user", 1000))),))
    b = plan(tmp_path, small_catalogue, config=config).budget
    assert b.allowance == 25_000 and "edition-limits" in b.source


def _networkx_entry_points(costs, edges, configured=()):
    """The worst cases as scopeplan computed them with networkx (condensation, topological order): the
    reference the graph code in credits.py must agree with."""
    import fnmatch

    nx = pytest.importorskip("networkx")
    from scopeplan.credits import _add, _reaches_cost, _scale

    graph = nx.DiGraph()
    own = {}
    for fn, cost in costs:
        graph.add_node(fn)
        own[fn] = _add(own.get(fn, (0, None)), cost)
    for caller, callee, loops in edges:
        graph.add_edge(caller, callee, loops=loops)
    worst = {}
    dag = nx.condensation(graph)
    for component in reversed(list(nx.topological_sort(dag))):
        members = sorted(dag.nodes[component]["members"])
        recursive = len(members) > 1 or graph.has_edge(members[0], members[0])
        for fn in members:
            total = own.get(fn, (0, None))
            for _, callee, data in graph.out_edges(fn, data=True):
                if callee not in members:
                    total = _add(total, _scale(worst[callee], data["loops"]))
            if recursive and _reaches_cost(total):
                total = (None, f"recursion: {' -> '.join(members + [members[0]])}")
            worst[fn] = total
    roots = {n for n in graph if graph.in_degree(n) == 0 or (graph.in_degree(n) == 1 and graph.has_edge(n, n))}
    chosen = set(configured)
    for pattern in configured:
        chosen |= {n for n in graph if fnmatch.fnmatchcase(n, pattern)}
    return tuple((fn, *worst[fn]) for fn in sorted((roots | chosen) & set(graph)) if worst[fn] != (0, None))


@pytest.mark.parametrize("seed", range(60))
def test_the_call_graph_walk_agrees_with_networkx(seed):
    """Random call graphs (cycles, self-calls, repeated edges, unbounded loops, configured globs)."""
    import random

    from scopeplan.credits import from_costs
    from scopeplan.model import LoopBound

    rng = random.Random(seed)
    names = [f"m:f{i}" for i in range(rng.randint(1, 14))]
    loops = [(), (LoopBound("a.py:1", "for", 3),), (LoopBound("a.py:2", "while", None),),
             (LoopBound("a.py:3", "for", 2), LoopBound("a.py:4", "for", 5))]
    costs = [(rng.choice(names), rng.choice([(1, None), (10, None), (0, None), (None, "while loop at b.py:9")]))
             for _ in range(rng.randint(1, 8))]
    edges = [(rng.choice(names), rng.choice(names), rng.choice(loops)) for _ in range(rng.randint(0, 30))]
    configured = rng.choice([(), ("m:f1",), ("m:f*",)])
    found = tuple((p.function, p.worst_case, p.unbounded_because) for p in from_costs(costs, edges, configured))
    assert found == _networkx_entry_points(costs, edges, configured)


def test_a_call_chain_deeper_than_the_recursion_limit_is_walked():
    import sys

    from scopeplan.credits import from_costs

    depth = sys.getrecursionlimit() * 2
    edges = [(f"m:f{i}", f"m:f{i + 1}", ()) for i in range(depth)]
    found = from_costs([(f"m:f{depth}", (1, None))], edges)
    assert [(p.function, p.worst_case) for p in found] == [("m:f0", 1)]
