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

What to fetch and its bounds are in target.py, the clock and its thread in watch.py, the reading of one
answer (size cap, inflation, what an error says) in wire.py; this module runs the requests and retries.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scopeplan import safeio
from scopeplan.catalogue.load import CatalogueError, parse
from scopeplan.catalogue.target import Credentials, Fetched, FetchError, Filter, RetryPolicy, Target
from scopeplan.catalogue.watch import Progress, Request, Watch
from scopeplan.catalogue.wire import (
    ERROR_BODY, Answer, Corrupt, Expired, Inflate, TooBig, answer_json, content_type, describe, retry_after, zoho_code,
)

if TYPE_CHECKING:  # pragma: no cover
    import httpx

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
        with Watch(policy, progress) as watch:
            return _Session(client, policy, secrets, watch).run(target, credentials, filter)
    except CatalogueError as exc:
        message = _redact(str(exc), secrets)
    finally:
        if own:
            client.close()
    raise FetchError(message)  # outside `except`: no chained httpx exception carries the request along


class _Session:
    """One fetch: the client, the retry policy, the secrets seen so far (for redaction), the watch."""

    def __init__(self, client: httpx.Client, policy: RetryPolicy, secrets: list[str], watch: Watch):
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
        doc = answer_json(response)
        if not isinstance(doc, dict):
            raise FetchError(f"{what}: the accounts server did not answer JSON "
                             f"(HTTP {response.status_code}, {content_type(response)})")
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
            code = zoho_code(response)
            hint = _MINTED_HINT if minted and code == "INVALID_TOKEN" else _API_HINTS.get(code or "")
            message = f"{what}: HTTP {status}{' ' + code if code else ''}{': ' + hint if hint else ''}"
            raise _Rejected(message, code)
        try:
            safeio.loads_json(response.content)
        except safeio.TooComplex as exc:
            raise FetchError(f"{what}: the answer is not usable JSON: {exc}") from None
        except ValueError:  # UnicodeDecodeError included
            raise FetchError(f"{what}: the answer is not JSON (HTTP 200, {content_type(response)})") from None
        try:
            catalogue = parse(response.content, source="live", origin=url)
        except CatalogueError as exc:
            detail = str(exc).removeprefix(f"catalogue {url}: ")
            raise FetchError(f"{what}: the answer is not a valid __apis catalogue: {detail}") from None
        return Fetched(payload=response.content, catalogue=catalogue, url=url, filter=filter)

    def send(self, method: str, url: str, what: str, **kwargs) -> Answer:
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
                except TooBig as exc:
                    raise FetchError(f"{what}: {exc}") from None
                except Corrupt:
                    raise FetchError(f"{what}: the answer's compressed body does not inflate") from None
                except (Expired, httpx.TransportError) as exc:
                    if request.expired or isinstance(exc, (Expired, httpx.TimeoutException)):
                        # Our deadline or httpx's per-read timeout, whichever came first: the same story.
                        doing = request.doing()
                        cause = (f"no complete answer from {request.where} within {limit:.3g}s (timeout; {doing})"
                                 if doing else f"no answer from {request.where} within {limit:.3g}s (timeout)")
                    else:
                        cause = describe(exc, url, limit)
                    wait = policy.delay(attempt)
                    asked = None
                except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                    broken = type(exc).__name__
                else:
                    if response.status_code != 429 and response.status_code < 500:
                        return response
                    code = zoho_code(response)
                    cause = f"HTTP {response.status_code}{' ' + code if code else ''}"
                    if response.status_code == 429:
                        cause += " (rate limited: the org's API credits or concurrency are used up)"
                    wait = policy.delay(attempt)
                    asked = retry_after(response)
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

    def _exchange(self, method: str, url: str, request: Request, limit: float, *,
                  headers: dict | None = None, **kwargs) -> Answer:
        """Send one request and read its answer within `limit` seconds and the size limit."""
        import httpx

        # We inflate the body ourselves, in bounded pieces; so we only ask for what we can inflate.
        headers = {**(headers or {}), "Accept-Encoding": "gzip, deflate"}
        with self.client.stream(method, url, headers=headers, timeout=httpx.Timeout(limit),
                                extensions={"trace": request.trace}, **kwargs) as response:
            ok = response.status_code == 200
            cap = self.policy.max_body if ok else ERROR_BODY
            declared = response.headers.get("content-length", "")
            if ok and declared.isdigit() and int(declared) > cap:
                raise TooBig(f"the answer is {safeio.size(int(declared))}, more than the {safeio.size(cap)} "
                              "limit (Zoho's catalogue is a few MB); refused before reading it")
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
                if not ok:
                    return Answer(response.status_code, response.headers, b"")
                raise TooBig(f"the answer is encoded as {encoding!r}, which scopeplan did not ask for")
            inflate = Inflate(encoding) if encoding not in ("", "identity") else None
            if response.is_stream_consumed:  # an httpx.Response built from bytes (MockTransport): already decoded
                inflate, chunks = None, iter((response.content,))
            else:
                chunks = response.iter_raw()
            body = bytearray()
            for chunk in chunks:
                if request.expired or self.watch.clock() >= request.end:
                    raise Expired()
                request.received += len(chunk)
                for piece in (inflate.feed(chunk) if inflate else (chunk,)):
                    if len(body) + len(piece) > cap:
                        if not ok:  # enough of an error answer to find Zoho's code, if it is there at all
                            return Answer(response.status_code, response.headers, bytes(body))
                        after = " once decompressed" if inflate else ""
                        raise TooBig(f"the answer is more than {safeio.size(cap)}{after}, the limit (Zoho's "
                                      "catalogue is a few MB); stopped reading it")
                    body += piece
            if request.expired:
                raise Expired()
            return Answer(response.status_code, response.headers, bytes(body))


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

def _redact(text: str, secrets: list[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text
