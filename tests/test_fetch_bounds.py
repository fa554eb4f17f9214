"""A server that never finishes (issue 14): slowloris, huge bodies, a gzip bomb, HTTP 500 for ever.

Each attack runs the real CLI in a subprocess against the fake Zoho on 127.0.0.1, under an address-space
limit (so a regression fails the test with MemoryError instead of eating the machine) and a generous
subprocess timeout (so a hang fails it instead of hanging the suite). Deadlines are small (2 s) and wall
times are asserted loosely (< 20 s): speed is never measured here, only that the fetch ends.
"""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from fake_zoho import ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho
from scopeplan.catalogue.fetch import fetch
from scopeplan.catalogue.target import Credentials, FetchError, RetryPolicy, Target
from scopeplan.catalogue.watch import Progress

CATALOGUE = (ROOT / "scopeplan" / "data" / "catalogue_v8.json").read_bytes()
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN)
REFRESH_ENV = {"ZOHO_CLIENT_ID": CLIENT_ID, "ZOHO_CLIENT_SECRET": CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": REFRESH_TOKEN}
MEMORY = 2 * 1024**3  # bytes of address space a fetch may map: far above the 64 MB body cap
LOOSE = 20.0  # seconds: "it ended", not a benchmark


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def scopeplan(args: list[str], cache: Path, env: dict[str, str] = REFRESH_ENV) -> tuple[int, str, str, float]:
    """Run `python -m scopeplan ARGS`; return (exit code, stdout, stderr, seconds)."""
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": str(cache.parent), "SCOPEPLAN_CACHE_DIR": str(cache),
               **{k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "TMPDIR")}, **env}
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "scopeplan", *args], env=environ, capture_output=True,
                              text=True, timeout=90, preexec_fn=_limit_memory, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"scopeplan {' '.join(args)} was still running after 90 s")
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def fake():
    with FakeZoho(CATALOGUE) as server:
        yield server


@pytest.fixture
def cached(fake, tmp_path):
    """A cache holding one good fetch; returns (cache dir, its bytes before the attack)."""
    cache = tmp_path / "cache"
    code, _, err, _ = scopeplan(["catalogue", "fetch", "--accounts-url", fake.url], cache)
    assert code == 0, err
    before = snapshot(cache)
    assert any(name.endswith(".meta.json") for name in before)
    return cache, before


# scenario -> (CLI flags, what the one-line error must say)
ATTACKS = [
    ("slowloris_headers", ["--timeout", "2", "--retries", "1"],
     "within 2s (timeout; the response headers have not all arrived) (gave up after 2 attempts)"),
    ("slowloris_body", ["--timeout", "2", "--retries", "1"],
     "within 2s (timeout; receiving the body, "),
    ("huge", ["--timeout", "10"], "the answer is 200 MB, more than the 64 MB limit"),
    ("huge_unsized", ["--timeout", "10"], "the answer is more than 64 MB, the limit"),
    ("gzip_bomb", ["--timeout", "10"], "the answer is more than 64 MB once decompressed, the limit"),
    ("unavailable", ["--retries", "5", "--deadline", "2"],
     "HTTP 500 INTERNAL_ERROR; Zoho asks to retry after 59s, more than the "),
    ("deep", ["--timeout", "10"], "the answer is not usable JSON: nested too deeply"),
]


