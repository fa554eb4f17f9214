"""Fetch an org's `__apis` catalogue from Zoho: OAuth refresh, data centres, deadlines and bounded retries.

httpx (and ssl, socket, email) are imported inside the functions that fetch, so commands that never
fetch do not pay for them at start-up.
No credential ever reaches a message: errors are written here from what failed, never from httpx's
text, and every message passes through `_redact` on its way out as a second line of defence.

Bounds (issue 14): httpx's timeouts apply to each read, so a server that trickles one byte at a time
never trips them. Here every request has a total deadline and so has the whole fetch (token refresh,
`__apis`, every retry and every wait): a watch thread shuts the socket of a request that overruns, and
says on stderr what it is waiting for. Bodies are streamed and inflated here, in pieces, and refused
past `max_body` bytes counted after decompression, so neither a 200 MB body nor a gzip bomb is held.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from scopeplan import safeio
from scopeplan.catalogue.load import CatalogueError, parse
from scopeplan.model import Catalogue

if TYPE_CHECKING:  # pragma: no cover
    import httpx

# dc -> (API domain suffix, accounts server). zoho-facts §4.1: CA's accounts server is zohocloud.ca.
DATA_CENTRES: dict[str, tuple[str, str]] = {
    "us": ("zohoapis.com", "https://accounts.zoho.com"),
    "eu": ("zohoapis.eu", "https://accounts.zoho.eu"),
    "in": ("zohoapis.in", "https://accounts.zoho.in"),
    "au": ("zohoapis.com.au", "https://accounts.zoho.com.au"),
    "jp": ("zohoapis.jp", "https://accounts.zoho.jp"),
    "cn": ("zohoapis.com.cn", "https://accounts.zoho.com.cn"),
    "ca": ("zohoapis.ca", "https://accounts.zohocloud.ca"),
    "sa": ("zohoapis.sa", "https://accounts.zoho.sa"),
}
ENVIRONMENTS: dict[str, str] = {"production": "www", "sandbox": "sandbox", "developer": "developer"}
VERSION = re.compile(r"^v\d+(?:\.\d+)?$")
ENV_VARS = {"access_token": "ZOHO_ACCESS_TOKEN", "client_id": "ZOHO_CLIENT_ID",
            "client_secret": "ZOHO_CLIENT_SECRET", "refresh_token": "ZOHO_REFRESH_TOKEN"}
# --filter key -> the `api_name` Zoho's `filters` parameter expects (zoho-facts §1.4)
FILTER_FIELDS = {"module": "module", "scope": "operation_types.oauth_scope", "method": "operation_types.method"}

_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: what can go in a header or form
_ZOHO_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_ACCOUNTS_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,63}$")
_API_HINTS = {
    "OAUTH_SCOPE_MISMATCH": "the token needs ZohoCRM.apis.READ; generate one with that scope",
    "INVALID_TOKEN": "the access token is invalid or expired; set ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and "
                     "ZOHO_REFRESH_TOKEN to mint a fresh one",
    "AUTHENTICATION_FAILURE": "Zoho did not accept the token for this org; check the data centre (--dc) "
                              "and environment (--environment) it was issued for",
    "INVALID_URL_PATTERN": "this is not a Zoho CRM API URL; check --api-version and --api-domain",
    "INVALID_HOST": "this host does not serve this org's API; use the data centre's zohoapis domain "
                    "(--dc, --environment) or the token's api_domain (--api-domain)",
}
_MINTED_HINT = ("Zoho rejected the access token it just minted; the refresh token may belong to another "
                "data centre or environment (--dc, --environment, --api-domain)")
_ACCOUNTS_HINTS = {
    "invalid_code": "the refresh token is wrong, revoked, or from another data centre (--dc, --accounts-url)",
    "invalid_client": "ZOHO_CLIENT_ID or ZOHO_CLIENT_SECRET is wrong, or the client is registered in "
                      "another data centre (--dc, --accounts-url)",
}


class FetchError(CatalogueError):
    """A fetch that failed; the message names the cause and never a credential."""


@dataclass(frozen=True)
class Target:
    """Where to fetch from: data centre, environment, API version and optional host overrides."""

    dc: str = "us"
    environment: str = "production"
    version: str = "v8"
    accounts_url: str | None = None
    api_domain: str | None = None

    def __post_init__(self) -> None:
        if self.dc not in DATA_CENTRES:
            raise FetchError(f"unknown data centre {self.dc!r} (known: {', '.join(DATA_CENTRES)})")
        if self.environment not in ENVIRONMENTS:
            raise FetchError(f"unknown environment {self.environment!r} (known: {', '.join(ENVIRONMENTS)})")
        if not VERSION.match(self.version):
            raise FetchError(f"bad API version {self.version!r} (expected v2, v2.1, ... v8)")

    @property
    def key(self) -> str:
        """The cache key, `{dc}-{environment}-{version}`."""
        return f"{self.dc}-{self.environment}-{self.version}"

    @property
    def accounts(self) -> str:
        """The accounts server: the override, or the data centre's."""
        return self.accounts_url or DATA_CENTRES[self.dc][1]

    @property
    def default_api_domain(self) -> str:
        """The data centre's API host for this environment, e.g. https://sandbox.zohoapis.eu."""
        return f"https://{ENVIRONMENTS[self.environment]}.{DATA_CENTRES[self.dc][0]}"


