"""What to do about a call scopeplan could not settle: the exact hint line, the config entry, the baseline."""

from __future__ import annotations

from scopeplan.model import Plan, Resolution


def hint_line(r: Resolution) -> str | None:
    """`# scopeplan: modules=Leads,Deals` with the candidate modules, when a hint can settle the call."""
    if r.status != "unresolved" or not r.candidate_modules:
        return None
    return f"# scopeplan: modules={','.join(r.candidate_modules)}"


def fix(r: Resolution, gate: bool = False) -> str:
    """One sentence: how to settle the call; under `check`, also how to accept it knowingly."""
    loc = r.site.location
    if r.status == "unmatched":
        text = ("check the method and path against Zoho's API reference, or use a catalogue that lists it "
                "(`scopeplan catalogue fetch`, then `--catalogue live`)")
    elif (hint := hint_line(r)) is not None:
        text = (f"add `{hint}` to {loc.file}:{loc.line} (keep only the modules it calls), or "
                f"`[tool.scopeplan] modules = {{\"{r.site.function}\" = [...]}}`")
    else:
        text = (f"make the URL a literal or a module constant, name its modules in `[tool.scopeplan] modules = "
                f"{{\"{r.site.function}\" = [...]}}`, or mark it `# scopeplan: ignore <why>`")
    return text + ("; or run `scopeplan baseline` to accept it knowingly" if gate else "")


def candidates(r: Resolution) -> str | None:
    """The scopes an unresolved call could need, all of them, in words."""
    return ", ".join(r.candidates) if r.candidates else None


def incomplete(plan: Plan) -> str | None:
    """`incomplete: 3 calls could need more, 1 file could not be scanned`, or None when the set is complete."""
    parts = []
    if plan.open_calls:
        n = len(plan.open_calls)
        parts.append(f"{n} call{'s' if n != 1 else ''} could need more")
    if plan.errors:
        n = len(plan.errors)
        parts.append(f"{n} file{'s' if n != 1 else ''} could not be scanned")
    return "incomplete: " + ", ".join(parts) if parts else None
