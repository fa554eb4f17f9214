"""Fetch the pinned third-party codebases of the real-world benchmark from PyPI, verify, unpack.

Each `labels/*.json` names one PyPI artefact: `package`, `version`, `filename` and `sha256`. The artefact is
fetched with `pip download --no-deps` into `cache/dl/` (git-ignored), its sha256 checked, and unpacked into
`cache/src/<name>/`. Nothing is fetched twice. Third-party code is never committed.

    python benchmarks/realworld/fetch.py            # all codebases
    python benchmarks/realworld/fetch.py zoho-crm   # some
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels"
CACHE = HERE / "cache"


def codebases(names: list[str] | None = None) -> list[dict]:
    """The label files, sorted by name; only `names` when given."""
    out = []
    for f in sorted(LABELS.glob("*.json")):
        data = json.loads(f.read_text())
        data["name"] = f.stem
        if not names or f.stem in names or data["package"] in names:
            out.append(data)
    return out


def sha256(path: Path) -> str:
    """The sha256 of a file, hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def download(cb: dict) -> Path:
    """The verified artefact of one codebase in cache/dl/, downloaded with pip if missing."""
    dl = CACHE / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    target = dl / cb["filename"]
    if not target.exists():
        with tempfile.TemporaryDirectory(dir=dl) as tmp:
            kind = ["--only-binary", ":all:"] if cb["filename"].endswith(".whl") else ["--no-binary", ":all:"]
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
                   "--ignore-requires-python",  # never installed: a package for a newer Python is still read
                   *kind, "-d", tmp, f"{cb['package']}=={cb['version']}"]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            got = Path(tmp) / cb["filename"]
            if not got.exists():
                raise RuntimeError(f"{cb['name']}: pip fetched {sorted(p.name for p in Path(tmp).iterdir())}, "
                                   f"not {cb['filename']}")
            got.replace(target)
    digest = sha256(target)
    if digest != cb["sha256"]:
        target.unlink()
        raise RuntimeError(f"{cb['name']}: sha256 {digest} != pinned {cb['sha256']}")
    return target


def unpack(cb: dict) -> Path:
    """The unpacked tree of one codebase, cache/src/<name>/ (fetched and unpacked if missing)."""
    dest = CACHE / "src" / cb["name"]
    stamp = dest / ".sha256"
    if stamp.exists() and stamp.read_text() == cb["sha256"]:
        return dest
    archive = download(cb)
    if dest.exists():
        shutil.rmtree(dest)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent if dest.parent.exists() else _mk(dest.parent)))
    name = archive.name
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
    elif name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(archive) as t:
            t.extractall(tmp, filter="data")
    else:
        raise RuntimeError(f"{cb['name']}: cannot unpack {name}")
    (tmp / ".sha256").write_text(cb["sha256"])
    tmp.replace(dest)
    return dest


def root(cb: dict) -> Path:
    """The folder scopeplan scans for one codebase.

    With `include` (paths relative to `root`), the folder holds only those files, copied at the same relative
    paths into cache/src/<name>.include/: user code shipped inside an SDK is scanned without the SDK's own
    internals, as an application would be scanned with the SDK installed.
    """
    tree = unpack(cb) / cb["root"]
    if not cb.get("include"):
        return tree
    dest = CACHE / "src" / f"{cb['name']}.include"
    stamp = dest / ".sha256"
    want = cb["sha256"] + "\n" + "\n".join(cb["include"])
    if stamp.exists() and stamp.read_text() == want:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent))
    for rel in cb["include"]:
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / rel, tmp / rel)
    (tmp / ".sha256").write_text(want)
    tmp.replace(dest)
    return dest


def _mk(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="codebases (label file stem or package name); default all")
    args = ap.parse_args(argv)
    failed = 0
    for cb in codebases(args.names):
        try:
            print(f"{cb['name']:28} {root(cb)}")
        except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
            failed += 1
            print(f"{cb['name']:28} FAILED: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
