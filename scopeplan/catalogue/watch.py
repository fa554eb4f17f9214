"""The clock of one fetch: per-request and total deadlines, the thread that enforces them, the progress line."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

from scopeplan import safeio

if TYPE_CHECKING:  # pragma: no cover
    from scopeplan.catalogue.target import RetryPolicy

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

    def tick(self, request: Request, now: float) -> None:
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


class Request:
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


class Watch:
    """The clock of one fetch: its deadline, the request in flight, and a thread that enforces both."""

    def __init__(self, policy: RetryPolicy, progress: Progress | None):
        self.clock, self.deadline, self.progress = policy.clock, policy.deadline, progress
        self.end = self.clock() + policy.deadline
        self._current: Request | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scopeplan-fetch-watch", daemon=True)

    def __enter__(self) -> Watch:
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
    def request(self, method: str, url: str, limit: float, attempt: int, attempts: int) -> Iterator[Request]:
        """Watch one request for `limit` seconds (never past the fetch's own deadline)."""
        now = self.clock()
        request = Request(method, url, now, limit, min(now + limit, self.end), attempt, attempts)
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
