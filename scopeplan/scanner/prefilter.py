"""Choose the files worth parsing, losslessly: a cheap test on bytes, then the files they depend on.

Phase 1 (`Producers`): a file is a *seed* when its bytes mention Zoho (`zoho`, `zcrm`, a `crm` path
segment), a `# scopeplan:` hint, or an import of an HTTP library or Zoho SDK scopeplan knows
(`clients.py`, the SDK table). Seeds are parsed; their members that name Zoho or HTTP, or use such a
member, are *relevant*; a file whose imports name a relevant member (or a module that has one) can
yield a call site, so it is parsed too, and so on until no file joins.

Phase 2 (`Closure`): the resolver reads other modules only through the dotted names in the facts. The
names the parsed files may evaluate (relevant members, calls that may be HTTP, SDK or wrapper calls) are
resolved as `Project.lookup` resolves them, and the modules they reach are parsed, member by member.

Every other file becomes an empty `FileFacts` with its path and module name: the set of module names
stays the one a full scan sees, so name resolution cannot change. Known limits (benchmarks/README.md):
a Zoho keyword spelt only with escapes or split literals, a module object kept in a variable and used
from a third file, and syntax errors in files that cannot matter (not parsed, so not reported).
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from scopeplan.models import http as clients

# The matcher accepts a CRM host (every one contains "zoho") or a `crm` path segment.
_CRM_WORD = re.compile(rb"(?<![a-z0-9])crm(?![a-z0-9])")  # `crm`, `/crm/`, `sync_crm`; not `test_crmo`
_ZOHO_NAME = re.compile(r"(?i)zoho|(?<![a-z0-9])crm(?![a-z0-9])")
_SEP = rb"(?:[ \t\f]|\\\r?\n)"  # blanks inside one logical line
_FROM = re.compile(rb"from" + _SEP + rb"*(\.*)" + _SEP + rb"*([^\s;#,()\\'\"]*)" + _SEP + rb"*import" + _SEP
                   + rb"*(\((?:[^)#]|#[^\n]*)*\)?|(?:[^\r\n;#\\]|\\\r?\n)*)")
_IMPORT = re.compile(rb"import" + _SEP + rb"+((?:[^\r\n;#\\(]|\\\r?\n)*)")
_NAME = re.compile(rb"[^\s,()\\#;'\"]+")
# Requests built before they are sent (`urllib.request.Request`, tornado's `HTTPRequest`).
_EXTRA_HTTP = tuple(sorted(clients.REQUEST_CLASSES))


def _http_names() -> dict[str, list[tuple[str, ...]]]:
    """Names the scanner reads as HTTP or Zoho SDK calls: by first component, the rest of their components.

    An empty rest (the SDK import roots) means any name under that root.
    """
    names = [*clients.HTTP_FUNCTIONS, *clients.CLIENT_CLASSES, *_EXTRA_HTTP,
             *(alias.rstrip(".") for alias in getattr(clients, "_ALIASES", {}))]
    roots: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for name in names:
        head, *rest = name.split(".")
        roots[head].append(tuple(rest))
    for root in _sdk_roots():
        roots[root].append(())
    return dict(roots)


def _sdk_roots() -> set[str]:
    try:
        from scopeplan.models import zoho_sdk as sdk

        return {package["import_root"] for package in sdk._packages().values()}
    except Exception:  # no SDK table: the keywords below still catch `zohocrmsdk` and `zcrmsdk`
        return set()


def call_names() -> frozenset[str]:
    """Method and function names a call must end with to be read as an HTTP or SDK call."""
    names = set(clients.CLIENT_METHODS) | {name.rpartition(".")[2] for name in clients.HTTP_FUNCTIONS}
    names |= _legacy_method_names()  # zcrmsdk 1.x/2.x
    try:
        from scopeplan.models import zoho_sdk as sdk

        names |= sdk.method_names()
    except Exception:
        return frozenset()  # unknown: every call counts (see Closure.start)
    return frozenset(names)


def _legacy_method_names() -> frozenset[str]:
    try:
        from scopeplan.models import zcrmsdk_legacy

        return zcrmsdk_legacy.method_names()
    except Exception:  # no table: the seed keyword still keeps zcrmsdk files
        return frozenset()


_ROOTS = _http_names()


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """What phase 1 needs from one file: is it a seed, and the dotted names its imports bind."""

    seed: bool
    refs: tuple[str, ...]


def summarise(data: bytes, module: str, package: bool) -> Summary:
    """One file's summary, from its bytes: keywords, and every import (over-approximated, never missed)."""
    low = data.lower()
    # The same sign of Zoho plan._about_zoho asks of an unresolved call (its names come from these bytes or
    # from the module path), plus hint comments: a bad one is reported whatever the file does.
    seed = (b"zoho" in low or (b"crm" in low and _CRM_WORD.search(low) is not None) or b"scopeplan" in data
            or _ZOHO_NAME.search(module) is not None or b"zcrmsdk" in low)  # the 2018 SDK names no host
    refs = imports(data, module, package) if b"import" in data else ()
    return Summary(seed, refs)  # HTTP alone is no seed: an unknown URL with no sign of Zoho is not reported


