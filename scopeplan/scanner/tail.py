"""Where a file's code ends: an edit of only the comment and blank lines after it cannot change its facts.

A *tail line* is a blank line or a comment, in printable ASCII with no backslash, that names none of the
words the scanner reads in comments (`scopeplan` hints, `zoho`/`crm` signs); the tail is the run of such
lines, each ending in `\\n`, at the end of the file. Two files with the same code before their tails,
one of which parses, fold to the same facts when the other is also within the complexity budget:
the tokenizer sees only NL and COMMENT tokens there, so statements, expressions, their texts and
their lines are the same, and neither the hints, the signs nor the SDK-import sign read those lines.
`scan` keeps the key of each file's code (`code_end`) in its manifest and, for a file whose code is
unchanged, copies the facts of its last version instead of parsing it (see `_Run._same_facts`).
"""

from __future__ import annotations

import re

_TAIL_LINE = re.compile(rb"[ \t]*(?:#[ -\[\]-~]*)?\n")  # printable ASCII, no backslash, no CR or form feed
_READ_IN_COMMENTS = (b"scopeplan", b"zoho", b"crm", b"zcrm")


def code_end(data: bytes) -> int:
    """The length of the file without its tail (len(data) when it has none)."""
    if not data.endswith(b"\n"):
        return len(data)
    end = len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end - 1) + 1
        line = data[start:end]
        if _TAIL_LINE.fullmatch(line) is None or any(word in line.lower() for word in _READ_IN_COMMENTS):
            break
        end = start
    if end != len(data) and (end == 0 or data.endswith(b"\\\n", 0, end) or data.endswith(b"\\\r\n", 0, end)):
        return len(data)  # a continued last line (or no code at all): the tail is not plainly apart from it
    return end
