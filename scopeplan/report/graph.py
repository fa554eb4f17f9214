"""The audit picture as data: entry points -> endpoints -> scopes, credits on the edges; HTML and mermaid draw it."""

from __future__ import annotations

from dataclasses import dataclass

from scopeplan.jobs import endpoint_of, site_cost
from scopeplan.model import Plan, Resolution


@dataclass(frozen=True, slots=True)
class Node:
    """A box: a job (column 0), an endpoint (1) or a scope (2); `mark` flags calls scopeplan could not match."""

    id: str
    column: int
    label: str
    mark: str = ""  # "" | "unresolved" | "unmatched" | "deprecated"
    detail: str = ""  # call sites, reasons: a tooltip


@dataclass(frozen=True, slots=True)
class Link:
    """An arrow; `label` is the worst-case credits of a job's calls to an endpoint."""

    source: str
    target: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Graph:
    """Nodes in column order, then links, all sorted: the same plan draws the same picture."""

    nodes: tuple[Node, ...]
    links: tuple[Link, ...]


def build(plan: Plan) -> Graph:
    """The graph of a plan: each job, the endpoints its call sites reach, and the scopes they need."""
    sites = [r for r in plan.resolutions if not r.site.ignored]
    groups: list[tuple[str, str, list[tuple[str, str, str | None, list[Resolution]]]]] = []
    covered: set[int] = set()
    for job in plan.jobs:
        groups.append((job.function, ", ".join(w.label for w in job.why), [
            (e.endpoint, e.status, _credits(e.credits, e.unbounded_because, e.status), list(e.sites))
            for e in job.edges]))
        covered.update(id(r) for e in job.edges for r in e.sites)
    loose: dict[str, list[Resolution]] = {}
    for r in sites:
        if id(r) not in covered:
            loose.setdefault(r.site.function, []).append(r)
    for function, rs in sorted(loose.items()):
        by: dict[tuple[str, str], list[Resolution]] = {}
        for r in rs:
            by.setdefault((endpoint_of(r), r.status), []).append(r)
        edges = []
        for (endpoint, status), group in sorted(by.items()):
            costs = [site_cost(r) for r in group]
            total = None if any(c is None for c, _ in costs) else sum(c for c, _ in costs)
            why = next((w for c, w in costs if c is None), None)
            edges.append((endpoint, status, _credits(total, why, status), group))
        groups.append((function, "not reached from an entry point", edges))
    endpoints: dict[tuple[str, str], list[Resolution]] = {}
    for _, _, edges in groups:
        for endpoint, status, _, rs in edges:
            endpoints.setdefault((endpoint, status), []).extend(rs)
    endpoint_ids = {key: f"e{i}" for i, key in enumerate(sorted(endpoints, key=lambda k: (k[1] != "matched", k)))}
    # the scopes the plan's set counts: a matched call's, and the certain part of an unresolved one's
    scope_names = sorted({s for rs in endpoints.values() for r in rs for s in r.needed_scopes})
    scope_ids = {s: f"s{i}" for i, s in enumerate(scope_names)}
    nodes = [Node(f"j{i}", 0, function, detail=why) for i, (function, why, _) in enumerate(groups)]
    for key, node_id in endpoint_ids.items():
        rs = endpoints[key]
        places = sorted({f"{r.site.location.file}:{r.site.location.line}" for r in rs})
        reasons = sorted({r.reason for r in rs if r.reason})
        nodes.append(Node(node_id, 1, key[0], "" if key[1] == "matched" else key[1],
                          "; ".join([*places, *reasons])))
    nodes += [Node(scope_ids[s], 2, s) for s in scope_names]
    links = set()
    for i, (_, _, edges) in enumerate(groups):
        for endpoint, status, label, _ in edges:
            links.add(Link(f"j{i}", endpoint_ids[(endpoint, status)], label))
    for (endpoint, status), rs in endpoints.items():
        for s in {s for r in rs for s in r.needed_scopes}:
            links.add(Link(endpoint_ids[(endpoint, status)], scope_ids[s]))
    return Graph(tuple(nodes), tuple(sorted(links, key=lambda l: (_num(l.source), _num(l.target), l.label))))


def _credits(total: int | None, why: str | None, status: str) -> str:
    if status != "matched":
        return status
    if total is None:
        return "unbounded" if why else ""
    return f"{total} credit{'s' if total != 1 else ''}"


def _num(node_id: str) -> tuple[int, int]:
    return "jes".index(node_id[0]), int(node_id[1:])


def mermaid(plan: Plan) -> list[str]:
    """The graph as a mermaid flowchart (GitHub renders it in PR comments and job summaries)."""
    graph = build(plan)
    if not graph.nodes:
        return []
    out = ["```mermaid", "flowchart LR"]
    for node in graph.nodes:
        text = _quote(node.label if not node.mark else f"{node.label} ({node.mark})")
        shape = {0: f'(["{text}"])', 1: f'["{text}"]', 2: f'{{{{"{text}"}}}}'}[node.column]
        out.append(f"  {node.id}{shape}")
    for link in graph.links:
        out.append(f'  {link.source} -->|"{_quote(link.label)}"| {link.target}' if link.label
                   else f"  {link.source} --> {link.target}")
    marked = {mark: [n.id for n in graph.nodes if n.mark == mark] for mark in ("unresolved", "unmatched", "deprecated")}
    out += ["  classDef unresolved stroke-dasharray: 5 5,stroke:#b00020",
            "  classDef unmatched stroke:#8a6d00",
            "  classDef deprecated fill:#fde2c8,stroke:#b85c00"]
    out += [f"  class {','.join(ids)} {mark}" for mark, ids in marked.items() if ids]
    out.append("```")
    return out


def _quote(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")
