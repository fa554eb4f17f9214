"""The plumbing of one forked parse worker: length-prefixed pickles on pipes, the facts it sends back, and the
process's own limits."""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scopeplan.scanner.cache import loads
from scopeplan.scanner.files import module_name

if TYPE_CHECKING:  # the facts' module loads with the first facts: `early` forks before it is imported
    from scopeplan.scanner.facts import FileFacts

HEADER = struct.Struct("<Q")
WORKER_MEMORY = 768 * 2**20  # address space a worker may add to what it has once libcst is loaded


def send(fd: int, value) -> None:
    """Write one message (a pickle behind its length) to fd, whole."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(payload)) + payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def frames(buffer: bytearray):
    """Complete messages at the start of buffer, removed from it."""
    while len(buffer) >= HEADER.size:
        (size,) = HEADER.unpack_from(buffer)
        if len(buffer) < HEADER.size + size:
            return
        payload = bytes(buffer[HEADER.size:HEADER.size + size])
        del buffer[:HEADER.size + size]
        yield pickle.loads(payload)


def receive(fd: int):
    """The next whole message on fd, or None at end of file."""
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    return pickle.loads(_read_exactly(fd, HEADER.unpack(header)[0]) or b"")


def _read_exactly(fd: int, size: int) -> bytes | None:
    out = bytearray()
    while len(out) < size:
        chunk = os.read(fd, size - len(out))
        if not chunk:
            return None
        out += chunk
    return bytes(out)


def facts_of(payload: bytes, relative: Path) -> tuple[FileFacts, bytes | None]:
    """The facts a worker sent (as `cache.dumps` wrote them) and those bytes; an error row if they do not load."""
    from scopeplan.scanner.facts import FileFacts

    try:
        facts = loads(payload)
        if isinstance(facts, FileFacts):
            return facts, payload
        why = f"a {type(facts).__name__}"
    except Exception as exc:  # a bug in scopeplan must cost one file, not the run
        why = f"{type(exc).__name__}: {exc}"
    message = f"scopeplan failed on this file (its facts did not load: {why}); please report it"
    return FileFacts(relative.as_posix(), module_name(relative)[0], error=message), None


def die_with(parent: int) -> None:
    """Ask the kernel to kill this worker when its parent dies; leave at once if it is already gone."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(0)


def limit_memory() -> None:
    """Cap the worker's address space, so a blow-up is this file's MemoryError (or its death), not the
    machine's swap."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + WORKER_MEMORY
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass
