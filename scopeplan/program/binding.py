"""Binding a call: the context it creates, with parameters bound to the caller's arguments and defaults."""

from __future__ import annotations

from scopeplan.program.values import EMPTY, Ctx, Target
from scopeplan.scanner.ir import Dict, Expr


def bind(target: Target, args: tuple[Expr, ...], kwargs: tuple[tuple[str, Expr], ...],
         caller: Ctx, state: tuple[tuple[str, Expr], ...] = ()) -> Ctx:
    """The context a call creates: parameters bound to the caller's arguments, `self` to its class."""
    pairs = list(target.receiver.bindings) if target.receiver is not None else []
    if target.function is not None:
        params = target.function.params
        positional = [p for p in params if p.index >= 0][target.offset:]
        given: set[str] = set()
        for param, arg in zip(positional, target.prefix + args):
            pairs.append(((param.function, param.name), (arg, caller)))
            given.add(param.name)
        names = {p.name: p for p in params if p.index != -2}
        extra = []
        for key, arg in kwargs:
            if key in names:
                pairs.append(((names[key].function, key), (arg, caller)))
                given.add(key)
            elif key != "*":
                extra.append((key, arg))
        if not {k for k, _ in kwargs} & {"*", "**"}:  # a parameter the call leaves out has its default
            pairs.extend(((p.function, p.name), (p.default, EMPTY)) for p in positional + [
                p for p in params if p.index == -1] if p.default is not None and p.name not in given)
        rest = next((p for p in params if p.index == -2), None)
        if rest is not None:  # `def _request(self, method, path, **kw)` collects `json=...`
            pairs.append(((rest.function, rest.name), (Dict(tuple(extra)), caller)))
    self_cls = caller.self_cls if target.via_self and caller.self_cls else target.self_cls
    kept: tuple[tuple[tuple[str, str], tuple[Expr, Ctx]], ...] = ()
    if target.cls is not None and target.function is None:
        # no `__init__` in the project (a dataclass, a pydantic model, a NamedTuple, attrs): the keyword
        # arguments are the instance's fields, so `Endpoint(path="/x").path` is "/x"
        kept = tuple(((target.cls.qualname, key), (arg, caller)) for key, arg in kwargs)
        if target.receiver is not None:  # a class made at run time: its attributes (`type(..., {"path": p})`)
            kept += target.receiver.state
    elif target.receiver is not None and not target.via_self:
        kept = target.receiver.state  # a method of such an instance still sees its fields on `self`
    if target.via_self:  # the same object: what the caller set on `self` (and its callers did) holds
        mine = {name for name, _ in state}
        kept = tuple((("", name), (expr, caller)) for name, expr in state) + tuple(
            b for b in caller.state if b[0][1] not in mine)
    return Ctx(bindings=tuple(pairs), self_cls=self_cls, state=kept)