@pytest.mark.parametrize("scenario, flags, expected", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_a_hostile_server_ends_the_fetch_with_one_line_and_the_cache_intact(fake, cached, scenario, flags,
                                                                            expected):
    cache, before = cached
    fake.scenario, fake.retry_after = scenario, "59"
    code, out, err, seconds = scopeplan(["catalogue", "fetch", "--accounts-url", fake.url, *flags], cache)
    assert code == 3, err
    assert out == ""
    last = err.splitlines()[-1]
    assert last.startswith("scopeplan: error: ") and expected in last, err
    if scenario == "unavailable":  # how much is left depends on the machine's load: a loose match
        assert re.search(r"more than the [0-2]s left of the 2s deadline of the whole fetch \(--deadline\)", last)
    assert "Traceback" not in err
    assert seconds < LOOSE
    assert snapshot(cache) == before  # byte for byte, and no temp file left behind
    everything = out + err + "".join(p.read_text(errors="replace") for p in cache.rglob("*") if p.is_file())
    assert not any(secret in everything for secret in SECRETS)


def test_retries_on_500_for_ever_stop_at_the_deadline_of_the_whole_fetch(fake, cached):
    cache, before = cached
    fake.scenario, fake.retry_after = "unavailable", "1"
    code, _, err, seconds = scopeplan(["catalogue", "fetch", "--accounts-url", fake.url, "--retries", "10",
                                       "--deadline", "3"], cache)
    assert code == 3 and "HTTP 500 INTERNAL_ERROR" in err and "3s deadline of the whole fetch" in err, err
    assert seconds < LOOSE
    assert snapshot(cache) == before


def test_a_slow_fetch_says_what_it_waits_for_once_on_a_pipe_and_never_shows_a_token(fake, cached):
    cache, before = cached
    fake.scenario = "slowloris_headers"
    code, _, err, seconds = scopeplan(["catalogue", "fetch", "--accounts-url", fake.url, "--timeout", "7",
                                       "--retries", "0"], cache)
    assert code == 3 and seconds < LOOSE
    waiting = [line for line in err.splitlines() if "waiting for" in line]
    assert len(waiting) == 1, err  # one line, after about 5 s (a busy machine may print 6)
    assert re.fullmatch(r"scopeplan: waiting for 127\.0\.0\.1: GET /crm/v8/__apis \([56] s of 7 s; the response "
                        r"headers have not all arrived\)", waiting[0]), err
    assert not any(secret in err for secret in SECRETS)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_progress_line_is_redrawn_and_cleared(fake):
    fake.scenario = "slowloris_headers"
    screen = Terminal()
    creds = Credentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN)
    with pytest.raises(FetchError, match="within 2.5s"):
        fetch(Target(accounts_url=fake.url), creds, policy=RetryPolicy(timeout=2.5, attempts=1),
              progress=Progress(screen, every=0.5))
    shown = screen.getvalue()
    frames = [f for f in shown.split("\r\x1b[K") if f]
    assert len(frames) >= 2 and all(f.startswith("scopeplan: waiting for 127.0.0.1: GET /crm/v8/__apis (")
                                    for f in frames), shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared before the error is printed
    assert not any(secret in shown for secret in SECRETS)


def test_a_deadline_shorter_than_the_timeout_wins(fake):
    fake.scenario = "slowloris_body"
    creds = Credentials(access_token=ACCESS_TOKEN)
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(Target(api_domain=fake.url), creds, policy=RetryPolicy(timeout=30, attempts=5, deadline=2))
    assert time.monotonic() - start < LOOSE
    message = str(info.value)
    # The request's limit is what is left of the 2 s deadline, so it may print as 1.99s on a busy machine.
    assert re.search(r"within [12](\.\d+)?s \(timeout; receiving the body", message), message
    assert "2s deadline of the whole fetch" in message
    assert ACCESS_TOKEN not in message


def test_the_deadline_also_cuts_a_slowloris_over_tls(tmp_path):
    """The watch shuts an SSLSocket's plain socket: the read blocked in TLS wakes too."""
    import shutil
    import socket
    import ssl
    import threading

    import httpx

    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                           str(cert), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr[-200:]!r}")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def trickle(conn):
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 100_000:
                    if stop.is_set():
                        return
                    tls.send(bytes((byte,)))
                    time.sleep(0.05)
        except OSError:
            pass

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    client = httpx.Client(verify=ssl.create_default_context(cafile=str(cert)))
    start = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"within 2s \(timeout; the response headers have not all arrived\)"):
            fetch(Target(api_domain=f"https://localhost:{port}"), Credentials(access_token=ACCESS_TOKEN),
                  client=client, policy=RetryPolicy(timeout=2, attempts=1))
    finally:
        stop.set()
        client.close()
        listener.close()
    assert time.monotonic() - start < LOOSE
