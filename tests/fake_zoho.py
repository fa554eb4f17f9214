"""A small fake of Zoho's accounts and CRM API servers on 127.0.0.1, for tests that run the real fetch.

One `ThreadingHTTPServer` plays both: `POST /oauth/v2/token` (the refresh grant, form-encoded; it
answers with an `api_domain` pointing back at itself) and `GET /crm/v8/__apis` (with Zoho's `filters`
parameter). `scenario` switches the API server to one of Zoho's failures; `failures` limits how many
requests fail before it behaves again (None: all of them).

Hostile scenarios, for the bounds of a fetch: `slowloris_headers` and `slowloris_body` trickle one byte
every `trickle` seconds for ever; `huge` declares and sends a 200 MB body, `huge_unsized` sends one with
no Content-Length; `gzip_bomb` sends ~3 MB of gzip that inflates to ~3 GB; `unavailable` answers
HTTP 500 with `Retry-After: retry_after` for ever; `deep` answers JSON nested 100,000 levels deep.
Every body is generated as it is sent: the fake never holds 200 MB or 3 GB itself.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "1000.FAKECLIENTID"
# Distinctive values: the secrets test searches every output and file for them.
CLIENT_SECRET = "csecret-7f3a9c1e5b2d4f60a8e7c6b5"
REFRESH_TOKEN = "1000.rtoken-4b8e2f6a0c1d3e5f7a9b2c4d"
ACCESS_TOKEN = "1000.atoken-9d7c5b3a1e2f4a6c8e0b1d3f"

# scenario -> (HTTP status, Zoho error code)
ERRORS = {
    "scope_mismatch": (401, "OAUTH_SCOPE_MISMATCH"),
    "invalid_token": (401, "INVALID_TOKEN"),
    "auth_failure": (401, "AUTHENTICATION_FAILURE"),
    "invalid_url": (404, "INVALID_URL_PATTERN"),
    "invalid_host": (400, "INVALID_HOST"),
    "server_error": (500, "INTERNAL_ERROR"),
}
SCENARIOS = (*ERRORS, "html", "bad_catalogue", "rate_limited", "slow", "truncated", "token_rejected",
             "token_not_json")
HOSTILE = ("slowloris_headers", "slowloris_body", "huge", "huge_unsized", "gzip_bomb", "unavailable", "deep")
HUGE = 200 * 1024 * 1024  # bytes of the `huge` bodies
BOMB_MB = 3000  # MB that the ~3 MB `gzip_bomb` inflates to


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    authorization: str | None


@dataclass
class FakeZoho:
    """Zoho accounts + CRM API in a thread; use as a context manager, read `url` and `seen`."""

    catalogue: bytes
    scenario: str | None = None
    failures: int | None = None  # how many requests the scenario applies to; None: every one
    retry_after: str = "1"
    slow_seconds: float = 2.0
    trickle: float = 0.05  # seconds between the bytes of a slowloris answer
    seen: list[Seen] = field(default_factory=list)

    def __enter__(self) -> FakeZoho:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, the accounts server and the API domain at once."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def failing(self, scenario: str) -> bool:
        """Whether this request plays the scenario (counts down `failures`)."""
        if self.scenario != scenario:
            return False
        if self.failures is None:
            return True
        if self.failures > 0:
            self.failures -= 1
            return True
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping in the "slow" scenario must not block shutdown

    def handle_error(self, request, client_address) -> None:
        pass  # the client hung up on a slow or truncated answer: expected, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    owner: FakeZoho
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = parse_qs(body)
        self._record("POST", parts, form)
        if parts.path != "/oauth/v2/token":
            return self._json(404, {"code": "INVALID_URL_PATTERN", "status": "error"})
        fake = self.owner
        if fake.failing("token_not_json"):
            return self._send(502, b"<html>Bad gateway</html>", "text/html")
        good = (form.get("grant_type") == ["refresh_token"] and form.get("client_id") == [CLIENT_ID]
                and form.get("client_secret") == [CLIENT_SECRET])
        if not good:
            return self._json(200, {"error": "invalid_client"})
        if form.get("refresh_token") != [REFRESH_TOKEN] or fake.failing("token_rejected"):
            return self._json(200, {"error": "invalid_code"})  # Zoho answers 200 with an error key
        self._json(200, {"access_token": ACCESS_TOKEN, "api_domain": fake.url, "token_type": "Bearer",
                         "expires_in": 3600, "scope": "ZohoCRM.apis.READ"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self._record("GET", parts, {})
        fake = self.owner
        if parts.path != "/crm/v8/__apis":
            return self._json(404, {"code": "INVALID_URL_PATTERN", "details": {}, "status": "error",
                                    "message": "Please check if the URL trying to access is a correct one"})
        if self.headers.get("Authorization") != f"Zoho-oauthtoken {ACCESS_TOKEN}":
            # A careless server echoes what it got; the client must never pass this message on.
            return self._json(401, {"code": "INVALID_TOKEN", "details": {}, "status": "error",
                                    "message": f"invalid oauth token {self.headers.get('Authorization')}"})
        for scenario, (status, code) in ERRORS.items():
            if fake.failing(scenario):
                return self._json(status, {"code": code, "details": {}, "status": "error",
                                           "message": f"{code.lower()} for {ACCESS_TOKEN}"})
        hostile = next((h for h in HOSTILE if fake.failing(h)), None)
        if hostile is not None:
            return getattr(self, f"_{hostile}")()
        if fake.failing("rate_limited"):
            return self._json(429, {"code": "TOO_MANY_REQUESTS", "status": "error"},
                              {"Retry-After": fake.retry_after})
        if fake.failing("slow"):
            time.sleep(fake.slow_seconds)
        if fake.failing("html"):
            return self._send(200, b"<html><body>Zoho is down for maintenance</body></html>", "text/html")
        if fake.failing("bad_catalogue"):
            bad = {"__apis": [{"path": f"crm/v8/{ACCESS_TOKEN}", "operation_types": []}]}
            return self._send(200, json.dumps(bad).encode(), "application/json")
        body = _filtered(fake.catalogue, parse_qs(parts.query).get("filters", [None])[0])
        if body is None:
            return self._send(204, b"", None)
        if fake.failing("truncated"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(200, body, "application/json;charset=UTF-8")

    # ------------------------------------------------------------ hostile answers

    def _drip(self, data: bytes, forever: bytes = b"") -> None:
        """Send `data`, then `forever` repeated, one byte at a time; stop when the client hangs up."""
        def chunks():
            yield from data
            while forever:
                yield from forever

        try:
            for byte in chunks():
                self.wfile.write(bytes((byte,)))
                self.wfile.flush()
                time.sleep(self.owner.trickle)
        except OSError:
            pass  # the client gave up: what the test wants
        self.close_connection = True

    def _slowloris_headers(self) -> None:
        self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: ", forever=b"a")

    def _slowloris_body(self) -> None:
        body = self.owner.catalogue
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        self._drip(body)

    def _stream(self, chunks, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def _huge_chunks(self):
        head = b'{"__apis": ['
        yield head
        pad, left = b" " * (1024 * 1024), HUGE - len(head) - 2
        while left > 0:
            yield pad[:left]
            left -= len(pad)
        yield b"]}"

    def _huge(self) -> None:
        self._stream(self._huge_chunks(), {"Content-Type": "application/json", "Content-Length": str(HUGE)})

    def _huge_unsized(self) -> None:
        self._stream(self._huge_chunks(), {"Content-Type": "application/json", "Connection": "close"})

    def _gzip_bomb(self) -> None:
        body = gzip_bomb()
        self._stream([body], {"Content-Type": "application/json", "Content-Encoding": "gzip",
                              "Content-Length": str(len(body))})

    def _unavailable(self) -> None:
        self._json(500, {"code": "INTERNAL_ERROR", "status": "error"}, {"Retry-After": self.owner.retry_after})

    def _deep(self) -> None:
        self._send(200, b"[" * 100_000 + b"]" * 100_000, "application/json")

    def _record(self, method, parts, form) -> None:
        self.owner.seen.append(Seen(method, parts.path, parse_qs(parts.query), form,
                                    self.headers.get("Authorization")))

    def _json(self, status: int, doc: dict, headers: dict | None = None) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json;charset=UTF-8", headers)

    def _send(self, status: int, body: bytes, content_type: str | None, headers: dict | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _filtered(catalogue: bytes, filters: str | None) -> bytes | None:
    """Apply one `filters` criterion as Zoho documents it; None when nothing is left (Zoho answers 204)."""
    if filters is None:
        return catalogue
    criterion = json.loads(filters)
    field_name, value = criterion["field"]["api_name"], criterion["value"]
    assert criterion["comparator"] == "equals"
    kept = []
    for entry in json.loads(catalogue)["__apis"]:
        ops = entry["operation_types"]
        if field_name == "module":
            segment = entry["path"].split("/")[3] if entry["path"].count("/") >= 3 else ""
            wanted = "{{module}}" if value == "custom" else value
            ops = ops if segment.lower() == wanted.lower() else []
        elif field_name == "operation_types.method":
            ops = [op for op in ops if op["method"] == value]
        elif field_name == "operation_types.oauth_scope":
            ops = [op for op in ops if op["oauth_scope"].lower().startswith(f"zohocrm.{value.lower()}.")]
        if ops:
            kept.append({"path": entry["path"], "operation_types": ops})
    return json.dumps({"__apis": kept}).encode() if kept else None


_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """~3 MB of gzip that inflates to BOMB_MB MB of spaces, built in well under a second.

    Each megabyte of spaces is compressed on its own (a full flush resets the dictionary), so every
    block after the first is the same bytes and the bomb is one block repeated, not 3 GB compressed.
    The trailer's CRC is not that of the content: a client that inflates it all has already lost.
    """
    if not _BOMB:
        mb = b" " * (1024 * 1024)
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        first = deflate.compress(b'{"__apis": [' + mb[12:]) + deflate.flush(zlib.Z_FULL_FLUSH)
        block = deflate.compress(mb) + deflate.flush(zlib.Z_FULL_FLUSH)
        last = deflate.compress(b"]}") + deflate.flush(zlib.Z_FINISH)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        size = (BOMB_MB * 1024 * 1024 + 2) & 0xFFFFFFFF
        _BOMB.append(header + first + block * (BOMB_MB - 1) + last + (0).to_bytes(4, "little")
                     + size.to_bytes(4, "little"))
    return _BOMB[0]
