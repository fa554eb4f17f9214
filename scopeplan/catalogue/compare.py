"""Summarise one catalogue and diff two: pure functions over `Catalogue`, deterministic text out.

Templates are compared with their version segment ignored (`/crm/v7/Leads` is `/crm/v8/Leads`), as the
matcher does, so a v7 and a v8 catalogue differ only where Zoho changed something.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from scopeplan.model import Catalogue, Endpoint, Operation

_VERSION = re.compile(r"^(/crm/(?:bulk/|email/)?)(v\d+(?:\.\d+)?)(?=/|$)")


@dataclass(frozen=True, slots=True)
class Change:
    """One operation (a method of a template) added, removed or changed between two catalogues."""

    template: str  # as the new catalogue writes it; the old one's for a removal
    method: str
    old: Operation | None  # None: the operation is new
    new: Operation | None  # None: the operation is gone

    @property
    def kind(self) -> str:
        """`added`, `removed`, `scope`, `credits` or `scope+credits`."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        scope = self.old.scope.lower() != self.new.scope.lower()
        credits = (self.old.min_credits, self.old.max_credits) != (self.new.min_credits, self.new.max_credits)
        return "+".join(k for k, changed in (("scope", scope), ("credits", credits)) if changed)


@dataclass(frozen=True, slots=True)
class CatalogueDiff:
    """What changed from an old catalogue to a new one; `same` when nothing did."""

    old_digest: str
    new_digest: str
    old_version: str
    new_version: str
    added: tuple[str, ...]  # templates only in the new catalogue
    removed: tuple[str, ...]  # templates only in the old catalogue
    changes: tuple[Change, ...]  # every operation added, removed or changed, sorted by template then method

    @property
    def same(self) -> bool:
        """True when no endpoint, scope or credit range differs."""
        return not self.changes

    def affecting(self, used: Iterable[tuple[str, str]]) -> tuple[Change, ...]:
        """The changes to the (method, template) pairs the code uses; templates of either version."""
        wanted = {(method.upper(), key(template)) for method, template in used}
        return tuple(c for c in self.changes if (c.method, key(c.template)) in wanted)


@dataclass(frozen=True, slots=True)
class Summary:
    """What `catalogue show` prints: size, provenance, operations per method, scope family and credits."""

    api_version: str
    source: str
    origin: str
    digest: str
    derived: bool
    endpoints: int
    operations: int
    methods: tuple[tuple[str, int], ...]
    families: tuple[tuple[str, int], ...]  # "modules" -> operations that need a ZohoCRM.modules.* scope
    credits: tuple[tuple[tuple[int, int], int], ...]  # (min, max) -> operations


def key(template: str) -> str:
    """A template with its version segment neutralised, lower-cased: the identity used to compare."""
    return _VERSION.sub(r"\1{version}", template).lower()


def diff(old: Catalogue, new: Catalogue) -> CatalogueDiff:
    """Endpoints added and removed, and operations whose scope or credits changed, from old to new."""
    before, after = _index(old), _index(new)
    changes = []
    for k in sorted(before.keys() | after.keys()):
        a, b = before.get(k), after.get(k)
        template = (b or a).template
        methods = sorted({o.method for e in (a, b) if e for o in e.operations})
        for method in methods:
            change = Change(template, method, a.operation(method) if a else None, b.operation(method) if b else None)
            if change.kind:
                changes.append(change)
    return CatalogueDiff(
        old_digest=old.digest, new_digest=new.digest, old_version=old.api_version, new_version=new.api_version,
        added=tuple(after[k].template for k in sorted(after.keys() - before.keys())),
        removed=tuple(before[k].template for k in sorted(before.keys() - after.keys())),
        changes=tuple(changes),
    )


def summarise(catalogue: Catalogue) -> Summary:
    """Count a catalogue's paths and operations by method, scope family and credit range."""
    ops = [op for e in catalogue.endpoints for op in e.operations]
    return Summary(
        api_version=catalogue.api_version, source=catalogue.source, origin=catalogue.origin,
        digest=catalogue.digest, derived=catalogue.derived, endpoints=len(catalogue.endpoints), operations=len(ops),
        methods=tuple(sorted(Counter(op.method for op in ops).items())),
        families=tuple(sorted(Counter(_family(op.scope) for op in ops).items())),
        credits=tuple(sorted(Counter((op.min_credits, op.max_credits) for op in ops).items())),
    )


