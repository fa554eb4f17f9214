"""Phase 2 of the prefilter: the modules (and members) that the chosen files' facts may look up next."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scopeplan.scanner.modules import Modules
    from scopeplan.scanner.producers import Producers


# How to read each facts type: fields that hold data, not names (SKIP); (name, value) pairs whose name is
# data (PAIRS); every other field is followed and its strings are names to resolve, so a field or type
# added later is read as names: more files, never fewer.
_SKIP_FIELDS = {
    "Lit": {"text"}, "Unknown": {"name", "origin"}, "SelfAttr": {"name"}, "Attr": {"name"},
    "Param": {"name"}, "Format": {"style"}, "Strip": {"chars", "side"}, "Loop": {"kind"},
    "Invoke": {"function", "hints", "keyword_lines"}, "FunctionFacts": {"qualname"},
    "ClassFacts": {"qualname", "methods"}, "Result": {"name"}, "Guard": {"op"},
    "FileFacts": {"path", "module", "error", "problems", "signs"},
}
# `state` pairs are `self.X` names with their values: `self.session`'s name is no global name
_PAIRS = {("Dict", "items"), ("Format", "kwargs"), ("Invoke", "kwargs"), ("Result", "kwargs"), ("Invoke", "state"),
          ("Result", "state"), ("ClassFacts", "attrs"), ("ClassFacts", "instance"), ("FileFacts", "symbols"),
          ("FileFacts", "imports")}
_PLANS: dict[type, tuple[tuple[str, int], ...] | None] = {}
_FOLLOW, _DATA, _NAMED = 0, 1, 2
_SCALARS = (int, float, bool, type(None), bytes)


def _plan(cls: type) -> tuple[tuple[str, int], ...] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    kind = cls.__name__
    skip = _SKIP_FIELDS.get(kind, set())
    return tuple((f.name, _NAMED if (kind, f.name) in _PAIRS else _DATA if f.name in skip else _FOLLOW)
                 for f in dataclasses.fields(cls))


def references(value, refs: set[str], strings: set[str]) -> None:
    """Dotted names in facts that the resolver may look up (`refs`), and every other string (`strings`)."""
    stack: list = [(value, True)]  # loose strings at the top come from fields this code does not know
    pop, push = stack.pop, stack.append
    while stack:
        item, is_ref = pop()
        kind = type(item)
        if kind is str:
            (refs if is_ref else strings).add(item)
            continue
        if kind is tuple or kind is list:
            stack.extend((v, is_ref) for v in item)
            continue
        if kind in _SCALARS:
            continue
        try:
            plan = _PLANS[kind]
        except KeyError:
            plan = _PLANS[kind] = _plan(kind)
        if plan is None:
            continue
        for name, mode in plan:
            v = getattr(item, name)
            if mode == _FOLLOW:
                if type(v) not in _SCALARS:
                    push((v, True))
            elif mode == _NAMED:
                for key, x in v:
                    strings.add(key)
                    push((x, False))
            elif type(v) is str:
                strings.add(v)


_KNOWN = {"path", "module", "symbols", "imports", "classes", "functions", "invokes", "error", "problems", "signs",
          "python2", "star_imports"}


def _callee_name(callee) -> str | None:
    """The last name of a call's callee (`x.get` -> `get`); None for callees that cannot be followed."""
    kind = type(callee).__name__
    if kind == "Glob":
        return callee.qualname.rpartition(".")[2]
    if kind in ("Attr", "SelfAttr"):
        return callee.name
    return None


def members_of(facts) -> dict[str, list]:
    """The module's top-level names (constants, classes, functions), each with the facts it owns."""
    out: dict[str, list] = defaultdict(list)
    module = facts.module
    prefix = len(module) + 1
    for name, value in (*facts.symbols, *facts.imports):  # a name the module imports is one of its members too
        out[name].append(value)
    for cls in facts.classes:
        out[cls.qualname[prefix:].split(".")[0]].append(cls)
    for fn in facts.functions:
        out[fn.qualname.partition(":")[2].split(".")[0]].append(fn)
    for invoke in facts.invokes:
        local = invoke.function.partition(":")[2].split(".")[0]
        if local != "<module>":
            out[local].append(invoke)
    unknown = [getattr(facts, f.name) for f in dataclasses.fields(facts) if f.name not in _KNOWN]
    if unknown:  # a field this code does not know: every member may need it
        for parts in out.values():
            parts.extend(unknown)
    return out


