"""The traceflow graph: one trace drawn as a path of nodes, as Antrea's Traceflow draws it.

Source → each egress stage that looked at the flow → (the Service, fanned out per endpoint)
→ the destination's ingress stages → the destination, or a drop node where a stage ended the
flow. The node of the stage that decided is marked (``decider``); an isolation or end-of-tier
drop names the policies that isolate the endpoint. Stages without a rule for the endpoint are
folded into the next edge's label ("3 stages without rules") so that nothing is silently left
out of the picture.

One graph, three drawings: ``to_dot`` (``tierwall trace -o dot``), ``to_svg`` (Graphviz's
``dot`` → ``-o svg``) and ``to_elements`` (cytoscape.js elements with preset positions for the
web UI's Traceflow page).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field

from ..engine.result import PathTrace, SideTrace, StageStep, TraceResult
from ..errors import UsageError
from ..model import Verdict
from .dot import quote

COLUMN, ROW = 280, 120
"""Pixels between graph columns (steps along a path) and rows (Service endpoints)."""


@dataclass
class GraphNode:
    id: str
    label: str
    kind: str
    """``source`` | ``service`` | ``stage`` | ``side`` (a side no policy applies to) | ``destination``
    | ``drop`` | ``verdict``"""
    column: int
    row: int
    outcome: str = ""
    """The stage's outcome (``decided``, ``pass``, ``no-match``, ``isolation`` …) or a verdict."""
    decider: bool = False
    detail: list[str] = field(default_factory=list)
    """Rule lines: every rule looked at, the matching one first marked."""
    origin: str = ""
    """``file:line`` of the deciding rule or isolating policy."""


@dataclass
class GraphEdge:
    source: str
    target: str
    label: str = ""
    kind: str = "path"
    """``path`` or ``drop`` (the flow ends here)."""


@dataclass
class TraceGraph:
    title: str
    verdict: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)

    def node(self, **kw) -> GraphNode:
        n = GraphNode(**kw)
        self.nodes.append(n)
        return n

    @property
    def decider(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.decider]


def _l4(result: TraceResult) -> str:
    req = result.request
    if req.protocol == "ICMP":
        return f"ICMP type {req.icmp_type if req.icmp_type is not None else 8}"
    return f"{req.protocol}/{req.port}"


def _stage_label(side: str, step: StageStep) -> tuple[str, list[str], str]:
    """Label, rule lines and origin for one stage step."""
    head = f"{side} · {step.stage.title}"
    lines = [f"{'✔' if r.matched == 'yes' else '?' if r.matched == 'maybe' else '✘'} {r.rule.policy.ref} "
             f"{r.rule.label} [{r.rule.action.value}]" for r in step.rules]
    hit = next((r for r in step.rules if r.matched == "yes"), None)
    origin = ""
    if step.stage.default_verdict is not None:
        return f"{head}\nnothing decided → {step.stage.default_verdict.value}", lines, origin
    if step.outcome in ("decided", "pass") and hit is not None:
        origin = hit.rule.origin.location
        return f"{head}\n{hit.rule.policy.ref}\n{hit.rule.label} → {hit.rule.action.value}", lines, origin
    if step.outcome in ("isolation", "end-of-tier"):
        names = ", ".join(p.ref.ref for p in step.isolating)
        origin = step.isolating[0].ref.origin.location if step.isolating else ""
        what = "isolated by" if step.outcome == "isolation" else "end of tier (default Drop), selected by"
        return f"{head}\nno rule matched: {what}\n{names}", lines, origin
    if step.outcome == "unknown":
        return f"{head}\nundecidable offline", lines, origin
    if step.outcome == "skipped":
        return f"{head}\nskipped (passed over)", lines, origin
    return f"{head}\nno rule matched ({len(step.rules)} looked at)", lines, origin


def _side(g: TraceGraph, prefix: str, side: SideTrace, path: PathTrace, prev: str, column: int, row: int,
          pending: str) -> tuple[str, int, str, bool]:
    """Add one side's nodes after ``prev``; returns (last node, next column, pending edge label,
    whether the flow ended here)."""
    decision = path.decision
    if not side.evaluated:
        n = g.node(id=f"{prefix}-{side.side}", label=f"{side.side}\nno policy applies\n{side.decision.explanation}",
                   kind="side", column=column, row=row, outcome=side.decision.verdict.value,
                   decider=decision is side.decision)
        g.edges.append(GraphEdge(prev, n.id, pending))
        return n.id, column + 1, "", False
    folded = 0
    for k, step in enumerate(side.stages):
        if step.outcome == "no-match" and not step.rules:
            folded += 1
            continue
        label, lines, origin = _stage_label(side.side, step)
        is_decider = decision.side == side.side and decision.stage is step.stage and \
            side.decision is decision
        n = g.node(id=f"{prefix}-{side.side}-{k}", label=label, kind="stage", column=column, row=row,
                   outcome=step.outcome, decider=is_decider, detail=lines, origin=origin)
        note = f"{folded} stage{'s' if folded != 1 else ''} without rules" if folded else ""
        g.edges.append(GraphEdge(prev, n.id, "; ".join(p for p in (pending, note) if p)))
        pending, folded, prev, column = "", 0, n.id, column + 1
        if step.outcome == "pass":
            pending = f"Pass → {step.stage.pass_to}"
        verdict = side.decision.verdict
        if side.decision.stage is step.stage and verdict in (Verdict.DROP, Verdict.REJECT, Verdict.UNKNOWN):
            end = g.node(id=f"{prefix}-{side.side}-end", label=f"{verdict.value}\n({side.side} at {side.endpoint})",
                         kind="drop", column=column, row=row, outcome=verdict.value)
            g.edges.append(GraphEdge(prev, end.id, verdict.value.lower(), kind="drop"))
            return end.id, column + 1, "", True
    if folded:
        pending = "; ".join(p for p in (pending, f"{folded} stage{'s' if folded != 1 else ''} without rules") if p)
    return prev, column, pending, False