def render_summary(summary: Summary) -> str:
    """`catalogue show`: plain text, sorted, no timestamps."""
    kind = ("derived from the Zoho SDK, not an __apis response" if summary.derived
            else "Zoho __apis response" + (", cached by `catalogue fetch`" if summary.source == "live" else ""))
    methods = ", ".join(f"{m} {n}" for m, n in summary.methods)
    out = [
        f"catalogue {summary.api_version} ({summary.source}: {kind})",
        f"  origin   {summary.origin}",
        f"  digest   {summary.digest}",
        f"  entries  {summary.endpoints} paths, {summary.operations} operations ({methods})",
        "",
        "Scope families (operations)",
    ]
    out += [f"  {family:<24}{n:>6}" for family, n in summary.families]
    out += ["", "Credits per call, min..max (operations)"]
    out += [f"  {_range(low, high):<24}{n:>6}" for (low, high), n in summary.credits]
    return "\n".join(out) + "\n"


def render_diff(result: CatalogueDiff, old_name: str = "old", new_name: str = "new") -> str:
    """`catalogue diff`: endpoints added and removed, then changed operations, sorted."""
    head = (f"catalogue diff: {old_name} ({result.old_version}, {result.old_digest[:19]}) -> "
            f"{new_name} ({result.new_version}, {result.new_digest[:19]})")
    out = [head]
    if result.same:
        same = "same digest" if result.old_digest == result.new_digest else "same endpoints, scopes and credits"
        return "\n".join(out + [f"no differences ({same})"]) + "\n"
    for title, templates, mark, side in (("Endpoints added", result.added, "+", "new"),
                                         ("Endpoints removed", result.removed, "-", "old")):
        if templates:
            out += ["", f"{title}: {len(templates)}"]
            ops = {}
            for c in result.changes:
                ops.setdefault(c.template, []).append(getattr(c, side))
            out += [f"  {mark} {t}  " + "; ".join(f"{o.method} {_op(o)}" for o in ops[t]) for t in templates]
    whole = set(result.added) | set(result.removed)
    changed = [c for c in result.changes if c.template not in whole]
    if changed:
        out += ["", f"Operations changed: {len(changed)}"]
        out += [_change(c) for c in changed]
    return "\n".join(out) + "\n"


def _index(catalogue: Catalogue) -> dict[str, Endpoint]:
    """Endpoints by version-neutral key; if one catalogue lists a path under two versions, the newest wins."""
    out: dict[str, Endpoint] = {}
    for endpoint in sorted(catalogue.endpoints, key=lambda e: (_version(e.template), e.template)):
        out[key(endpoint.template)] = endpoint
    return out


def _version(template: str) -> tuple[int, ...]:
    match = _VERSION.match(template)
    return tuple(int(x) for x in match.group(2)[1:].split(".")) if match else ()


def _family(scope: str) -> str:
    parts = scope.split(".")
    return parts[1].lower() if len(parts) > 2 else scope.lower()


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}..{high}"


def _op(op: Operation) -> str:
    return f"{op.scope} ({_range(op.min_credits, op.max_credits)})"


def _change(c: Change) -> str:
    head = f"  {'+' if c.kind == 'added' else '-' if c.kind == 'removed' else '~'} {c.method} {c.template}  "
    if c.old is None:
        return head + _op(c.new)
    if c.new is None:
        return head + _op(c.old)
    parts = []
    if "scope" in c.kind:
        parts.append(f"scope {c.old.scope} -> {c.new.scope}")
    if "credits" in c.kind:
        parts.append(f"credits {_range(c.old.min_credits, c.old.max_credits)} -> "
                     f"{_range(c.new.min_credits, c.new.max_credits)}")
    return head + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class OperationView:
    """One method of an endpoint for `catalogue show --endpoint`: its scope, credits and documented conjunctions."""

    method: str
    scope: str
    min_credits: int
    max_credits: int
    conjunctions: tuple[tuple[str, str], ...]  # (scope, doc page)
    from_body: tuple[tuple[str, str, str], ...]  # (scope template, doc page, what the body must say)
    pages: tuple[str, ...]  # the pages the bundled catalogue's rule follows (bundled only)
    infer: bool | None  # the bundled rule rests on an inference; None for other catalogues


@dataclass(frozen=True, slots=True)
class EndpointView:
    """`catalogue show --endpoint`: the catalogue template a query names and its operations."""

    query: str
    template: str
    operations: tuple[OperationView, ...]