@dataclass(frozen=True)
class Credentials:
    """An access token, or a client id, secret and refresh token to mint one; never shown in a repr."""

    access_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials:
        """Read ZOHO_ACCESS_TOKEN, or ZOHO_CLIENT_ID + ZOHO_CLIENT_SECRET + ZOHO_REFRESH_TOKEN."""
        values = {name: environ.get(var) or None for name, var in ENV_VARS.items()}
        for name, var in ENV_VARS.items():
            if values[name] is not None and not _TOKEN.match(values[name]):
                raise FetchError(f"{var} holds characters no Zoho credential has "
                                 "(spaces, control characters or non-ASCII)")
        creds = cls(**values)
        if creds.access_token is None and not creds.can_refresh:
            missing = [var for name, var in ENV_VARS.items() if name != "access_token" and not values[name]]
            raise FetchError("no Zoho credentials: set ZOHO_ACCESS_TOKEN, or ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET "
                             f"and ZOHO_REFRESH_TOKEN (missing: {', '.join(missing)})")
        return creds

    @property
    def can_refresh(self) -> bool:
        """True when the refresh grant can run."""
        return bool(self.client_id and self.client_secret and self.refresh_token)

    def secrets(self) -> tuple[str, ...]:
        """The values that must never be printed or stored."""
        return tuple(s for s in (self.access_token, self.client_secret, self.refresh_token) if s)


@dataclass(frozen=True)
class Filter:
    """One criterion of Zoho's `filters` parameter (only `equals`, only one criterion)."""

    field: str  # the Zoho api_name: module, operation_types.oauth_scope, operation_types.method
    value: str

    @classmethod
    def parse(cls, text: str) -> Filter:
        """`module=Leads`, `scope=modules`, `method=POST` (or Zoho's own api_name before the `=`)."""
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        api_name = FILTER_FIELDS.get(name, name if name in FILTER_FIELDS.values() else None)
        if not sep or not value or api_name is None:
            raise ValueError(f"expected module=NAME, scope=NAME or method=METHOD, got {text!r}")
        if api_name == "operation_types.method":
            value = value.upper()  # Zoho compares methods case-sensitively, in upper case
        return cls(api_name, value)

    def param(self) -> str:
        """The JSON value of the `filters` query parameter (httpx URL-encodes it)."""
        return json.dumps({"field": {"api_name": self.field}, "comparator": "equals", "value": self.value},
                          separators=(",", ":"))

    def __str__(self) -> str:
        return f"{self.field}={self.value}"


@dataclass(frozen=True)
class RetryPolicy:
    """The bounds of one fetch: per-request and total deadlines, bounded retries, a body size cap."""

    timeout: float = 30.0  # seconds for one request, the whole answer (not each read, as httpx counts)
    attempts: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 60.0  # a longer Retry-After fails at once instead of retrying too early
    deadline: float = 60.0  # seconds for the whole fetch: refresh, __apis, every retry and every wait
    max_body: int = safeio.CATALOGUE_LIMIT  # bytes of one answer, counted after decompression
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.backoff * 2 ** (attempt - 1)


