"""libcst's node constructors, rebuilt to store each field through its slot: 8 % of a parse.

The constructor `dataclasses` writes for a frozen node stores each field with `object.__setattr__(self,
name, value)`, which looks the name up on the type again, for every field of every node the parser builds.
The constructors made here take the same parameters with the same defaults, store each field through its
slot's own descriptor, then call `__post_init__` as libcst's do, so a node is built, and validated, the same.
A class whose fields are not all plain slots set by `__init__` (keyword-only, `init=False`) keeps its own.

Measured on a quarter of the SDK tree's files (439), each parsed both ways in turn, three times, CPU time:
0.92 of the time. Installing costs about 8 ms, so a worker installs them for a chunk of 100 kB or more
(`parallel.FAST_CONSTRUCTORS_BYTES`).
"""

from __future__ import annotations

import dataclasses
import types

_installed: list[type] = []  # the classes whose constructor `install` replaced, in this process
_STARRED = 0x04 | 0x08  # CO_VARARGS | CO_VARKEYWORDS (`inspect`'s, not imported for two numbers)
_NO_DEFAULT = object()  # the default of a field whose default is made by a factory


def install() -> int:
    """Replace the constructors of libcst's node classes in this process (once); how many were replaced.

    Each class gets a copy of the template for its number of fields, renamed: a constructor compiled per
    class would cost 19 ms, more than the files of a small run save."""
    if _installed:
        return len(_installed)
    import libcst

    plans = [plan for plan in map(_plan, _node_classes(libcst.CSTNode)) if plan is not None]
    templates = _templates({plan[1] for plan in plans})
    for cls, shape, scope, defaults in plans:
        names = tuple(f.name for f in dataclasses.fields(cls))
        code = templates[shape].replace(co_varnames=("self", *names), co_qualname=f"{cls.__qualname__}.__init__")
        cls.__init__ = types.FunctionType(code, scope, "__init__", defaults)  # type: ignore[misc]
        _installed.append(cls)
    return len(_installed)


def _node_classes(root: type) -> list[type]:
    """Every dataclass below `root` that libcst's `add_slots` made: those are the classes libcst exports (the
    classes it was made from stay behind as subclasses, unused)."""
    found: list[type] = []
    todo: list[type] = [root]
    seen: set[type] = set()
    while todo:
        subclasses: list[type] = todo.pop().__subclasses__()
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                if "__slots__" in sub.__dict__ and "__init__" in sub.__dict__ and dataclasses.is_dataclass(sub):
                    found.append(sub)
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


Plan = tuple[type, int, dict[str, object], tuple[object, ...] | None]


def _plan(cls: type) -> Plan | None:
    """(class, number of fields, the template's globals, defaults) of `cls`'s constructor; None to keep
    libcst's (a field that is not a plain slot set by `__init__`, or parameters that are not the fields)."""
    fields = dataclasses.fields(cls)
    code = cls.__init__.__code__  # type: ignore[misc]
    if code.co_varnames[1:code.co_argcount] != tuple(f.name for f in fields) or code.co_kwonlyargcount or (
            code.co_flags & _STARRED):
        return None
    scope: dict[str, object] = {"_NO_DEFAULT": _NO_DEFAULT}
    defaults: list[object] = []
    for i, field in enumerate(fields):
        slot = next((k.__dict__[field.name] for k in cls.__mro__ if field.name in k.__dict__), None)
        if not field.init or field.kw_only or not isinstance(slot, types.MemberDescriptorType):
            return None
        scope[f"s{i}"] = slot.__set__
        if field.default is not dataclasses.MISSING:
            defaults.append(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            scope[f"f{i}"] = field.default_factory
            defaults.append(_NO_DEFAULT)
        elif defaults:
            return None  # a field without a default after one with one: not a class dataclasses makes
    return cls, len(fields), scope, tuple(defaults) or None


def _templates(sizes: set[int]) -> dict[int, types.CodeType]:
    """Per number of fields, the code of a constructor for fields `p0`, `p1`, ... stored by `s0`, `s1`, ..., a
    field left at `_NO_DEFAULT` made by its factory `f0`, ...; compiled at once."""
    sources = []
    for n in sorted(sizes):
        body = [f"    if p{i} is _NO_DEFAULT:\n        p{i} = f{i}()\n    s{i}(self, p{i})" for i in range(n)]
        params = ", ".join(["self", *(f"p{i}" for i in range(n))])
        sources.append(f"def __init__{n}({params}):\n" + "\n".join([*body, "    self.__post_init__()"]) + "\n")
    scope: dict[str, object] = {}
    exec(compile("\n".join(sources), "<scopeplan: libcst constructors>", "exec"), scope)
    return {n: scope[f"__init__{n}"].__code__.replace(co_name="__init__")  # type: ignore[attr-defined]
            for n in sizes}
