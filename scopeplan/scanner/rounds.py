"""The prefilter's rounds: parse the seeds, then the files that use what they define, then what their facts read."""

from __future__ import annotations

from scopeplan.scanner.closure import Closure
from scopeplan.scanner.files import root_package
from scopeplan.scanner.modules import Modules
from scopeplan.scanner.producers import Producers


def select(run, readable: list, keep: tuple[str, ...]) -> None:
    """Parse (through `run`, a scanner `_Run`) the seeds among the `readable` sources, then the files that use
    what they define, then whatever their facts may read; `keep` names functions whose modules are seeds too."""
    try:
        modules = Modules((s.module for s in readable), root_package(run.base))
    except Exception:  # the resolver's name lookup changed shape: parse everything rather than guess
        run.parse(readable)
        return
    by_module: dict[str, list] = {}
    for s in readable:
        by_module.setdefault(s.module, []).append(s)
    producers = Producers(modules)
    named = {hit[0] for name in keep if (hit := modules.lookup(name.replace(":", "."))) is not None}
    chosen = [s for s in readable if s.summary.seed or s.module in named]
    pending = [s for s in readable if not s.summary.seed and s.summary.refs]
    while chosen:
        chosen = [t for s in chosen for t in by_module[s.module]]  # files sharing a module name go together
        run.parse(chosen)
        for s in chosen:
            producers.add(s.facts, s.summary.refs)
        pending = [s for s in pending if s.facts is None]
        if not pending:
            break
        producers.settle()
        chosen = [s for s in pending if producers.reaches(s.summary.refs, lambda s=s: run._bytes(s))]
    if all(s.facts is not None for s in readable):
        return  # everything is parsed already
    producers.settle()
    closure = Closure(modules)
    parts = [p for s in readable if s.facts is not None for p in closure.start(s.facts, producers)]
    while parts:
        want = closure.wanted(parts)
        run.parse([s for name in want for s in by_module.get(name, ()) if s.facts is None])
        parts = []
        for name, members in want.items():
            parts.extend(closure.follow(name, members, [s.facts for s in by_module.get(name, ())]))
