"""A progress line on stderr for long scans, drawn only when stderr is a terminal (never in pipes or CI logs)."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DELAY = 0.5  # seconds before the first draw: a fast run shows nothing at all
INTERVAL = 0.1  # seconds between redraws


def wanted(stream: TextIO | None = None) -> bool:
    """Whether to show progress: stderr is a terminal, not a dumb one, and NO_COLOR-style opt-outs unset."""
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


class Progress:
    """`done/total files` with a bar, rewritten in place; `close()` erases it."""

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self.total = 0
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def add(self, count: int) -> None:
        """More work is known: `count` more items."""
        self.total += count
        self._draw()

    def advance(self, count: int = 1) -> None:
        """`count` items are finished."""
        self.done += count
        self._draw()

    def close(self) -> None:
        """Erase the line (if one was drawn)."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False

    def _draw(self) -> None:
        if not self.enabled or not self.total:
            return
        now = time.monotonic()
        if now - self.start < DELAY or (now - self.last < INTERVAL and self.done < self.total):
            return
        self.last = now
        width = 24
        filled = width * self.done // self.total
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r\x1b[2Kscopeplan: {self.label} [{bar}] {self.done}/{self.total} files")
        self.stream.flush()
        self.drawn = True
