"""Loop bounds and retries, through the whole pipeline: the tables beside the rule in scopeplan/sites/loops.py."""

from __future__ import annotations

import pytest

from scopeplan.advice import BatchWrites
from scopeplan.sites.loops import CASES, NOT_CASES


def _worst(project, source):
    result = project({"m.py": source})
    (point,) = [p for p in result.entry_points if p.function == "m:f"]
    return result, point


@pytest.mark.parametrize("source, worst, why", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_retry_is_bounded_by_its_attempts_or_says_retry(project, source, worst, why):
    result, point = _worst(project, source)
    assert (point.worst_case, point.unbounded_because) == (worst, why)
    assert all(loop.retry for r in result.resolutions for loop in r.site.loops)


@pytest.mark.parametrize("source, worst, why", [c[1:] for c in NOT_CASES], ids=[c[0] for c in NOT_CASES])
def test_loops_that_are_not_retries(project, source, worst, why):
    result, point = _worst(project, source)
    assert (point.worst_case, point.unbounded_because) == (worst, why)
    assert not any(loop.retry for r in result.resolutions for loop in r.site.loops)


POST = 'requests.post("https://www.zohoapis.com/crm/v8/Leads", json={"data": [lead]})'


@pytest.mark.parametrize("source, batch", [
    pytest.param(f"import requests\ndef f(lead):\n    for attempt in range(3):\n        r = {POST}\n"
                 "        if r.ok:\n            return r\n", False, id="a retried insert is one record"),
    pytest.param(f"import requests\ndef f(leads):\n    for lead in leads:\n        {POST}\n", True, id="one per record"),
    pytest.param(f"import requests\ndef f(leads):\n    for lead in leads:\n        for attempt in range(3):\n"
                 f"            r = {POST}\n            if r.ok:\n                break\n", True,
                 id="a retry inside a loop over records"),
])
def test_batch_advice_is_for_loops_over_records_not_retries(project, source, batch):
    advice = project({"m.py": source}).advice
    assert any(isinstance(a, BatchWrites) for a in advice) is batch