def build_trace_graph(result: TraceResult) -> TraceGraph:
    """The graph of ``result``: one row per concrete flow (per Service endpoint)."""
    req = result.request
    dst = f"service/{req.service.key}" if req.service is not None else str(req.dst)
    g = TraceGraph(f"{req.src} → {dst}  {_l4(result)}", result.verdict.value)
    src = g.node(id="src", label=f"source\n{req.src}", kind="source", column=0,
                 row=max(len(result.paths) - 1, 0) // 2)
    start, start_col = src.id, 1
    if req.service is not None:
        svc = g.node(id="svc", label=f"Service\n{req.service.key}\n{len(result.paths)} endpoint(s)", kind="service",
                     column=1, row=src.row)
        g.edges.append(GraphEdge(src.id, svc.id, _l4(result)))
        start, start_col = svc.id, 2
    if result.special is not None:
        n = g.node(id="special", label=f"{result.special.verdict.value}\n{result.special.explanation}",
                   kind="drop", column=start_col, row=src.row, outcome=result.special.verdict.value, decider=True)
        g.edges.append(GraphEdge(start, n.id, result.special.verdict.value.lower(), kind="drop"))
    for row, path in enumerate(result.paths):
        prefix = f"p{row}"
        prev, column, pending = start, start_col, "DNAT → " + str(path.flow.dst) if req.service is not None else ""
        ended = False
        if path.egress is None and path.ingress is None:  # decided before any policy (builtin)
            n = g.node(id=f"{prefix}-builtin", label=f"no policy applies\n{path.decision.explanation}",
                       kind="side", column=column, row=row, outcome=path.verdict.value, decider=True)
            g.edges.append(GraphEdge(prev, n.id, pending))
            prev, column, pending = n.id, column + 1, ""
        for side in (path.egress, path.ingress):
            if side is not None and not ended:
                prev, column, pending, ended = _side(g, prefix, side, path, prev, column, row, pending)
        if not ended:
            n = g.node(id=f"{prefix}-dst", label=f"destination\n{path.flow.dst}\n{path.verdict.value}",
                       kind="destination", column=column, row=row, outcome=path.verdict.value)
            g.edges.append(GraphEdge(prev, n.id, pending))
    return g


# --- drawings --------------------------------------------------------------------------------

_DOT_STYLE = {
    "source": 'shape=box, style="rounded,filled", fillcolor="#dde8ff"',
    "service": 'shape=box, style="rounded,filled", fillcolor="#efe3ff"',
    "destination": 'shape=box, style="rounded,filled", fillcolor="#dcf5e3"',
    "drop": 'shape=octagon, style=filled, fillcolor="#fbd5d3"',
    "stage": 'shape=box, style="rounded"',
    "side": 'shape=box, style="rounded,dashed"',
}


def to_dot(g: TraceGraph) -> str:
    """Graphviz DOT text: left to right, the deciding node bold with a yellow fill."""
    lines = ["digraph traceflow {", "  rankdir=LR;", f"  label={quote(g.title + '  verdict: ' + g.verdict)};",
             "  labelloc=t;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for n in g.nodes:
        style = _DOT_STYLE[n.kind]
        if n.decider:
            style = 'shape=box, style="rounded,filled,bold", fillcolor="#fff3a3", penwidth=3'
        tooltip = "\n".join(n.detail + ([n.origin] if n.origin else []))
        extra = f", tooltip={quote(tooltip)}" if tooltip else ""
        lines.append(f"  {quote(n.id)} [label={quote(n.label)}, {style}{extra}];")
    for e in g.edges:
        color = ', color="#c62828", fontcolor="#c62828"' if e.kind == "drop" else ""
        lines.append(f"  {quote(e.source)} -> {quote(e.target)} [label={quote(e.label)}{color}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(g: TraceGraph) -> str:
    """SVG drawn by Graphviz's ``dot`` (Debian package ``graphviz``)."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError("-o svg needs Graphviz's dot program (Debian: apt-get install graphviz); "
                         "-o dot writes the graph as text")
    done = subprocess.run([exe, "-Tsvg"], input=to_dot(g), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UsageError(f"dot failed: {done.stderr.strip()}")
    return done.stdout


def to_elements(g: TraceGraph) -> list[dict]:
    """cytoscape.js elements, positioned on the same column/row grid (``preset`` layout)."""
    out: list[dict] = []
    for n in g.nodes:
        classes = [n.kind] + (["decider"] if n.decider else []) + ([n.outcome.lower()] if n.outcome else [])
        out.append({"group": "nodes", "data": {"id": n.id, "label": n.label, "kind": n.kind, "outcome": n.outcome,
                                               "detail": n.detail, "origin": n.origin},
                    "position": {"x": n.column * COLUMN, "y": n.row * ROW}, "classes": " ".join(classes)})
    for i, e in enumerate(g.edges):
        out.append({"group": "edges", "data": {"id": f"e{i}", "source": e.source, "target": e.target,
                                               "label": e.label}, "classes": e.kind})
    return out


def elements_json(g: TraceGraph) -> str:
    """The elements as JSON safe to embed in an HTML ``<script type=application/json>``."""
    return json.dumps(to_elements(g)).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
