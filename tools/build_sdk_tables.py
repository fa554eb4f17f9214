#!/usr/bin/env python3
"""Rebuild scopeplan/data/sdk_methods.json: what each official Zoho CRM Python SDK method calls.

    python tools/build_sdk_tables.py [--wheel-dir DIR] [--reference-dir DIR]

Stdlib only.  Downloads (``pip download --no-deps``) the six SDK releases listed in
tools/sdk_extract.py SDK_RELEASES, reads every ``*Operations`` class with ``ast`` and writes,
per package, per class: the dotted module, the constructor parameters, and per method the HTTP
method, raw path (placeholders name a method argument or a constructor field), normalised
``__apis``-style path template, parameters, placeholder sources and whether the method makes
the SDK prefetch field/related-list metadata.  It also records the calls the SDK makes on its
own (util/utility.py; ``find_user`` on token generation, zoho-facts.md 1.5).

For v7 and v8 the (method, path_template) pairs are cross-checked against
shared/reference/sdk_endpoints_v{7,8}.json when those files are present.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sdk_extract as se  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "scopeplan" / "data" / "sdk_methods.json"
DEFAULT_REFERENCE_DIR = REPO.parent / "shared" / "reference"
REFERENCE_FOR = {"zohocrmsdk8_0": "sdk_endpoints_v8.json", "zohocrmsdk7_0": "sdk_endpoints_v7.json"}
SCOPE_IN_TEXT = re.compile(r"ZohoCRM\.[A-Za-z_]+(?:\.[A-Za-z_]+)?\.(?:ALL|READ|CREATE|UPDATE|DELETE)")


def package_table(key: str, wheel_dir: Path | None, reference_dir: Path):
    wheel, dist, version, root, api_version = se.fetch_release(key, wheel_dir)
    ops = se.extract_operations(wheel)

    ref_name = REFERENCE_FOR.get(key)
    if ref_name:
        ref_path = reference_dir / ref_name
        mine = {(o.http_method, o.path_template) for o in ops}
        if ref_path.is_file():
            ref = se.reference_pairs(ref_path)
            if mine != ref:
                print(f"{key}: extracted pairs differ from {ref_name}:\n" + se.diff_pairs(mine, ref), file=sys.stderr)
                raise SystemExit(1)
            print(f"{key}: cross-check OK against {ref_name} ({len(mine)} pairs)")
        else:
            print(f"notice: {ref_path} not found; {key} cross-check skipped", file=sys.stderr)

    classes: dict = {}
    for o in ops:
        cls = classes.setdefault(o.sdk_class, {"module": o.module_path, "constructor": list(o.constructor), "methods": {}})
        if cls["module"] != o.module_path:
            raise SystemExit(f"{key}: class name {o.sdk_class} defined in two modules: {cls['module']}, {o.module_path}")
        if o.sdk_method in cls["methods"]:
            raise SystemExit(f"{key}: duplicate method {o.sdk_class}.{o.sdk_method}")
        cls["methods"][o.sdk_method] = {
            "http_method": o.http_method,
            "path": o.path,
            "path_template": o.path_template,
            "host": o.host,
            "params": list(o.params),
            "placeholders": [{"name": p.name, "source": p.source, "kind": p.kind} for p in o.placeholders],
            "prefetches_metadata": o.prefetches_metadata,
        }

    # Implicit calls, resolved to endpoints through the extracted operations.
    imp = se.implicit_calls(wheel)
    by_cm = {(o.sdk_class, o.sdk_method): o for o in ops}
    prefetch = []
    for c in imp["utility_operation_calls"]:
        o = by_cm.get((c["class"], c["method"]))
        prefetch.append({"utility_function": c["function"], "class": c["class"], "method": c["method"],
                         "http_method": o.http_method if o else None, "path_template": o.path_template if o else None})
    metadata = wheel.metadata_text()
    find_user_lines = [ln for ln in metadata.splitlines() if "find_user" in ln.lower() or "finduser" in ln.lower()]
    find_user_scopes = sorted({s for ln in find_user_lines for s in SCOPE_IN_TEXT.findall(ln)})
    implicit = {
        "metadata_prefetch": prefetch,
        "find_user": {
            "oauth_token_find_user_default": imp["oauth_token_find_user_default"],
            "calls": [{"utility_function": e["function"], "http_method": e["http_method"], "path": e["path"]}
                      for e in imp["utility_endpoints"]],
            "scopes_required_per_package_readme": find_user_scopes,
        },
    }
    table = {
        "distribution": dist,
        "version": version,
        "import_root": root,
        "api_version": api_version,
        "counts": {"classes": len(classes), "methods": len(ops),
                   "method_path_pairs": len({(o.http_method, o.path_template) for o in ops})},
        "implicit_calls": implicit,
        "classes": classes,
    }
    return table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel-dir", type=Path, default=None,
                    help="reuse/keep downloaded wheels here (default: a fresh temporary directory)")
    ap.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                    help="directory holding sdk_endpoints_v7.json / sdk_endpoints_v8.json")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    packages, failed = {}, []
    for key in se.SDK_RELEASES:
        try:
            packages[key] = package_table(key, args.wheel_dir, args.reference_dir)
        except se.ExtractionError as exc:
            # A failed download or an unparsed construct: report, never invent data.
            print(f"FAILED {key}: {exc}", file=sys.stderr)
            failed.append(key)
    if failed:
        raise SystemExit(f"no output written; failed: {', '.join(failed)}")
    doc = {
        "source": ("Generated by tools/build_sdk_tables.py from the PyPI wheels "
                   + ", ".join(f"{d}=={v}" for d, v, _r, _a in se.SDK_RELEASES.values())
                   + ". Read with ast from every *Operations class under <root>/src/com/zoho/crm/api/; the SDK is never "
                     "imported. 'path' is the SDK's own concatenation with {name} for str(x) pieces; a placeholder's "
                     "source says whether x is a method argument or a constructor field (self.__x). 'path_template' is "
                     "normalised to __apis style (zoho-facts.md 1.4). host: api | file_upload (content.zohoapis.com, "
                     "swapped for the data centre's upload host) | opaque (absolute download URL from an earlier "
                     "response). prefetches_metadata: the method calls Utility.get_fields / get_related_lists / "
                     "verify_photo_support before the request."),
        "packages": packages,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for key, t in packages.items():
        print(f"{key}: {t['counts']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
