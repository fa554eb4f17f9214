"""The HTML report: deterministic, self-contained, and drawn by a real headless browser (Debian's chromium)."""

from __future__ import annotations

import re
from html import escape
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from scopeplan import catalogue, config
from scopeplan.plan import plan
from scopeplan.report import FORMATS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_projects" / "self_client_jobs_v8"
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
NEEDS_BROWSER = pytest.mark.skipif(BROWSER is None, reason="no chromium installed (Debian: apt-get install chromium; "
                                                           ".ci/run installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND"]  # and should the page ask for anything, nothing resolves


@pytest.fixture(scope="module")
def sample_plan():
    return plan(SAMPLE, catalogue.load(), config=config.load(SAMPLE))


@pytest.fixture(scope="module")
def page(sample_plan, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(FORMATS["html"](sample_plan), encoding="utf-8")
    return path


def test_the_page_is_deterministic(sample_plan):
    again = plan(SAMPLE, catalogue.load(), config=config.load(SAMPLE))
    assert FORMATS["html"](sample_plan) == FORMATS["html"](again)


def test_the_page_loads_nothing_from_anywhere(page):
    text = page.read_text()
    assert not re.search(r"<script|<link|<img|<iframe|@import|\bsrc=", text, re.IGNORECASE)
    assert not re.search(r"url\((?!#)", text)  # only in-page references such as url(#arrow)
    assert "<svg" in text and "</html>" in text


def test_markdown_carries_the_same_graph_as_mermaid(sample_plan):
    md = FORMATS["markdown"](sample_plan)
    block = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith("flowchart LR")
    for name, _ in sample_plan.scopes:
        assert name in block
    assert '-->|"unbounded"|' in block


def _browser(*args, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True,
                          text=True, timeout=120)


@NEEDS_BROWSER
def test_every_scope_and_call_site_is_in_the_rendered_dom(page, sample_plan, tmp_path):
    run = _browser("--dump-dom", page.as_uri(), tmp=tmp_path)
    dom = run.stdout
    assert "<svg" in dom, run.stderr[-2000:]
    for name, _ in sample_plan.scopes:
        assert name in dom
    for r in sample_plan.resolutions:
        assert f"{r.site.location.file}:{r.site.location.line}" in dom
    for job in sample_plan.jobs:
        assert job.function in dom
    assert dom.count('class="n0 ') == len(sample_plan.jobs)  # one box per job in the graph


@NEEDS_BROWSER
def test_the_graph_renders_in_a_screenshot(page, tmp_path):
    shot = tmp_path / "shot.png"
    run = _browser("--window-size=1280,720", f"--screenshot={shot}", page.as_uri(), tmp=tmp_path)
    assert shot.exists(), run.stderr[-2000:]
    width, height, colours = _png_summary(shot.read_bytes())
    assert (width, height) == (1280, 720)
    # the three box colours of the graph (jobs blue, endpoints green, scopes yellow) are on screen
    assert {(0xE8, 0xF0, 0xFE), (0xF1, 0xF8, 0xE9), (0xFF, 0xF8, 0xE1)} <= colours


def _png_summary(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of RGB colours of an 8-bit RGB(A) PNG: no imaging library needed."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour_type = header[:4]
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, colours = [], bytearray(stride), set()
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            left = cur[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                cur[i] = (cur[i] + left) & 255
            elif kind == 2:
                cur[i] = (cur[i] + up) & 255
            elif kind == 3:
                cur[i] = (cur[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                cur[i] = (cur[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        colours.update(tuple(cur[i:i + 3]) for i in range(0, stride, channels))
        previous = cur
        rows.append(None)
    return width, height, colours


def test_the_page_says_what_the_text_report_warns_about(project):
    """Incomplete scope sets, files that name Zoho but gave no site, and hint problems are on the page too."""
    result = project({
        "app/crm.py": "import zcrmsdk\n\ndef leads(modules):\n    return modules['Leads'].get_records()\n",
        "app/api.py": "import requests\n\ndef get(module):\n"
                      "    return requests.get(f'https://www.zohoapis.com/crm/v2/{module}')\n",
        "app/bad.py": "import requests\nrequests.get('https://www.zohoapis.com/crm/v2/Leads')  # scopeplan: modules\n",
    })
    html = FORMATS["html"](result)
    assert result.warnings and result.open_calls and result.problems
    assert '<p class="incomplete">' in html and "could need more" in html
    assert "Files that name Zoho CRM but gave no call site" in html and "imports zcrmsdk (line 1)" in html
    for problem in result.problems:
        assert escape(problem.message) in html