def find_endpoint(catalogue: Catalogue, query: str) -> EndpointView | None:
    """The endpoint `[METHOD] PATH` names: its template (`{{id}}` or `<<id>>`) or a path the matcher would match."""
    from scopeplan.catalogue import conjunctions

    method, _, path = query.strip().rpartition(" ")
    method, path = method.strip().upper(), re.sub(r"<<(\w+)>>", r"{{\1}}", path.strip())
    endpoint = next((e for e in catalogue.endpoints if key(e.template) == key(path)), None)
    if endpoint is None:
        endpoint = _matched(catalogue, method or "GET", path)
    if endpoint is None:
        return None
    prov = _provenance(catalogue)
    ops = []
    for op in endpoint.operations:
        if method and op.method != method:
            continue
        added = conjunctions.needed(endpoint.template, op.method)
        row = prov.get(endpoint.template, {}).get(op.method, {})
        ops.append(OperationView(op.method, op.scope, op.min_credits, op.max_credits, added.scopes, added.pending,
                                 tuple(row.get("pages", ())), row.get("infer") if prov else None))
    return EndpointView(query, endpoint.template, tuple(ops)) if ops else None


def _matched(catalogue: Catalogue, method: str, path: str) -> Endpoint | None:
    from scopeplan.matcher import Matcher
    from scopeplan.model import CallSite, Location, Url

    site = CallSite(Location("<query>", 1, 1), "<query>", "catalogue", method, Url((path,)))
    found = Matcher(catalogue).resolve(site)
    if found is None or found.endpoint is None:
        return None
    return next(e for e in catalogue.endpoints if e.template == found.endpoint)


def _provenance(catalogue: Catalogue) -> dict:
    if not catalogue.derived:
        return {}
    import json
    from importlib import resources

    data = resources.files("scopeplan.data").joinpath("catalogue_v8_provenance.json").read_text("utf-8")
    return json.loads(data)["operations"]


def render_endpoint(view: EndpointView) -> str:
    """`catalogue show --endpoint`: each method's scope, then the conjunctions and where each comes from."""
    out = [f"endpoint {view.template}  (query: {view.query})"]
    for op in view.operations:
        out.append(f"  {op.method:<7}{op.scope}  credits {_range(op.min_credits, op.max_credits)}"
                   + ("  [infer]" if op.infer else ""))
        out += [f"           from a page: {page}" for page in op.pages]
        out += [f"    and    {scope}  (conjunction: {page})" for scope, page in op.conjunctions]
        out += [f"    and    {scope}  (conjunction from the request body, {what}: {page})"
                for scope, page, what in op.from_body]
    return "\n".join(out) + "\n"


def endpoint_dict(view: EndpointView) -> dict:
    """`catalogue show --endpoint --format json`."""
    return {"query": view.query, "endpoint": view.template, "operations": [
        {"method": o.method, "oauth_scope": o.scope, "min_credits": o.min_credits, "max_credits": o.max_credits,
         "conjunctions": [{"scope": s, "source": p} for s, p in o.conjunctions],
         "conjunctions_from_body": [{"scope": s, "source": p, "body": w} for s, p, w in o.from_body],
         "pages": list(o.pages), "infer": o.infer} for o in view.operations]}


def summary_dict(summary: Summary) -> dict:
    """`catalogue show --format json`."""
    return {"api_version": summary.api_version, "source": summary.source, "origin": summary.origin,
            "digest": summary.digest, "derived": summary.derived, "endpoints": summary.endpoints,
            "operations": summary.operations, "methods": dict(summary.methods), "families": dict(summary.families),
            "credits": [{"min": lo, "max": hi, "operations": n} for (lo, hi), n in summary.credits]}


def diff_dict(result: CatalogueDiff, old_name: str = "old", new_name: str = "new") -> dict:
    """`catalogue diff --format json`: sorted, no timestamps."""
    def op(o: Operation | None) -> dict | None:
        return None if o is None else {"oauth_scope": o.scope, "min_credits": o.min_credits, "max_credits": o.max_credits}

    return {"old": {"name": old_name, "digest": result.old_digest, "api_version": result.old_version},
            "new": {"name": new_name, "digest": result.new_digest, "api_version": result.new_version},
            "same": result.same, "added": list(result.added), "removed": list(result.removed),
            "changes": [{"endpoint": c.template, "method": c.method, "change": c.kind, "old": op(c.old), "new": op(c.new)}
                        for c in result.changes]}