class Closure:
    """Phase 2: from the facts read so far, the modules (and members) that may be looked up next."""

    def __init__(self, modules: Modules):
        self.modules = modules
        self.strings: set[str] = set()
        self._words: set[str] = set()
        self._split: set[str] = set()
        self.done: set[tuple[str, str | None]] = set()  # (module, member) already followed
        self.whole: set[str] = set()  # modules followed as a whole (module objects)
        self.objects: set[str] = set()  # modules a name refers to as such: any attribute may follow
        self._members: dict[int, dict[str, list]] = {}

    def words(self) -> set[str]:
        """Every identifier spelt in the facts read so far (split lazily: rarely needed)."""
        for text in self.strings - self._split:
            self._words.update(w for w in re.split(r"[.:]", text) if w.isidentifier())
        self._split |= self.strings
        return self._words

    def start(self, facts, producers: Producers) -> list:
        """The parts of a producer's facts that finding call sites may evaluate: its relevant members,
        and its calls that end with an HTTP, SDK or relevant name (every call if those are unknown)."""
        module = facts.module
        parts: list = [getattr(facts, f.name) for f in dataclasses.fields(facts) if f.name not in _KNOWN]
        owned = self._owned(facts)
        for member in producers.relevant.get(module, ()):
            self.done.add((module, member))
            parts.extend(owned.get(member, ()))
        names = producers.names
        parts.extend(i for i in facts.invokes if names is None or _callee_name(i.callee) in names)
        return parts

    def wanted(self, parts: list) -> dict[str, set[str | None]]:
        """Modules (with the members read; None: any) that the names in `parts` may reach."""
        refs: set[str] = set()
        references(parts, refs, self.strings)
        want: dict[str, set[str | None]] = defaultdict(set)
        for ref in refs:
            ref = ref.replace(":", ".")
            self.strings.add(ref)
            seen = set()
            while ref not in seen:  # `pkg.sub.f`: member `sub` of pkg, and if pkg.sub is a module, its `f`
                seen.add(ref)
                hit = self.modules.lookup(ref)
                if hit is None:
                    break
                module, rest = hit
                want[module].add(rest[0] if rest else None)
                if not rest:
                    self.objects.add(module)
                    break
                ref = ".".join([module, *rest])
        if self.objects:
            words = self.words()
            todo = list(self.objects)
            while todo:  # a module used as a value: any attribute the code spells may be a submodule
                for name, steps in self.modules.extending(todo.pop()):
                    if name not in self.objects and all(step in words for step in steps):
                        self.objects.add(name)
                        want[name].add(None)
                        todo.append(name)
        return {name: members for name, members in want.items()
                if name not in self.whole and any((name, m) not in self.done for m in members)}

    def follow(self, name: str, members: set[str | None], facts_of_module: list) -> list:
        """Mark members followed; the parts of the module's facts to read next."""
        if None in members:
            members = {None}
        parts: list = []
        for member in members:
            if (name, member) in self.done or name in self.whole:
                continue
            self.done.add((name, member))
            if member is None:
                self.whole.add(name)
            for facts in facts_of_module:
                owned = [facts] if member is None else self._owned(facts).get(member)
                # a name the module does not bind itself may be one `from M import *` brought: M's, by name
                parts.extend(owned or [f"{star}.{member}" for star in facts.star_imports])
        return parts

    def _owned(self, facts) -> dict[str, list]:
        found = self._members.get(id(facts))
        if found is None:
            found = self._members[id(facts)] = members_of(facts)
        return found
