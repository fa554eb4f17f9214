"""The live-catalogue cache: Zoho's unchanged `__apis` payloads, each with a metadata file beside it.

Layout: `<cache dir>/catalogues/<dc>-<environment>-<version>/<digest[:16]>.json` plus `.meta.json`.
Every digest ever fetched is kept, so a baseline pinned to a digest can still load its catalogue
(`live:sha256:...`). The payload is written before its metadata, both atomically, so a reader that
finds the metadata always finds a whole payload, and a failed fetch never touches either.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from scopeplan import safeio
from scopeplan.catalogue.load import CatalogueError, parse
from scopeplan.model import Catalogue

if TYPE_CHECKING:  # pragma: no cover
    from scopeplan.catalogue.target import Fetched, Target

SCHEMA = "scopeplan.catalogue-cache/1"
SUBDIR = "catalogues"
_META = ".meta.json"


def cache_dir(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Path:
    """$SCOPEPLAN_CACHE_DIR, else the user cache directory of the platform, plus `scopeplan`."""
    if environ.get("SCOPEPLAN_CACHE_DIR"):
        return Path(environ["SCOPEPLAN_CACHE_DIR"])
    home = Path(environ.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Caches" / "scopeplan"
    if platform == "win32":
        local = environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "scopeplan" / "Cache"
    xdg = environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    return (Path(xdg) if os.path.isabs(xdg) else home / ".cache") / "scopeplan"


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes through a temp file in the same directory and os.replace: never a half-written file.

    Missing directories are created; a failure (a full disk) leaves the old file and no temp file.
    """
    safeio.write_atomic(path, data, parents=True)


@dataclass(frozen=True)
class Entry:
    """One cached catalogue: its key, source URL, fetch time, digest, and the files that hold it."""

    key: str  # "us-production-v8"
    dc: str
    environment: str
    version: str
    url: str  # the __apis URL it came from; never a token
    fetched_at: datetime
    digest: str
    endpoints: int
    payload: Path
    meta: Path

    def age_days(self, now: datetime | None = None) -> float:
        """Days since the fetch."""
        return ((now or datetime.now(timezone.utc)) - self.fetched_at).total_seconds() / 86400

    def load(self) -> Catalogue:
        """Parse the cached payload as a live catalogue and check it still has the recorded digest."""
        try:
            data = safeio.read_bytes(self.payload, safeio.CATALOGUE_LIMIT, "cached catalogue")
        except OSError as exc:
            raise CatalogueError(f"cached catalogue {self.payload}: cannot read it ({exc.strerror}); "
                                 "run `scopeplan catalogue fetch` again") from None
        catalogue = parse(data, source="live", origin=self.url)
        if catalogue.digest != self.digest:
            raise CatalogueError(f"cached catalogue {self.payload}: its digest is not the one recorded at fetch "
                                 "time (edited by hand?); run `scopeplan catalogue fetch` again")
        return catalogue


def save(fetched: Fetched, target: Target, *, directory: Path | None = None, now: datetime | None = None) -> Entry:
    """Store a full (unfiltered) fetched catalogue under its target's key; return its cache entry."""
    if fetched.filter is not None:  # a partial catalogue must never become the live one
        raise CatalogueError(f"a catalogue fetched with filter {fetched.filter} is partial and is not cached")
    folder = (directory or cache_dir()) / SUBDIR / target.key
    stem = fetched.catalogue.digest.split(":", 1)[-1][:16]
    payload, meta = folder / f"{stem}.json", folder / f"{stem}{_META}"
    fetched_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    doc = {
        "schema": SCHEMA, "key": target.key, "dc": target.dc, "environment": target.environment,
        "version": target.version, "api_version": fetched.catalogue.api_version, "url": fetched.url,
        "fetched_at": fetched_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "digest": fetched.catalogue.digest, "endpoints": len(fetched.catalogue.endpoints), "payload": payload.name,
    }
    new = not payload.exists()
    write_atomic(payload, fetched.payload)
    try:
        write_atomic(meta, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    except OSError:
        if new:  # a payload without its metadata is invisible and would stay for ever: the cache as it was
            payload.unlink(missing_ok=True)
        raise
    return _entry(meta, doc)


def entries(directory: Path | None = None) -> tuple[Entry, ...]:
    """Every readable cache entry, newest first."""
    root = (directory or cache_dir()) / SUBDIR
    found = []
    for meta in root.glob(f"*/*{_META}"):
        try:
            doc = safeio.load_json(meta, safeio.META_LIMIT, "cache entry")
            found.append(_entry(meta, doc))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # hand-edited, foreign or hostile files (a FIFO, /dev/zero): a cache miss, never a crash
    return tuple(sorted(found, key=lambda e: (e.fetched_at, e.digest), reverse=True))


def find(selector: str = "", directory: Path | None = None) -> Entry:
    """The newest entry matching `dc[-environment[-version]]` (or any, when empty), or a digest `sha256:...`."""
    candidates = entries(directory)
    if selector.startswith("sha256:"):
        if len(selector) < len("sha256:") + 8:
            raise CatalogueError(f"live:{selector}: give at least 8 hex digits of the digest")
        matches = [e for e in candidates if e.digest.startswith(selector.lower())]
        if len({e.digest for e in matches}) > 1:
            raise CatalogueError(f"live:{selector}: several cached catalogues have this digest prefix")
        what = f" with digest {selector}"
    else:
        wanted = selector.split("-") if selector else []
        if len(wanted) > 3 or not all(wanted):
            raise CatalogueError(f"live:{selector}: expected live, live:DC, live:DC-ENVIRONMENT, "
                                 "live:DC-ENVIRONMENT-VERSION or live:sha256:DIGEST")
        matches = [e for e in candidates if [e.dc, e.environment, e.version][:len(wanted)] == wanted]
        what = f" for {selector}" if selector else ""
    if not matches:
        where = (directory or cache_dir()) / SUBDIR
        raise CatalogueError(f"no live catalogue cached{what} in {where}; run `scopeplan catalogue fetch` first")
    return matches[0]


def load_live(selector: str = "", *, max_age_days: int | None = None, directory: Path | None = None,
              now: datetime | None = None, warn: Callable[[str], None] | None = None) -> Catalogue:
    """The newest cached catalogue for `selector` (see `find`); warn on stderr when it is stale."""
    entry = find(selector, directory)
    if max_age_days is None:
        from scopeplan.config import Config

        max_age_days = Config().cache_max_age_days
    age = entry.age_days(now)
    if age > max_age_days and not selector.startswith("sha256:"):  # a pinned digest is old on purpose
        (warn or _stderr)(
            f"scopeplan: warning: the live catalogue {entry.key} was fetched {int(age)} days ago (more than "
            f"{max_age_days}); refresh it with `scopeplan catalogue fetch --dc {entry.dc} "
            f"--environment {entry.environment} --api-version {entry.version}`")
    return entry.load()


def _entry(meta: Path, doc: dict) -> Entry:
    if doc.get("schema") != SCHEMA:
        raise ValueError("not a scopeplan catalogue cache entry")
    fetched_at = datetime.fromisoformat(doc["fetched_at"].replace("Z", "+00:00"))
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    return Entry(key=doc["key"], dc=doc["dc"], environment=doc["environment"], version=doc["version"],
                 url=doc["url"], fetched_at=fetched_at, digest=doc["digest"], endpoints=int(doc["endpoints"]),
                 payload=meta.parent / Path(doc["payload"]).name, meta=meta)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)
