"""One answer read within its bounds: streamed, size-capped, inflated in pieces; and what its errors say."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scopeplan import safeio
from scopeplan.catalogue.load import CatalogueError

if TYPE_CHECKING:  # pragma: no cover
    import httpx

_ZOHO_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
ERROR_BODY = 1024 * 1024  # an error answer is read this far for Zoho's code, and no further
_PIECE = 1024 * 1024  # inflate at most this much at a time: a gzip bomb never expands in one go


@dataclass
class Answer:
    """A response read within its bounds: status, headers, and the (decompressed) body."""

    status_code: int
    headers: httpx.Headers
    content: bytes


class TooBig(CatalogueError):
    """An answer above the size limit: not retried, the server would send it again."""


class Expired(Exception):
    """The request ran past its deadline (raised between chunks; the watch also shuts the socket)."""


class Inflate:
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
                raise Corrupt() from None
            self.started = True
            data = self.inflater.unconsumed_tail
            if self.inflater.eof and self.inflater.unused_data:
                data = self.inflater.unused_data  # another gzip member follows
                self._new(self.wbits)
            if piece:
                yield piece


class Corrupt(Exception):
    """A compressed body that does not inflate."""


def describe(exc: Exception, url: str, timeout: float) -> str:
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


def answer_json(response: Answer) -> object | None:
    """The answer's body as JSON, or None when it is not (bounded by safeio's nesting and number limits)."""
    try:
        return safeio.loads_json(response.content)
    except ValueError:  # not JSON, nested too deeply or a number out of range (UnicodeDecodeError included)
        return None


def zoho_code(response: Answer) -> str | None:
    """Zoho's error code (`{"code": "INVALID_TOKEN", ...}`, possibly under `data[0]`), if it looks like one."""
    doc = answer_json(response)
    if isinstance(doc, dict) and isinstance(doc.get("data"), list) and doc["data"]:
        doc = doc["data"][0]
    code = doc.get("code") if isinstance(doc, dict) else None
    return code if isinstance(code, str) and _ZOHO_CODE.match(code) else None


def content_type(response: Answer) -> str:
    """The answer's media type (`application/json`), or "no content type" when it is absent or odd."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind if re.match(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$", kind) else "no content type"


def retry_after(response: Answer) -> float | None:
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