@dataclass(frozen=True)
class Fetched:
    """A validated `__apis` response: the unchanged bytes, the catalogue, and the URL (no credentials)."""

    payload: bytes = field(repr=False)
    catalogue: Catalogue
    url: str
    filter: Filter | None = None


@dataclass
class Progress:
    """What a fetch says while it waits: a redrawn line on a terminal, else one line per long wait.

    Only the host, method and path of a request are shown: never a query, a header or a token.
    """

    stream: TextIO
    after: float = 5.0  # not a terminal: one line once a request has waited this long
    every: float = 1.0  # a terminal: redraw this often, from the first second on
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _drawn: bool = field(default=False, repr=False)

    def tick(self, request: _Request, now: float) -> None:
        """Called by the watch thread about ten times a second while `request` is in flight."""
        elapsed = now - request.started
        with self._lock:
            if self._tty():
                if elapsed >= self.every and now - request.drawn_at >= self.every:
                    request.drawn_at = now
                    self._write(f"\r\x1b[K{request.waiting(elapsed)}")
                    self._drawn = True
            elif elapsed >= self.after and not request.noticed:
                request.noticed = True
                self._write(request.waiting(elapsed) + "\n")

    def say(self, line: str) -> None:
        """One line of its own (a retry about to wait), clearing a progress line first."""
        with self._lock:
            self._write(("\r\x1b[K" if self._drawn else "") + line + "\n")
            self._drawn = False

    def clear(self) -> None:
        """Remove the progress line, if one is drawn."""
        with self._lock:
            if self._drawn:
                self._write("\r\x1b[K")
                self._drawn = False

    def _tty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError, OSError):
            return False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must not break the fetch


def fetch(target: Target, credentials: Credentials, *, filter: Filter | None = None,
          policy: RetryPolicy = RetryPolicy(), transport: httpx.BaseTransport | None = None,
          client: httpx.Client | None = None, progress: Progress | None = None) -> Fetched:
    """GET `{api_domain}/crm/{version}/__apis`, refreshing the access token first when needed.

    The whole call ends within `policy.deadline` seconds (give or take the watch's tenth of a second
    and a DNS lookup, which cannot be interrupted); `progress` says what it is waiting for meanwhile.
    """
    import httpx

    secrets = list(credentials.secrets())
    own = client is None
    if client is None:
        # No keep-alive: each request opens its own connection, so the watch sees (and can shut) its socket.
        client = httpx.Client(transport=transport, timeout=policy.timeout, follow_redirects=False,
                              limits=httpx.Limits(max_keepalive_connections=0))
    try:
        with _Watch(policy, progress) as watch:
            return _Session(client, policy, secrets, watch).run(target, credentials, filter)
    except CatalogueError as exc:
        message = _redact(str(exc), secrets)
    finally:
        if own:
            client.close()
    raise FetchError(message)  # outside `except`: no chained httpx exception carries the request along


@dataclass
class _Answer:
    """A response read within its bounds: status, headers, and the (decompressed) body."""

    status_code: int
    headers: httpx.Headers
    content: bytes


class _TooBig(CatalogueError):
    """An answer above the size limit: not retried, the server would send it again."""


class _Expired(Exception):
    """The request ran past its deadline (raised between chunks; the watch also shuts the socket)."""


# Trace events of httpcore (`extensions={"trace": ...}`) -> what the request is doing.
_PHASES = {
    "connection.connect_tcp.started": "connecting",
    "connection.start_tls.started": "in the TLS handshake",
    "http11.send_request_headers.started": "sending the request",
    "http11.receive_response_headers.started": "the response headers have not all arrived",
    "http11.receive_response_body.started": "receiving the body",
    "http2.send_request_headers.started": "sending the request",
    "http2.receive_response_headers.started": "the response headers have not all arrived",
    "http2.receive_response_body.started": "receiving the body",
}
_ERROR_BODY = 1024 * 1024  # an error answer is read this far for Zoho's code, and no further
_PIECE = 1024 * 1024  # inflate at most this much at a time: a gzip bomb never expands in one go


