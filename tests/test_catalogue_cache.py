"""The live-catalogue cache: where it lives, atomic writes, keys and selectors, staleness, `load("live")`."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SMALL
from scopeplan.catalogue import CatalogueError, cache, load, parse
from scopeplan.catalogue.target import Fetched, Filter, Target
from scopeplan.cli import main

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
PAYLOAD = json.dumps(SMALL, indent=1).encode()  # Zoho's bytes, kept as they came: never re-serialised


def fetched(payload: bytes = PAYLOAD, url: str = "https://www.zohoapis.com/crm/v8/__apis", filter=None) -> Fetched:
    return Fetched(payload, parse(payload, source="live", origin=url), url, filter)


def other_payload(max_credits: int) -> bytes:
    doc = json.loads(PAYLOAD)
    doc["__apis"][0]["operation_types"][0]["max_credits"] = max_credits
    return json.dumps(doc).encode()


@pytest.fixture
def where(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("SCOPEPLAN_CACHE_DIR", str(directory))
    return directory


@pytest.mark.parametrize("environ, platform, expected", [
    ({"SCOPEPLAN_CACHE_DIR": "/x/sp", "XDG_CACHE_HOME": "/xdg", "HOME": "/h"}, "linux", "/x/sp"),
    ({"XDG_CACHE_HOME": "/xdg", "HOME": "/h"}, "linux", "/xdg/scopeplan"),
    ({"XDG_CACHE_HOME": "relative/ignored", "HOME": "/h"}, "linux", "/h/.cache/scopeplan"),
    ({"HOME": "/h"}, "linux", "/h/.cache/scopeplan"),
    ({"HOME": "/h"}, "darwin", "/h/Library/Caches/scopeplan"),
    ({"HOME": "/h", "LOCALAPPDATA": "/appdata"}, "win32", "/appdata/scopeplan/Cache"),
    ({"SCOPEPLAN_CACHE_DIR": "/x/sp", "HOME": "/h"}, "win32", "/x/sp"),
], ids=["override", "xdg", "relative-xdg", "home", "macos", "windows", "override-windows"])
def test_cache_dir(environ, platform, expected):
    assert cache.cache_dir(environ, platform) == Path(expected)


def test_write_atomic_replaces_whole_files_and_leaves_no_temp(tmp_path):
    target = tmp_path / "deep" / "file.json"
    cache.write_atomic(target, b"one")
    cache.write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_a_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "file.json"
    cache.write_atomic(target, b"good")

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        cache.write_atomic(target, b"half")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]


def test_save_keeps_the_payload_unchanged_with_metadata_beside_it(where):
    entry = cache.save(fetched(), Target(dc="eu", environment="sandbox"), now=NOW)
    assert entry.key == "eu-sandbox-v8" and entry.payload.parent == where / "catalogues" / "eu-sandbox-v8"
    assert entry.payload.read_bytes() == PAYLOAD
    meta = json.loads(entry.meta.read_bytes())
    assert meta == {
        "schema": "scopeplan.catalogue-cache/1", "key": "eu-sandbox-v8", "dc": "eu", "environment": "sandbox",
        "version": "v8", "api_version": "v8", "url": "https://www.zohoapis.com/crm/v8/__apis",
        "fetched_at": "2026-05-01T12:00:00.000000Z", "digest": entry.digest, "endpoints": 12,
        "payload": entry.payload.name,
    }
    assert entry.digest == parse(PAYLOAD, source="x", origin="x").digest


def test_a_filtered_catalogue_is_never_cached(where):
    with pytest.raises(CatalogueError, match="partial"):
        cache.save(fetched(filter=Filter.parse("module=Leads")), Target())
    assert not where.exists()


def test_find_picks_the_newest_for_a_selector(where):
    old = cache.save(fetched(), Target(dc="us"), now=NOW - timedelta(days=2))
    eu = cache.save(fetched(other_payload(20)), Target(dc="eu"), now=NOW - timedelta(days=1))
    us = cache.save(fetched(other_payload(30)), Target(dc="us"), now=NOW)
    dev = cache.save(fetched(other_payload(40)), Target(dc="eu", environment="developer"), now=NOW - timedelta(hours=1))
    assert [e.digest for e in cache.entries()] == [us.digest, dev.digest, eu.digest, old.digest]
    assert cache.find("").digest == us.digest
    assert cache.find("eu").digest == dev.digest
    assert cache.find("eu-production").digest == eu.digest
    assert cache.find("eu-production-v8").digest == eu.digest
    assert cache.find(old.digest[:15]).digest == old.digest  # a pinned digest stays loadable
    for bad, message in [("jp", "no live catalogue cached for jp"), ("us-production-v7", "for us-production-v7"),
                         ("sha256:0000000000", "with digest"), ("sha256:12", "at least 8 hex digits"),
                         ("a-b-c-d", "expected live, live:DC")]:
        with pytest.raises(CatalogueError, match=message):
            cache.find(bad)


def test_refetching_the_same_catalogue_refreshes_its_entry(where):
    first = cache.save(fetched(), Target(), now=NOW - timedelta(days=30))
    again = cache.save(fetched(), Target(), now=NOW)
    assert first.payload == again.payload and len(cache.entries()) == 1
    assert cache.find().fetched_at == NOW


def test_load_live_marks_the_catalogue_live(where):
    cache.save(fetched(), Target(), now=datetime.now(timezone.utc))
    cat = load("live")
    assert (cat.source, cat.derived, cat.origin) == ("live", False, "https://www.zohoapis.com/crm/v8/__apis")
    assert cat.digest == parse(PAYLOAD, source="file", origin="x").digest
    assert load("live:us-production-v8") == cat


def test_a_stale_cache_is_a_warning_not_a_failure(where, capsys):
    cache.save(fetched(), Target(dc="in"), now=NOW - timedelta(days=10))
    warnings = []
    cat = cache.load_live("", now=NOW, max_age_days=7, warn=warnings.append)
    assert cat.source == "live"
    assert warnings == [("scopeplan: warning: the live catalogue in-production-v8 was fetched 10 days ago "
                         "(more than 7); refresh it with `scopeplan catalogue fetch --dc in --environment "
                         "production --api-version v8`")]
    assert cache.load_live("", now=NOW, max_age_days=30, warn=warnings.append) and len(warnings) == 1
    load("live", max_age_days=7)  # the default path: the warning goes to stderr
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("scopeplan: warning: the live catalogue in-production-v8")


def test_a_pinned_digest_is_never_called_stale(where):
    entry = cache.save(fetched(), Target(), now=NOW - timedelta(days=400))
    warnings = []
    cache.load_live(entry.digest, now=NOW, max_age_days=7, warn=warnings.append)
    assert warnings == []


def test_a_tampered_payload_is_refused(where):
    entry = cache.save(fetched(), Target(), now=NOW)
    entry.payload.write_bytes(other_payload(99))
    with pytest.raises(CatalogueError, match="digest is not the one recorded"):
        load("live")


def test_foreign_or_broken_metadata_is_a_miss_not_a_crash(where):
    cache.save(fetched(), Target(), now=NOW)
    folder = where / "catalogues" / "us-production-v8"
    (folder / "junk.meta.json").write_text("{not json")
    (folder / "other.meta.json").write_text(json.dumps({"schema": "something/else"}))
    assert len(cache.entries()) == 1


def test_scan_with_live_and_no_cache_exits_3_with_one_line(where, tmp_path):
    (tmp_path / "app.py").write_text("import requests\nrequests.get('https://www.zohoapis.com/crm/v8/Leads')\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "app.py"), "--catalogue", "live"])
    assert result.exit_code == 3
    assert result.stderr.startswith("scopeplan: error: no live catalogue cached in ") and result.stderr.count("\n") == 1
    assert "scopeplan catalogue fetch" in result.stderr


def test_show_reads_the_live_cache(where):
    cache.save(fetched(), Target(), now=datetime.now(timezone.utc))
    result = CliRunner().invoke(main, ["catalogue", "show", "live"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("catalogue v8 (live: Zoho __apis response, cached by `catalogue fetch`)")
