"""Phase 1 of the prefilter: from the seeds, the files that can yield a call site, one round at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from scopeplan.scanner.closure import members_of, references
from scopeplan.scanner.modules import Modules
from scopeplan.scanner.prefilter import _is_http, _mentions, call_names


class Producers:
    """Phase 1: the files that can yield a call site, grown from the seeds one round at a time.

    A member (constant, class, function) of a parsed module is *relevant* when its facts name Zoho or
    an HTTP library, or a relevant member of any module; a name a module imports counts as its member
    too (re-exports). A file that is not a seed can only yield a call site through a relevant member
    of another module (a wrapper, a client, a URL constant), so it joins when one of its imported names
    denotes one: `from m import X` with X relevant, `import m` or `from pkg import m` when m has any,
    `import pkg` when the file spells `sub` and a relevant member of `pkg.sub`. Modules not parsed yet
    have no relevant member: one that had would name Zoho, HTTP, or a relevant member itself.
    """

    def __init__(self, modules: Modules):
        self.modules = modules
        self.members: dict[str, dict[str, tuple[bool, set[str]]]] = {}  # module -> member -> (direct, refs)
        self.relevant: dict[str, set[str]] = defaultdict(set)  # module -> relevant members
        self.methods: dict[tuple[str, str], tuple[str, ...]] = {}  # (module, class) -> its method names
        self.names: set[str] | None = None  # names a call that may matter ends with (None: any call)
        self._new: list[tuple[object, tuple[str, ...]]] = []
        self._spelt: dict[str, list[tuple[list[bytes], str]]] = {}  # name -> (steps, module) it starts
        self.stars: dict[str, list[str]] = {}  # module -> the modules `from M import *` re-exports there

    def add(self, facts, refs: tuple[str, ...] = ()) -> None:
        """A newly parsed file, with the names its imports bind; read at the next `settle`."""
        if facts.error is None and facts.module in self.modules.names:
            self._new.append((facts, refs))

    def settle(self) -> None:
        """Read the new files' members and propagate relevance until nothing changes."""
        for facts, imported in self._new:
            table = self.members.setdefault(facts.module, {})
            prefix = len(facts.module) + 1
            for cls in facts.classes:
                key = (facts.module, cls.qualname[prefix:].split(".")[0])
                self.methods[key] = self.methods.get(key, ()) + tuple(cls.methods)
            for member, parts in members_of(facts).items():
                refs: set[str] = set()
                strings: set[str] = set()
                references(parts, refs, strings)
                direct = (any(_is_http(ref, None) for ref in refs) or any(map(_mentions, strings))
                          or any(map(_mentions, refs)))
                _merge(table, member, direct, refs)
            for ref in imported:  # `from .client import Client` makes `Client` a member here too
                _merge(table, ref.rpartition(".")[2], False, {ref})
            stars = [hit[0] for star in facts.star_imports
                     if (hit := self.modules.lookup(star)) is not None and not hit[1] and hit[0] != facts.module]
            if stars:
                self.stars[facts.module] = stars
        self._new = []
        changed = True
        while changed:
            changed = False
            for module, table in self.members.items():
                relevant = self.relevant[module]
                for member, (direct, refs) in table.items():
                    if member not in relevant and (direct or any(map(self._uses_relevant, refs))):
                        relevant.add(member)
                        changed = True
            for module, stars in self.stars.items():  # `from .client import *`: its relevant public names too
                relevant = self.relevant[module]
                for star in stars:
                    new = {m for m in self.relevant.get(star, ()) if not m.startswith("_")} - relevant
                    if new:
                        relevant |= new
                        changed = True
        self.names = set(call_names()) or None
        self._spelt = {}
        for module, members in self.relevant.items():
            if self.names is not None:
                self.names |= members
                self.names.update(m for member in members for m in self.methods.get((module, member), ()))
            if members:
                for alias in self.modules.aliases(module):
                    parts = alias.split(".")
                    for k in range(1, len(parts)):
                        self._spelt.setdefault(".".join(parts[:k]), []).append(
                            ([step.encode() for step in parts[k:]], module))

    def _uses_relevant(self, ref: str) -> bool:
        hit = self.modules.lookup(ref)
        if hit is None:
            return False
        module, rest = hit
        return bool(self.relevant.get(module)) if not rest else rest[0] in self.relevant.get(module, ())

    def reaches(self, refs: tuple[str, ...], data: Callable[[], bytes]) -> bool:
        """Whether a file with these imported names may use a relevant member."""
        for ref in refs:
            hit = self.modules.lookup(ref)
            if hit is not None:
                module, rest = hit
                members = self.relevant.get(module)
                if members and (not rest or rest[0] in members):  # a module itself: any member may be used
                    return True
            for steps, module in self._spelt.get(ref, ()):
                text = data()
                if all(step in text for step in steps) and any(m.encode() in text for m in self.relevant[module]):
                    return True
        return False


def _merge(table: dict, member: str, direct: bool, refs: set[str]) -> None:
    old = table.get(member)
    table[member] = (direct, refs) if old is None else (direct or old[0], refs | old[1])