class _Request:
    """One request in flight: its label (no query, no token), deadline, phase and sockets."""

    def __init__(self, method: str, url: str, started: float, limit: float, end: float,
                 attempt: int, attempts: int):
        parts = urlsplit(url)
        self.host = parts.hostname or "?"
        self.where = f"{self.host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self.label = f"{method} {parts.path}"
        self.started, self.limit, self.end = started, limit, end
        self.attempt, self.attempts = attempt, attempts
        self.phase, self.received, self.body = "", 0, False  # no phase: a transport without traces
        self.expired, self.noticed, self.drawn_at = False, False, float("-inf")
        self._sockets: list = []
        self._lock = threading.Lock()

    def trace(self, event: str, info: dict) -> None:
        """httpcore's trace hook: note the phase, and keep each new socket so `expire` can shut it."""
        if event in _PHASES:
            self.phase = _PHASES[event]
            self.body = event.endswith("receive_response_body.started")
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self._lock:
                    self._sockets.append(sock)
                    late = self.expired
                if late:
                    _shut(sock)

    def expire(self) -> None:
        """Past the deadline: wake the blocked read by shutting the socket down (from the watch thread)."""
        with self._lock:
            if self.expired:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def doing(self) -> str:
        """What the request was doing, for a message."""
        if self.body:
            return f"receiving the body, {safeio.size(self.received)} so far"
        return self.phase

    def waiting(self, elapsed: float) -> str:
        """The progress line: host, method and path, time so far and the limit, what it is doing."""
        attempt = f", attempt {self.attempt} of {self.attempts}" if self.attempt > 1 else ""
        doing = f"; {self.doing()}" if self.doing() else ""
        return f"scopeplan: waiting for {self.host}: {self.label} ({elapsed:.0f} s of {self.limit:.3g} s{attempt}{doing})"


def _shut(sock) -> None:
    import socket

    try:
        # The plain socket's shutdown, also on an SSLSocket: it wakes a read blocked in another thread
        # without touching the TLS state that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError, TypeError):
        pass  # already closed


class _Watch:
    """The clock of one fetch: its deadline, the request in flight, and a thread that enforces both."""

    def __init__(self, policy: RetryPolicy, progress: Progress | None):
        self.clock, self.deadline, self.progress = policy.clock, policy.deadline, progress
        self.end = self.clock() + policy.deadline
        self._current: _Request | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scopeplan-fetch-watch", daemon=True)

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self.progress is not None:
            self.progress.clear()

    def left(self) -> float:
        """Seconds left of the whole fetch."""
        return self.end - self.clock()

    @contextmanager
    def request(self, method: str, url: str, limit: float, attempt: int, attempts: int) -> Iterator[_Request]:
        """Watch one request for `limit` seconds (never past the fetch's own deadline)."""
        now = self.clock()
        request = _Request(method, url, now, limit, min(now + limit, self.end), attempt, attempts)
        with self._lock:
            self._current = request
        try:
            yield request
        finally:
            with self._lock:
                self._current = None
            if self.progress is not None:
                self.progress.clear()

    def say(self, line: str) -> None:
        """A line for the user, when a progress stream was given."""
        if self.progress is not None:
            self.progress.say(line)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                request = self._current
            if request is None:
                continue
            now = self.clock()
            if now >= request.end:
                request.expire()
            elif self.progress is not None:
                self.progress.tick(request, now)


