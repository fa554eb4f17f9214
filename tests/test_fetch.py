"""Fetching `__apis`: OAuth refresh, data centres, filters, retries, every failure, and no secret anywhere.

Unit tests inject `httpx.MockTransport`; the rest run the real fetch and the real CLI against the fake
Zoho in fake_zoho.py on 127.0.0.1. Nothing here reaches the internet.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner

from conftest import ROOT
from fake_zoho import ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho
from scopeplan.catalogue import cache, load
from scopeplan.catalogue.fetch import fetch
from scopeplan.catalogue.target import Credentials, FetchError, Filter, RetryPolicy, Target
from scopeplan.catalogue.watch import Progress
from scopeplan.cli import main

CATALOGUE = (ROOT / "scopeplan" / "data" / "catalogue_v8.json").read_bytes()
SMALL = json.dumps({"__apis": [{"path": "/crm/v8/Leads", "operation_types": [
    {"method": "GET", "oauth_scope": "ZohoCRM.modules.leads.READ", "min_credits": 1, "max_credits": 1}]}]}).encode()
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN)
REFRESH = Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN)
REFRESH_ENV = {"ZOHO_CLIENT_ID": CLIENT_ID, "ZOHO_CLIENT_SECRET": CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN}


class _Screen(io.StringIO):
    """A terminal, for the redrawn progress line."""

    def isatty(self) -> bool:
        return True


class Sleeps(list):
    """A RetryPolicy.sleep that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def policy(**kw) -> RetryPolicy:
    return RetryPolicy(**{"timeout": 2.0, "attempts": 3, "backoff": 0.0, "sleep": Sleeps(), **kw})


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No real credentials, proxies or cache directory leak into a test."""
    for var in ("ZOHO_ACCESS_TOKEN", "ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN",
                "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SCOPEPLAN_CACHE_DIR", str(tmp_path / "cache"))


# ---------------------------------------------------------------- unit tests on httpx.MockTransport

class Zoho:
    """A MockTransport handler: answers the token endpoint and __apis, and records every request."""

    def __init__(self, api_domain="https://www.zohoapis.eu", apis=None):
        self.api_domain, self.apis, self.requests = api_domain, apis or [], []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/oauth/v2/token"):
            return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "api_domain": self.api_domain})
        if self.apis:
            return self.apis.pop(0)
        return httpx.Response(200, content=SMALL)


def run(handler, target=None, credentials=REFRESH, **kw):
    return fetch(target or Target(), credentials, transport=httpx.MockTransport(handler),
                 policy=kw.pop("policy", None) or policy(), **kw)


def test_refresh_grant_is_form_encoded_and_the_token_api_domain_is_used():
    zoho = Zoho(api_domain="https://www.zohoapis.eu")
    got = run(zoho, Target(dc="eu"))
    token, apis = zoho.requests
    assert (token.method, str(token.url)) == ("POST", "https://accounts.zoho.eu/oauth/v2/token")
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token.content.decode()) == {"grant_type": ["refresh_token"], "client_id": [CLIENT_ID],
                                                "client_secret": [CLIENT_SECRET], "refresh_token": [REFRESH_TOKEN]}
    assert not token.url.query  # nothing secret in a URL, where proxies and logs would see it
    assert (apis.method, str(apis.url)) == ("GET", "https://www.zohoapis.eu/crm/v8/__apis")
    assert apis.headers["authorization"] == f"Zoho-oauthtoken {ACCESS_TOKEN}"
    assert (got.url, got.payload, got.catalogue.source) == ("https://www.zohoapis.eu/crm/v8/__apis", SMALL, "live")


@pytest.mark.parametrize("dc, environment, accounts, api", [
    ("us", "production", "https://accounts.zoho.com", "https://www.zohoapis.com"),
    ("eu", "sandbox", "https://accounts.zoho.eu", "https://sandbox.zohoapis.eu"),
    ("in", "developer", "https://accounts.zoho.in", "https://developer.zohoapis.in"),
    ("au", "production", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    ("jp", "production", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    ("cn", "production", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    ("ca", "production", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    ("sa", "sandbox", "https://accounts.zoho.sa", "https://sandbox.zohoapis.sa"),
], ids=lambda v: v if isinstance(v, str) and "/" not in v else None)
def test_data_centre_hosts(dc, environment, accounts, api):
    zoho = Zoho(api_domain=None)
    run(zoho, Target(dc=dc, environment=environment))
    assert [str(r.url) for r in zoho.requests] == [f"{accounts}/oauth/v2/token", f"{api}/crm/v8/__apis"]


def test_sandbox_uses_its_own_host_not_the_production_api_domain_of_the_token():
    zoho = Zoho(api_domain="https://www.zohoapis.com")
    run(zoho, Target(environment="sandbox"))
    assert zoho.requests[1].url.host == "sandbox.zohoapis.com"


def test_overrides_win_over_data_centre_and_token():
    zoho = Zoho(api_domain="https://www.zohoapis.com")
    run(zoho, Target(dc="eu", accounts_url="https://accounts.proxy.test/zoho/", api_domain="https://api.proxy.test"))
    assert [str(r.url) for r in zoho.requests] == ["https://accounts.proxy.test/zoho/oauth/v2/token",
                                                    "https://api.proxy.test/crm/v8/__apis"]


def test_an_access_token_alone_skips_the_refresh():
    zoho = Zoho()
    run(zoho, Target(version="v7"), Credentials(access_token=ACCESS_TOKEN))
    assert [str(r.url) for r in zoho.requests] == ["https://www.zohoapis.com/crm/v7/__apis"]


def test_an_expired_access_token_falls_back_to_the_refresh_grant():
    expired = httpx.Response(401, json={"code": "INVALID_TOKEN", "status": "error"})
    zoho = Zoho(api_domain="https://www.zohoapis.com", apis=[expired])
    creds = Credentials(access_token="old-token-value", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        refresh_token=REFRESH_TOKEN)
    run(zoho, credentials=creds)
    assert [r.url.path for r in zoho.requests] == ["/crm/v8/__apis", "/oauth/v2/token", "/crm/v8/__apis"]
    assert zoho.requests[-1].headers["authorization"] == f"Zoho-oauthtoken {ACCESS_TOKEN}"


FILTERS = [
    ("module=Leads", {"field": {"api_name": "module"}, "comparator": "equals", "value": "Leads"}),
    ("scope=modules", {"field": {"api_name": "operation_types.oauth_scope"}, "comparator": "equals",
                       "value": "modules"}),
    ("method=post", {"field": {"api_name": "operation_types.method"}, "comparator": "equals", "value": "POST"}),
    ("operation_types.oauth_scope=settings.fields",
     {"field": {"api_name": "operation_types.oauth_scope"}, "comparator": "equals", "value": "settings.fields"}),
]


@pytest.mark.parametrize("text, expected", FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_are_sent_in_zoho_json_form_url_encoded(text, expected):
    zoho = Zoho()
    run(zoho, filter=Filter.parse(text))
    raw = zoho.requests[1].url.query.decode()
    assert "{" not in raw  # encoded, not sent raw
    assert json.loads(parse_qs(raw)["filters"][0]) == expected


@pytest.mark.parametrize("text", ["Leads", "module=", "owner=me", "=Leads"])
def test_bad_filters_are_refused(text):
    with pytest.raises(ValueError, match="module=NAME"):
        Filter.parse(text)


def test_5xx_is_retried_with_exponential_backoff_then_succeeds():
    zoho = Zoho(apis=[httpx.Response(503), httpx.Response(502), httpx.Response(500)])
    sleeps = Sleeps()
    run(zoho, policy=policy(attempts=4, backoff=0.1, sleep=sleeps))
    assert sleeps == [0.1, 0.2, 0.4]
    assert len(zoho.requests) == 1 + 4


def test_retries_are_bounded():
    zoho = Zoho(apis=[httpx.Response(503) for _ in range(10)])
    with pytest.raises(FetchError, match=r"HTTP 503 \(gave up after 3 attempts\)"):
        run(zoho, policy=policy(attempts=3))
    assert len(zoho.requests) == 1 + 3


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured(form):
    # The date is made here, not at collection time: a long test run must not make it lie in the past.
    header = "7" if form == "seconds" else format_datetime(datetime.now(timezone.utc) + timedelta(seconds=8),
                                                           usegmt=True)
    zoho = Zoho(apis=[httpx.Response(429, headers={"Retry-After": header})])
    sleeps = Sleeps()
    run(zoho, policy=policy(backoff=0.5, sleep=sleeps))
    assert len(sleeps) == 1 and 5 <= sleeps[0] <= 8


def test_a_retry_after_beyond_the_cap_fails_at_once_instead_of_retrying_early():
    zoho = Zoho(apis=[httpx.Response(429, headers={"Retry-After": "3600"},
                                      json={"code": "TOO_MANY_REQUESTS", "status": "error"})])
    sleeps = Sleeps()
    with pytest.raises(FetchError, match=r"HTTP 429 TOO_MANY_REQUESTS .*retry after 3600s, longer than .*60s"):
        run(zoho, policy=policy(max_wait=60, sleep=sleeps))
    assert sleeps == []


def _raising(exc_type, message, cause=None):
    def handler(request):
        error = exc_type(message, request=request)
        if cause is not None:
            raise error from cause
        raise error

    return handler


TRANSPORT_ERRORS = [
    ("dns", _raising(httpx.ConnectError, "[Errno -2] Name or service not known",
                     socket.gaierror(-2, "Name or service not known")), "cannot resolve host accounts.zoho.com (DNS"),
    ("refused", _raising(httpx.ConnectError, "[Errno 111] Connection refused", ConnectionRefusedError(111)),
     "connection refused by accounts.zoho.com:443"),
    ("timeout", _raising(httpx.ReadTimeout, "timed out"), "no answer from accounts.zoho.com:443 within 2s (timeout)"),
    ("truncated", _raising(httpx.RemoteProtocolError, "peer closed connection without sending complete message "
                           "body: received 10 bytes, expected 20"), "before the whole response arrived (truncated"),
    ("broken", _raising(httpx.ReadError, "connection reset"), "the connection to accounts.zoho.com:443 broke"),
]


@pytest.mark.parametrize("name, handler, expected", TRANSPORT_ERRORS, ids=[t[0] for t in TRANSPORT_ERRORS])
def test_transport_errors_are_named_in_our_words_and_chain_nothing(name, handler, expected):
    with pytest.raises(FetchError) as info:
        run(handler)
    message = str(info.value)
    assert expected in message and "gave up after 3 attempts" in message
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize("target, expected", [
    (Target(api_domain="http://api.proxy.test"), "refusing to send Zoho credentials over plain http"),
    (Target(accounts_url="http://accounts.proxy.test"), "refusing to send Zoho credentials over plain http"),
    (Target(api_domain="https://user:pw@api.proxy.test"), "must not contain a user name or password"),
    (Target(api_domain="ftp://api.proxy.test"), "must be an https:// URL"),
    (Target(api_domain="https://api.proxy.test:port"), "must be an https:// URL"),
])
def test_bad_or_cleartext_hosts_are_refused_before_any_request(target, expected):
    zoho = Zoho()
    with pytest.raises(FetchError, match=expected):
        run(zoho, target)
    assert not any(r.url.path == "/crm/v8/__apis" for r in zoho.requests)
    assert not any(r.url.host.endswith("proxy.test") for r in zoho.requests)


def test_redirects_are_not_followed_with_a_token():
    zoho = Zoho(apis=[httpx.Response(302, headers={"Location": "https://elsewhere.test/"})])
    with pytest.raises(FetchError, match="redirected .HTTP 302"):
        run(zoho)
    assert all(r.url.host != "elsewhere.test" for r in zoho.requests)


@pytest.mark.parametrize("env, expected", [
    ({}, "missing: ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN"),
    ({"ZOHO_CLIENT_ID": "x", "ZOHO_REFRESH_TOKEN": "y"}, "missing: ZOHO_CLIENT_SECRET"),
    ({"ZOHO_ACCESS_TOKEN": "tok en"}, "ZOHO_ACCESS_TOKEN holds characters"),
])
def test_credentials_from_the_environment(env, expected):
    with pytest.raises(FetchError, match=expected):
        Credentials.from_env(env)


def test_credentials_never_show_in_a_repr():
    creds = Credentials.from_env({**REFRESH_ENV, "ZOHO_ACCESS_TOKEN": ACCESS_TOKEN})
    assert creds.can_refresh and creds.access_token == ACCESS_TOKEN
    assert not any(s in repr(creds) for s in SECRETS)


# ---------------------------------------------------------------- the real fetch against the fake Zoho

@pytest.fixture
def fake():
    with FakeZoho(CATALOGUE) as server:
        yield server


def test_fetch_against_the_fake_zoho(fake):
    got = fetch(Target(accounts_url=fake.url), REFRESH, policy=policy())
    assert got.payload == CATALOGUE and got.url == f"{fake.url}/crm/v8/__apis"
    assert [s.path for s in fake.seen] == ["/oauth/v2/token", "/crm/v8/__apis"]


def test_a_filter_reaches_zoho_and_narrows_the_catalogue(fake):
    got = fetch(Target(accounts_url=fake.url), REFRESH, filter=Filter.parse("module=Leads"), policy=policy())
    assert got.catalogue.endpoints and all("/Leads" in e.template for e in got.catalogue.endpoints)
    assert json.loads(fake.seen[-1].query["filters"][0])["value"] == "Leads"


@pytest.mark.parametrize("scenario", ["truncated", "server_error", "slow"])
def test_one_failure_is_retried_and_the_fetch_succeeds(fake, scenario):
    fake.scenario, fake.failures, fake.slow_seconds = scenario, 1, 1.0
    got = fetch(Target(accounts_url=fake.url), REFRESH, policy=policy(timeout=0.3))
    assert got.payload == CATALOGUE


def test_retry_after_from_the_server_is_honoured(fake):
    fake.scenario, fake.failures, fake.retry_after = "rate_limited", 1, "2"
    sleeps = Sleeps()
    fetch(Target(accounts_url=fake.url), REFRESH, policy=policy(backoff=0.01, sleep=sleeps))
    assert sleeps == [2.0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# scenario -> what the one-line error must say. Each runs the real CLI after a good fetch.
FAILURES = [
    ("scope_mismatch", "HTTP 401 OAUTH_SCOPE_MISMATCH: the token needs ZohoCRM.apis.READ"),
    ("invalid_token", "HTTP 401 INVALID_TOKEN: Zoho rejected the access token it just minted"),
    ("auth_failure", "HTTP 401 AUTHENTICATION_FAILURE: Zoho did not accept the token"),
    ("invalid_url", "HTTP 404 INVALID_URL_PATTERN: this is not a Zoho CRM API URL"),
    ("invalid_host", "HTTP 400 INVALID_HOST: this host does not serve this org's API"),
    ("html", "the answer is not JSON (HTTP 200, text/html)"),
    ("bad_catalogue", "the answer is not a valid __apis catalogue: entry 0: `path` must be a string"),
    ("rate_limited", "HTTP 429 TOO_MANY_REQUESTS (rate limited"),
    ("server_error", "HTTP 500 INTERNAL_ERROR (gave up after 2 attempts)"),
    ("slow", "within 0.3s (timeout; the response headers have not all arrived) (gave up after 2 attempts)"),
    ("truncated", "closed the connection before the whole response arrived (truncated body)"),
    ("token_rejected", "refused the refresh token (HTTP 200, invalid_code): the refresh token is wrong"),
    ("token_not_json", "token refresh at http://127.0.0.1:"),
    ("refused", "connection refused by 127.0.0.1:"),
    ("wrong_version", "HTTP 404 INVALID_URL_PATTERN"),
]


def _cli_fetch(fake, *extra, env=REFRESH_ENV, accounts=None):
    args = ["catalogue", "fetch", "--accounts-url", accounts or fake.url, "--retries", "1", "--backoff", "0",
            "--timeout", "0.3", *extra]
    return CliRunner().invoke(main, args, env=env)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _failing_run(fake, scenario):
    fake.scenario, fake.retry_after, fake.slow_seconds = scenario, "0", 1.0
    if scenario == "refused":
        return _cli_fetch(fake, accounts=f"http://127.0.0.1:{_closed_port()}")
    if scenario == "wrong_version":
        return _cli_fetch(fake, "--api-version", "v9")
    return _cli_fetch(fake)


@pytest.mark.parametrize("scenario, expected", FAILURES, ids=[f[0] for f in FAILURES])
def test_every_failure_exits_3_with_one_line_and_leaves_the_cache_intact(fake, tmp_path, scenario, expected):
    assert _cli_fetch(fake).exit_code == 0
    before = _snapshot(tmp_path / "cache")
    assert any(name.endswith(".meta.json") for name in before)
    result = _failing_run(fake, scenario)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("scopeplan: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(tmp_path / "cache") == before


def test_no_secret_appears_in_any_output_exception_log_or_file(fake, tmp_path, caplog, monkeypatch):
    """Every path, good and bad, with distinctive secrets; then search everything that was produced."""
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log requests at DEBUG/INFO
    produced = []
    good = _cli_fetch(fake, "--output", str(tmp_path / "out" / "apis.json"))
    assert good.exit_code == 0
    produced += [good.stdout, good.stderr]
    for scenario, _ in FAILURES:
        result = _failing_run(fake, scenario)
        assert result.exit_code == 3
        produced += [result.stdout, result.stderr, repr(result.exception)]
    # The same paths as a library call: the exception text, its repr and anything chained to it.
    for scenario, _ in FAILURES:
        fake.scenario = scenario
        try:
            fetch(Target(accounts_url=fake.url), REFRESH, policy=policy(attempts=1, timeout=0.3))
        except FetchError as exc:
            produced += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__), repr(exc.args)]
    # The bounds of issue 14: deadlines, size caps, the retry cap, and what the progress line says.
    for scenario in ("slowloris_headers", "slowloris_body", "huge", "gzip_bomb", "unavailable", "deep"):
        fake.scenario, fake.retry_after = scenario, "59"
        screen = _Screen()
        try:
            fetch(Target(accounts_url=fake.url), REFRESH, progress=Progress(screen, after=0.2, every=0.2),
                  policy=RetryPolicy(timeout=1.0, attempts=2, backoff=0, deadline=1.5))
        except FetchError as exc:
            produced += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__), repr(exc.args)]
        produced.append(screen.getvalue())
    assert "waiting for 127.0.0.1: GET /crm/v8/__apis" in "\n".join(produced)
    # An access token straight from the environment, rejected with a message that echoes it.
    fake.scenario = None
    result = _cli_fetch(fake, "--api-domain", fake.url, env={"ZOHO_ACCESS_TOKEN": "1000.atoken-env-8c6e4a2f0d"})
    assert result.exit_code == 3 and "INVALID_TOKEN" in result.stderr
    produced += [result.stdout, result.stderr]
    assert any(record.name.startswith("httpx") for record in caplog.records)  # the log path was exercised
    produced += [record.getMessage() for record in caplog.records]
    produced += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    everything = "\n".join(produced)
    for secret in (*SECRETS, "1000.atoken-env-8c6e4a2f0d"):
        assert secret not in everything
    assert "[redacted]" in everything  # the fake's bad catalogue smuggled the token into a path: caught


def test_done_when_fetch_with_a_refresh_token_then_scan_live_offline(tmp_path):
    """`catalogue fetch` with only a refresh token in the environment; then `scan --catalogue live`, offline."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "SCOPEPLAN_CACHE_DIR": str(tmp_path / "c"),
           **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}, **REFRESH_ENV}
    scopeplan = [sys.executable, "-m", "scopeplan"]
    with FakeZoho(CATALOGUE) as fake:
        fetched = subprocess.run([*scopeplan, "catalogue", "fetch", "--accounts-url", fake.url, "--api-domain",
                                  fake.url], env=env, check=False, capture_output=True, text=True, timeout=60)
        assert fetched.returncode == 0, fetched.stderr
        assert [s.path for s in fake.seen] == ["/oauth/v2/token", "/crm/v8/__apis"]
    # The fake is gone: from here on there is no server to talk to.
    sample = ROOT / "sample_projects" / "modern_httpx_v8"
    env.pop("ZOHO_REFRESH_TOKEN")
    live = subprocess.run([*scopeplan, "scan", str(sample), "--catalogue", "live", "--format", "json"],
                          env=env, check=False, capture_output=True, text=True, timeout=120)
    assert live.returncode == 0, live.stderr
    report = json.loads(live.stdout)
    assert report["catalogue"]["source"] == "live" and report["catalogue"]["derived"] is False
    assert report["catalogue"]["digest"] == load("bundled").digest  # the fake served the bundled payload
    bundled = subprocess.run([*scopeplan, "scan", str(sample), "--format", "json"],
                             env=env, check=False, capture_output=True, text=True, timeout=120)
    assert report["scopes"] == json.loads(bundled.stdout)["scopes"] and report["scopes"]
    assert live.stderr == ""  # fresh cache: no staleness warning
    cached = cache.find("", tmp_path / "c")
    assert cached.payload.read_bytes() == CATALOGUE and cached.key == "us-production-v8"


def test_fetch_command_writes_output_and_keeps_filtered_catalogues_out_of_the_cache(fake, tmp_path):
    out = tmp_path / "leads.json"
    result = _cli_fetch(fake, "--filter", "module=Leads", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_bytes())["__apis"] and not (tmp_path / "cache").exists()
    printed = _cli_fetch(fake, "--filter", "method=DELETE")
    assert printed.exit_code == 0 and json.loads(printed.stdout)["__apis"]
    assert "not cached (partial)" in printed.stderr


def test_fetch_command_usage_errors_exit_2(fake):
    assert _cli_fetch(fake, "--filter", "owner=me").exit_code == 2
    assert _cli_fetch(fake, "--api-version", "eight").exit_code == 2
    assert _cli_fetch(fake, "--dc", "mars").exit_code == 2


def test_fetch_command_without_credentials_names_the_variables(fake):
    result = _cli_fetch(fake, env={})
    assert result.exit_code == 3 and "ZOHO_ACCESS_TOKEN" in result.stderr and "ZOHO_REFRESH_TOKEN" in result.stderr


def test_scan_start_up_does_not_import_httpx():
    code = "import sys, scopeplan.cli; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
