"""What a fetch asks for and within which bounds: data centres, target, credentials, filter, retry policy."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scopeplan import safeio
from scopeplan.catalogue.load import CatalogueError
from scopeplan.model import Catalogue

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

