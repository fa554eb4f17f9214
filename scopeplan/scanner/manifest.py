"""The manifest a scan leaves for the next one: its rows' shape, and prefilter summaries packed as one string."""

from __future__ import annotations


def valid_entry(entry) -> bool:
    """A manifest row as this scanner writes it: (stat, key, summary, checked, code key or None when the
    file has no tail: see tail.py)."""
    return (isinstance(entry, tuple) and len(entry) == 5 and isinstance(entry[0], tuple) and len(entry[0]) == 4
            and all(type(n) is int for n in entry[0]) and isinstance(entry[1], str)
            and (entry[2] is None or (isinstance(entry[2], tuple) and len(entry[2]) == 2
                                      and isinstance(entry[2][0], bool) and isinstance(entry[2][1], str)))
            and (entry[3] is None or type(entry[3]) is int) and (entry[4] is None or isinstance(entry[4], str)))


def valid_manifest(manifest) -> dict:
    """The manifest if every part of it has the shape this scanner writes, else an empty one (rebuilt)."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return {}
    if not all(isinstance(k, str) and valid_entry(v) for k, v in manifest["files"].items()):
        return {}
    selection = manifest.get("selection")
    if selection is not None and not (isinstance(selection, tuple) and len(selection) == 2
                                      and isinstance(selection[0], str) and isinstance(selection[1], tuple)
                                      and all(isinstance(p, str) for p in selection[1])):
        return {}
    recent = manifest.get("recent", ())
    if not (isinstance(recent, tuple) and all(isinstance(p, str) for p in recent)):
        return {}
    return manifest


class _Summary:
    """A prefilter summary as the manifest keeps it: one string, split only when used."""

    __slots__ = ("seed", "_refs")

    def __init__(self, seed: bool, refs: str):
        self.seed, self._refs = seed, refs

    @property
    def refs(self) -> tuple[str, ...]:
        refs = self._refs
        if isinstance(refs, str):
            refs = self._refs = tuple(refs.split("\n")) if refs else ()
        return refs


def pack(summary):
    """A prefilter summary as a manifest row holds it: (seed, refs joined by newlines)."""
    return None if summary is None else (summary.seed, "\n".join(summary.refs))


def unpack(packed):
    """The summary `pack` wrote, its refs split only when asked for."""
    return None if packed is None else _Summary(*packed)