class _Inflate:
    """Content-Encoding gzip or deflate, inflated at most `_PIECE` bytes at a time (never all at once)."""

    def __init__(self, encoding: str):
        self.gzip = encoding in ("gzip", "x-gzip")
        self._new(16 + zlib.MAX_WBITS if self.gzip else zlib.MAX_WBITS)
        self.started = False

    def _new(self, wbits: int) -> None:
        self.wbits, self.inflater = wbits, zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The inflated pieces of the next compressed chunk."""
        while data:
            try:
                piece = self.inflater.decompress(data, _PIECE)
            except zlib.error:
                if not self.gzip and not self.started and self.wbits > 0:
                    self._new(-zlib.MAX_WBITS)  # "deflate" is often raw deflate, without the zlib header
                    continue
                raise _Corrupt() from None
            self.started = True
            data = self.inflater.unconsumed_tail
            if self.inflater.eof and self.inflater.unused_data:
                data = self.inflater.unused_data  # another gzip member follows
                self._new(self.wbits)
            if piece:
                yield piece


class _Corrupt(Exception):
    """A compressed body that does not inflate."""


class _Session:
    """One fetch: the client, the retry policy, the secrets seen so far (for redaction), the watch."""

    def __init__(self, client: httpx.Client, policy: RetryPolicy, secrets: list[str], watch: _Watch):
        self.client, self.policy, self.secrets, self.watch = client, policy, secrets, watch

    def run(self, target: Target, credentials: Credentials, filter: Filter | None) -> Fetched:
        api_domain = _base(target.api_domain, "--api-domain") if target.api_domain else None
        if credentials.access_token:
            token = credentials.access_token
            try:
                return self.apis(api_domain or target.default_api_domain, token, target, filter)
            except _Rejected as exc:
                if exc.code != "INVALID_TOKEN" or not credentials.can_refresh:
                    raise
        token, named = self.refresh(target, credentials)
        if api_domain is None:
            # The token response names the org's API host; sandbox and developer live on their own hosts.
            api_domain = named if named and target.environment == "production" else target.default_api_domain
        return self.apis(api_domain, token, target, filter, minted=True)

    def refresh(self, target: Target, credentials: Credentials) -> tuple[str, str | None]:
        """The refresh grant, form-encoded in the body as the SDK sends it; returns (token, api_domain)."""
        url = _base(target.accounts, "--accounts-url") + "/oauth/v2/token"
        what = f"token refresh at {url}"
        form = {"grant_type": "refresh_token", "client_id": credentials.client_id,
                "client_secret": credentials.client_secret, "refresh_token": credentials.refresh_token}
        response = self.send("POST", url, what, data=form)
        doc = _json(response)
        if not isinstance(doc, dict):
            raise FetchError(f"{what}: the accounts server did not answer JSON "
                             f"(HTTP {response.status_code}, {_content_type(response)})")
        error = doc.get("error")
        if error is not None or response.status_code != 200:
            code = error if isinstance(error, str) and _ACCOUNTS_CODE.match(error) else None
            hint = _ACCOUNTS_HINTS.get(code or "", "")
            raise FetchError(f"{what}: the accounts server refused the refresh token (HTTP {response.status_code}"
                             f"{', ' + code if code else ''}){': ' + hint if hint else ''}")
        token = doc.get("access_token")
        if not isinstance(token, str) or not token:
            raise FetchError(f"{what}: the response has no access_token")
        self.secrets.append(token)
        named = doc.get("api_domain")
        if named is not None and not isinstance(named, str):
            raise FetchError(f"{what}: the response's api_domain is not a string")
        return token, _base(named, "the token's api_domain") if named else None

    def apis(self, api_domain: str, token: str, target: Target, filter: Filter | None, *,
             minted: bool = False) -> Fetched:
        """GET the catalogue and validate it; raise `_Rejected` for a Zoho error code."""
        url = f"{api_domain}/crm/{target.version}/__apis"
        what = f"GET {url}" + (f" (filter {filter})" if filter else "")
        params = {"filters": filter.param()} if filter else None
        response = self.send("GET", url, what, params=params, headers={"Authorization": f"Zoho-oauthtoken {token}"})
        status = response.status_code
        if status == 204:
            raise FetchError(f"{what}: Zoho listed no APIs (HTTP 204)")
        if 300 <= status < 400:
            raise FetchError(f"{what}: redirected (HTTP {status}); scopeplan does not follow redirects with "
                             "a token, check --api-domain")
        if status != 200:
            code = _zoho_code(response)
            hint = _MINTED_HINT if minted and code == "INVALID_TOKEN" else _API_HINTS.get(code or "")
            message = f"{what}: HTTP {status}{' ' + code if code else ''}{': ' + hint if hint else ''}"
            raise _Rejected(message, code)
        try:
            safeio.loads_json(response.content)
        except safeio.TooComplex as exc:
            raise FetchError(f"{what}: the answer is not usable JSON: {exc}") from None
        except ValueError:  # UnicodeDecodeError included
            raise FetchError(f"{what}: the answer is not JSON (HTTP 200, {_content_type(response)})") from None
        try:
            catalogue = parse(response.content, source="live", origin=url)
        except CatalogueError as exc:
            detail = str(exc).removeprefix(f"catalogue {url}: ")
            raise FetchError(f"{what}: the answer is not a valid __apis catalogue: {detail}") from None
        return Fetched(payload=response.content, catalogue=catalogue, url=url, filter=filter)

    def send(self, method: str, url: str, what: str, **kwargs) -> _Answer:
        """One request with bounded retries on network errors, 429 and 5xx, all within the fetch's deadline."""
        import httpx

        policy, cause, attempts = self.policy, "", self.policy.attempts
        for attempt in range(1, attempts + 1):
            left = self.watch.left()
            if left <= 0:
                raise FetchError(f"{what}: {cause or 'not sent, no time was left'} (gave up after "
                                 f"{_attempts(attempt - 1)}: {self._deadline()})")
            limit = min(policy.timeout, left)
            broken = None
            with self.watch.request(method, url, limit, attempt, attempts) as request:
                try:
                    response = self._exchange(method, url, request, limit, **kwargs)
                except _TooBig as exc:
                    raise FetchError(f"{what}: {exc}") from None
                except _Corrupt:
                    raise FetchError(f"{what}: the answer's compressed body does not inflate") from None
                except (_Expired, httpx.TransportError) as exc:
                    if request.expired or isinstance(exc, (_Expired, httpx.TimeoutException)):
                        # Our deadline or httpx's per-read timeout, whichever came first: the same story.
                        doing = request.doing()
                        cause = (f"no complete answer from {request.where} within {limit:.3g}s (timeout; {doing})"
                                 if doing else f"no answer from {request.where} within {limit:.3g}s (timeout)")
                    else:
                        cause = _describe(exc, url, limit)
                    wait = policy.delay(attempt)
                    asked = None
                except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                    broken = type(exc).__name__
                else:
                    if response.status_code != 429 and response.status_code < 500:
                        return response
                    code = _zoho_code(response)
                    cause = f"HTTP {response.status_code}{' ' + code if code else ''}"
                    if response.status_code == 429:
                        cause += " (rate limited: the org's API credits or concurrency are used up)"
                    wait = policy.delay(attempt)
                    asked = _retry_after(response)
                    if asked is not None:
                        if asked > policy.max_wait:
                            raise FetchError(f"{what}: {cause}; Zoho asks to retry after {asked:g}s, longer than "
                                             f"scopeplan waits ({policy.max_wait:g}s); try again later")
                        wait = asked
            if broken:
                raise FetchError(f"{what}: the request failed ({broken})")
            if attempt < attempts:
                left = self.watch.left()
                if asked is not None and asked >= left:
                    raise FetchError(f"{what}: {cause}; Zoho asks to retry after {asked:g}s, more than the "
                                     f"{max(left, 0):.0f}s left of the {policy.deadline:g}s deadline of the whole "
                                     "fetch (--deadline); try again later")
                if wait >= left:
                    raise FetchError(f"{what}: {cause} (gave up after {_attempts(attempt)}: the next retry, in "
                                     f"{wait:g}s, would pass {self._deadline()})")
                if wait >= 1:
                    self.watch.say(f"scopeplan: {cause} from {urlsplit(url).hostname}; retrying in {wait:.0f} s "
                                   f"(attempt {attempt + 1} of {attempts})")
                policy.sleep(wait)
        raise FetchError(f"{what}: {cause} (gave up after {_attempts(attempts)})")

    def _deadline(self) -> str:
        return f"the {self.policy.deadline:g}s deadline of the whole fetch (--deadline)"

    def _exchange(self, method: str, url: str, request: _Request, limit: float, *,
                  headers: dict | None = None, **kwargs) -> _Answer:
        """Send one request and read its answer within `limit` seconds and the size limit."""
        import httpx

        # We inflate the body ourselves, in bounded pieces; so we only ask for what we can inflate.
        headers = {**(headers or {}), "Accept-Encoding": "gzip, deflate"}
        with self.client.stream(method, url, headers=headers, timeout=httpx.Timeout(limit),
                                extensions={"trace": request.trace}, **kwargs) as response:
            ok = response.status_code == 200
            cap = self.policy.max_body if ok else _ERROR_BODY
            declared = response.headers.get("content-length", "")
            if ok and declared.isdigit() and int(declared) > cap:
                raise _TooBig(f"the answer is {safeio.size(int(declared))}, more than the {safeio.size(cap)} "
                              "limit (Zoho's catalogue is a few MB); refused before reading it")
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
                if not ok:
                    return _Answer(response.status_code, response.headers, b"")
                raise _TooBig(f"the answer is encoded as {encoding!r}, which scopeplan did not ask for")
            inflate = _Inflate(encoding) if encoding not in ("", "identity") else None
            if response.is_stream_consumed:  # an httpx.Response built from bytes (MockTransport): already decoded
                inflate, chunks = None, iter((response.content,))
            else:
                chunks = response.iter_raw()
            body = bytearray()
            for chunk in chunks:
                if request.expired or self.watch.clock() >= request.end:
                    raise _Expired()
                request.received += len(chunk)
                for piece in (inflate.feed(chunk) if inflate else (chunk,)):
                    if len(body) + len(piece) > cap:
                        if not ok:  # enough of an error answer to find Zoho's code, if it is there at all
                            return _Answer(response.status_code, response.headers, bytes(body))
                        after = " once decompressed" if inflate else ""
                        raise _TooBig(f"the answer is more than {safeio.size(cap)}{after}, the limit (Zoho's "
                                      "catalogue is a few MB); stopped reading it")
                    body += piece
            if request.expired:
                raise _Expired()
            return _Answer(response.status_code, response.headers, bytes(body))


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


