"""Dotted names to the project's modules, resolved exactly as the resolver's `Project.module` resolves them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


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
