"""Credits you can save: each kind of advice on a small project, and the code that must not draw it."""

from __future__ import annotations

import pytest

from scopeplan import catalogue
from scopeplan.advice import BatchWrites, CoqlTier, PollWithoutDelay, SearchInLoop, UseComposite, describe

HEAD = 'import time\nimport requests\nAPI = "https://www.zohoapis.com/crm/v8"\n'

CASES = [
    pytest.param('def push(rows):\n    for row in rows:\n        requests.post(API + "/Leads", json={"data": [row]})\n',
                 BatchWrites, id="insert-in-loop"),
    pytest.param('def put(row):\n    requests.put(f"{API}/Leads/{row}", json={"data": [row]})\n'
                 'def many(rows):\n    for row in rows:\n        put(row)\n', BatchWrites, id="update-in-callers-loop"),
    pytest.param('def find(emails):\n    for e in emails:\n        requests.get(API + "/Leads/search", params={"email": e})\n',
                 SearchInLoop, id="search-in-loop"),
    pytest.param('def q():\n    return requests.post(API + "/coql", json={"select_query": '
                 '"select Last_Name from Leads limit 1500"})\n', CoqlTier, id="coql-tier-3"),
    pytest.param('def two():\n    requests.get(API + "/users")\n    requests.get(API + "/org")\n', UseComposite,
                 id="two-independent-calls"),
    pytest.param('def wait(j):\n    while True:\n        r = requests.get(f"https://www.zohoapis.com/crm/bulk/v8/read/{j}")\n'
                 '        if r.ok:\n            return r\n', PollWithoutDelay, id="poll-without-sleep"),
]

NOT_CASES = [
    pytest.param('def push(rows):\n    requests.post(API + "/Leads", json={"data": rows})\n', id="one-batch-call"),
    pytest.param('def q():\n    return requests.post(API + "/coql", json={"select_query": '
                 '"select Last_Name from Leads limit 200"})\n', id="coql-cheapest-tier"),
    pytest.param('def wait(j):\n    while True:\n        r = requests.get(f"https://www.zohoapis.com/crm/bulk/v8/read/{j}")\n'
                 '        if r.ok:\n            return r\n        time.sleep(30)\n', id="poll-with-sleep"),
    pytest.param('def one():\n    requests.get(API + "/users")\n', id="a-single-call"),
    pytest.param('def each(ids):\n    for i in ids:\n        requests.get(f"{API}/Leads/{i}")\n', id="reads-in-loop"),
]


@pytest.fixture(scope="module")
def bundled():
    return catalogue.load()


@pytest.mark.parametrize("source, kind", CASES)
def test_advice(project, bundled, source, kind):
    advice = project({"app/crm.py": HEAD + source}, bundled).advice
    assert [type(a) for a in advice] == [kind]
    assert advice[0].sources and all(u.startswith("https://") for u in advice[0].sources)
    assert describe(advice[0])


@pytest.mark.parametrize("source", NOT_CASES)
def test_no_advice(project, bundled, source):
    assert project({"app/crm.py": HEAD + source}, bundled).advice == ()


def test_batch_numbers_for_a_static_loop(project):
    (a,) = project({"app/crm.py": HEAD + 'def push():\n    for row in range(250):\n'
                                         '        requests.post(API + "/Leads", json={"data": [row]})\n'}).advice
    assert (a.calls_now, a.credits_now, a.calls_after, a.credits_after) == (250, 250, 3, 25)
    assert "250 records: 250 calls and 250 credits one at a time, 3 calls and 25 credits in batches" in describe(a)


def test_composite_groups_at_most_five(project):
    calls = "".join(f'    requests.get(API + "/Leads/{i}")\n' for i in range(7))
    advice = project({"app/crm.py": HEAD + "def many():\n" + calls}).advice
    assert [len(a.sites) for a in advice] == [5, 2]


def test_advice_is_never_a_failure(project):
    result = project({"app/crm.py": HEAD + CASES[0].values[0]})
    assert result.advice and result.complete