class _Rejected(CatalogueError):
    """Zoho answered the `__apis` call with an error code (the caller may refresh and retry)."""

    def __init__(self, message: str, code: str | None):
        super().__init__(message)
        self.code = code


def _base(url: str, what: str) -> str:
    """Validate a server base URL; plain http is allowed to loopback hosts only (no token in clear)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is not None and (parts.username is not None or parts.password is not None):
        raise FetchError(f"{what} must not contain a user name or password")
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        shown = f", got {url!r}" if "@" not in url else ""  # never echo what may be a password
        raise FetchError(f"{what} must be an https:// URL of a server{shown}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise FetchError(f"{what} {url}: refusing to send Zoho credentials over plain http; use https")
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(exc: Exception, url: str, timeout: float) -> str:
    """Name the cause of a transport error in our own words (httpx's text is never passed on)."""
    import socket
    import ssl

    import httpx

    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    chain, link = [], exc
    while link is not None and len(chain) < 10:
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = " ".join(str(e) for e in chain).lower()
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {where} within {timeout:g}s (timeout)"
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(e, socket.gaierror) for e in chain) or any(
                s in text for s in ("name or service not known", "name resolution", "nodename nor servname",
                                    "getaddrinfo failed", "no address associated")):
            return f"cannot resolve host {parts.hostname} (DNS lookup failed)"
        if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
            return f"connection refused by {where}"
        if any(isinstance(e, ssl.SSLError) for e in chain):
            return f"TLS handshake with {where} failed"
        return f"cannot connect to {where}"
    if isinstance(exc, httpx.RemoteProtocolError):
        if "complete message body" in text or "incomplete" in text:
            return f"{where} closed the connection before the whole response arrived (truncated body)"
        return f"{where} broke the HTTP protocol"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return f"the connection to {where} broke"
    if isinstance(exc, httpx.ProxyError):
        return f"the proxy refused the connection to {where}"
    return f"network error talking to {where} ({type(exc).__name__})"


def _json(response: _Answer) -> object | None:
    try:
        return safeio.loads_json(response.content)
    except ValueError:  # not JSON, nested too deeply or a number out of range (UnicodeDecodeError included)
        return None


def _zoho_code(response: _Answer) -> str | None:
    """Zoho's error code (`{"code": "INVALID_TOKEN", ...}`, possibly under `data[0]`), if it looks like one."""
    doc = _json(response)
    if isinstance(doc, dict) and isinstance(doc.get("data"), list) and doc["data"]:
        doc = doc["data"][0]
    code = doc.get("code") if isinstance(doc, dict) else None
    return code if isinstance(code, str) and _ZOHO_CODE.match(code) else None


def _content_type(response: _Answer) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind if re.match(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$", kind) else "no content type"


def _retry_after(response: _Answer) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date; None when absent or unreadable."""
    import email.utils

    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _redact(text: str, secrets: list[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text