def imports(data: bytes, module: str, package: bool) -> tuple[str, ...]:
    """Absolute dotted names that the import statements of a file bind (sorted, unique).

    Reads text, not syntax: an `import` in a string or comment adds names, which only keeps more files.
    `import a.b` gives `a.b` and `a` (the name it binds); `from .m import x` gives `<package>.m.x`.
    """
    own_package = module if package else module.rpartition(".")[0]
    out: set[str] = set()
    taken: set[int] = set()
    for match in _FROM.finditer(data):
        if not _starts_statement(data, match.start()):
            continue
        taken.add(match.end(2))
        dots, base = match.group(1), _text(match.group(2))
        if dots:
            parent = own_package
            for _ in range(len(dots) - 1):
                parent = parent.rpartition(".")[0]
            base = f"{parent}.{base}".strip(".") if base else parent
        for name in _NAME.findall(match.group(3).replace(b"\\", b" ")):
            if name == b"*":
                out.add(base)
            elif name != b"as":
                out.add(f"{base}.{_text(name)}" if base else _text(name))
    for match in _IMPORT.finditer(data):
        if match.start() in taken or _after_from(data, match.start(), taken) or not _starts_statement(
                data, match.start()):
            continue
        for item in match.group(1).replace(b"\\", b" ").split(b","):
            words = _NAME.findall(item)
            if words:
                name = _text(words[0])
                out.add(name)
                out.add(name.partition(".")[0])
    out.discard("")
    return tuple(sorted(out))


def _starts_statement(data: bytes, pos: int) -> bool:
    """Whether a keyword at pos may start a statement: first on its line, or after `;` or `:`.

    This skips `@import url(...)` in CSS strings and `>>> import x` in doctests; a line continued
    with a backslash counts as a line of its own, which only keeps more.
    """
    line = data[data.rfind(b"\n", 0, pos) + 1:pos]
    return not line.strip() or line.rstrip().endswith((b";", b":"))


def _after_from(data: bytes, pos: int, taken: set[int]) -> bool:
    """Whether the `import` at pos belongs to a `from ... import` already read."""
    back = pos
    while back > 0 and data[back - 1:back] in b" \t\f\\\r\n":
        back -= 1
    return back in taken


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _is_http(name: str, data: bytes | None) -> bool:
    """Whether a bound name can start a qualified name the scanner reads as an HTTP library.

    With `data`, the rest of that name must be spelt in it; without, any start will do.
    """
    head, _, tail = name.partition(".")
    options = _ROOTS.get(head)
    if options is None:
        return False
    have = tuple(tail.split(".")) if tail else ()
    for rest in options:
        if rest[:len(have)] == have:  # `requests`, `urllib.request`: the code may add the rest
            if data is None or all(_word(part, data) for part in rest[len(have):]):
                return True
        elif have[:len(rest)] == rest:  # `requests.sessions.Session`, `requests.api.get`
            return True
    return False


def _word(word: str, data: bytes) -> bool:
    raw = word.encode()
    return raw in data and re.search(rb"\b" + re.escape(raw) + rb"\b", data) is not None


