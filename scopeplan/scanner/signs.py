"""Signs of Zoho in a file's text: the first Zoho CRM SDK import and the first CRM path it names."""

from __future__ import annotations

import re

_SDK_IMPORT = re.compile(r"^\s*(?:from|import)\s+(zcrmsdk|zohocrmsdk\w*)\b")
_CRM_PATH = re.compile(r"(?:zohoapis\.[a-z.]+)?/crm/(?:v\d[\d.]*|bulk|email|private)(?![\w.])(?:/[\w{}/.-]*)?")


def signs(lines: list[str]) -> tuple[str, ...]:
    """The first import of a Zoho CRM SDK and the first CRM path the file names, with their lines."""
    out = []
    for number, line in enumerate(lines, 1):
        found = _SDK_IMPORT.match(line)
        if found:
            out.append(f"imports {found.group(1)} (line {number})")
            break
    for number, line in enumerate(lines, 1):
        found = _CRM_PATH.search(line)
        if found:
            out.append(f"names {found.group(0)[:60]} (line {number})")
            break
    return tuple(out)
