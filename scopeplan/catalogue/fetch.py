"""Fetch an org's `__apis` catalogue from Zoho: OAuth refresh, data centres, timeouts and bounded retries.

httpx (and ssl, socket, email) are imported inside the functions that fetch, so commands that never
fetch do not pay for them at start-up.
No credential ever reaches a message: errors are written here from what failed, never from httpx's
text, and every message passes through `_redact` on its way out as a second line of defence.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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
    """Per-request timeout and bounded retries: exponential backoff, Retry-After honoured up to a cap."""

    timeout: float = 30.0
    attempts: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 60.0  # a longer Retry-After fails at once instead of retrying too early
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

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


def fetch(target: Target, credentials: Credentials, *, filter: Filter | None = None,
          policy: RetryPolicy = RetryPolicy(), transport: httpx.BaseTransport | None = None,
          client: httpx.Client | None = None) -> Fetched:
    """GET `{api_domain}/crm/{version}/__apis`, refreshing the access token first when needed."""
    import httpx

    secrets = list(credentials.secrets())
    own = client is None
    if client is None:
        client = httpx.Client(transport=transport, timeout=policy.timeout, follow_redirects=False)
    try:
        return _Session(client, policy, secrets).run(target, credentials, filter)
    except CatalogueError as exc:
        message = _redact(str(exc), secrets)
    finally:
        if own:
            client.close()
    raise FetchError(message)  # outside `except`: no chained httpx exception carries the request along


class _Session:
    """One fetch: the client, the retry policy, and the secrets seen so far (for redaction)."""

    def __init__(self, client: httpx.Client, policy: RetryPolicy, secrets: list[str]):
        self.client, self.policy, self.secrets = client, policy, secrets

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
        if _json(response) is None:
            raise FetchError(f"{what}: the answer is not JSON (HTTP 200, {_content_type(response)})")
        try:
            catalogue = parse(response.content, source="live", origin=url)
        except CatalogueError as exc:
            detail = str(exc).removeprefix(f"catalogue {url}: ")
            raise FetchError(f"{what}: the answer is not a valid __apis catalogue: {detail}") from None
        return Fetched(payload=response.content, catalogue=catalogue, url=url, filter=filter)

    def send(self, method: str, url: str, what: str, **kwargs) -> httpx.Response:
        """One request with bounded retries on network errors, 429 and 5xx."""
        import httpx

        cause, attempts = "", self.policy.attempts
        for attempt in range(1, attempts + 1):
            broken = None
            try:
                response = self.client.request(method, url, timeout=self.policy.timeout, **kwargs)
            except httpx.TransportError as exc:
                cause, wait = _describe(exc, url, self.policy.timeout), self.policy.delay(attempt)
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                broken = type(exc).__name__
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                code = _zoho_code(response)
                cause = f"HTTP {response.status_code}{' ' + code if code else ''}"
                if response.status_code == 429:
                    cause += " (rate limited: the org's API credits or concurrency are used up)"
                wait = self.policy.delay(attempt)
                asked = _retry_after(response)
                if asked is not None:
                    if asked > self.policy.max_wait:
                        raise FetchError(f"{what}: {cause}; Zoho asks to retry after {asked:g}s, longer than "
                                         f"scopeplan waits ({self.policy.max_wait:g}s); try again later")
                    wait = asked
            if broken:
                raise FetchError(f"{what}: the request failed ({broken})")
            if attempt < attempts:
                self.policy.sleep(wait)
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        raise FetchError(f"{what}: {cause} (gave up after {tries})")


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


def _json(response: httpx.Response) -> object | None:
    try:
        return json.loads(response.content)
    except (UnicodeDecodeError, ValueError):
        return None


def _zoho_code(response: httpx.Response) -> str | None:
    """Zoho's error code (`{"code": "INVALID_TOKEN", ...}`, possibly under `data[0]`), if it looks like one."""
    doc = _json(response)
    if isinstance(doc, dict) and isinstance(doc.get("data"), list) and doc["data"]:
        doc = doc["data"][0]
    code = doc.get("code") if isinstance(doc, dict) else None
    return code if isinstance(code, str) and _ZOHO_CODE.match(code) else None


def _content_type(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind if re.match(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$", kind) else "no content type"


def _retry_after(response: httpx.Response) -> float | None:
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