class Modules:
    """The module names of a tree, resolved exactly as the resolver's `Project.module` resolves them."""

    def __init__(self, names: Iterable[str], package: str | None = None):
        from scopeplan.scanner.facts import FileFacts
        from scopeplan.program.project import Project

        self.names = frozenset(names)
        self.package = package
        self._project = Project([FileFacts("", name) for name in sorted(self.names)], package)
        self._memo: dict[str, str | None] = {}
        self._lookups: dict[str, tuple[str, list[str]] | None] = {}
        self._extends: dict[str, list[str]] | None = None

    def resolve(self, dotted: str) -> str | None:
        """The module a dotted name denotes (exact name, else its unique tail), or None."""
        try:
            return self._memo[dotted]
        except KeyError:
            found = self._memo[dotted] = self._project.module(dotted)
            return found

    def lookup(self, dotted: str) -> tuple[str, list[str]] | None:
        """The module the longest prefix of `dotted` denotes, and the names after it (`Project.lookup`)."""
        try:
            return self._lookups[dotted]
        except KeyError:
            pass
        parts = dotted.split(".")
        found = None
        for i in range(len(parts), 0, -1):
            module = self.resolve(".".join(parts[:i]))
            if module is not None:
                found = (module, parts[i:])
                break
        self._lookups[dotted] = found
        return found

    def aliases(self, module: str) -> list[str]:
        """Every dotted name that denotes `module`: itself and the tails that resolve to it."""
        parts = module.split(".")
        tails = [".".join(parts[i:]) for i in range(len(parts))]
        if self.package:  # the scanned folder is the package: its modules are also spelt with its name
            tails.append(self.package if module == "__init__" else f"{self.package}.{module}")
        return [t for t in tails if self.resolve(t) == module]

    def extending(self, module: str) -> list[tuple[str, list[str]]]:
        """Modules a name `module.x.y` may denote, each with the steps (`x`, `y`) that reach it."""
        if self._extends is None:
            self._extends = defaultdict(list)
            for name in self.names:
                parts = name.split(".")
                for i in range(len(parts)):
                    for j in range(i + 1, len(parts)):
                        self._extends[".".join(parts[i:j])].append(name)
        out = []
        for name in self._extends.get(module, ()):
            at = name.find(module + ".") if not name.startswith(module + ".") else 0
            while at > 0 and name[at - 1] != ".":
                at = name.find(module + ".", at + 1)
            steps = name[at + len(module) + 1:].split(".") if at >= 0 else []
            if steps and self.resolve(f"{module}.{'.'.join(steps)}") == name:
                out.append((name, steps))
        return out


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


def _mentions(text: str) -> bool:
    """Whether a string names Zoho (a host, the SDK, or `crm` as a word): the seeds' sign of Zoho."""
    low = text.lower()
    return "zoho" in low or "zcrm" in low or (
        "crm" in low and _CRM_WORD.search(low.encode("utf-8", "surrogateescape")) is not None)


# -- phase 2: the modules whose facts the chosen files' facts may read ----------------------------------

# How to read each facts type: fields that hold data, not names (SKIP); (name, value) pairs whose name is
# data (PAIRS); every other field is followed and its strings are names to resolve, so a field or type
# added later is read as names: more files, never fewer.
_SKIP_FIELDS = {
    "Lit": {"text"}, "Unknown": {"name", "origin"}, "SelfAttr": {"name"}, "Attr": {"name"},
    "Param": {"name"}, "Format": {"style"}, "Strip": {"chars", "side"}, "Loop": {"kind"},
    "Invoke": {"function", "hints"}, "FunctionFacts": {"qualname"}, "ClassFacts": {"qualname", "methods"},
    "Result": {"name"}, "Guard": {"op"}, "FileFacts": {"path", "module", "error", "problems"},
}
_PAIRS = {("Dict", "items"), ("Format", "kwargs"), ("Invoke", "kwargs"), ("Result", "kwargs"),
          ("ClassFacts", "attrs"), ("ClassFacts", "instance"), ("FileFacts", "symbols")}
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


_KNOWN = {"path", "module", "symbols", "classes", "functions", "invokes", "error", "problems"}


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
    for name, value in facts.symbols:
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
                parts.extend([facts] if member is None else self._owned(facts).get(member, ()))
        return parts

    def _owned(self, facts) -> dict[str, list]:
        found = self._members.get(id(facts))
        if found is None:
            found = self._members[id(facts)] = members_of(facts)
        return found
