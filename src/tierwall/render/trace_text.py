"""Render a :class:`TraceResult` for a terminal, in the spirit of Antrea Traceflow.

One block per concrete flow: the verdict and what decided it, then the egress side at the
source and the ingress side at the destination, each a tree of the stages visited with the
rules looked at (✔ matched, ✘ not, ? undecidable) and the reason.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.text import Text
from rich.tree import Tree

from ..engine import Decision, PathTrace, SideTrace, TraceResult
from ..model import Verdict

VERDICT_STYLE = {Verdict.ALLOW: "bold green", Verdict.DROP: "bold red", Verdict.REJECT: "bold magenta",
                 Verdict.UNKNOWN: "bold yellow"}
MARK = {"yes": ("✔", "green"), "no": ("✘", "dim"), "maybe": ("?", "yellow")}


def verdict_text(verdict: Verdict) -> Text:
    return Text(verdict.value, style=VERDICT_STYLE[verdict])


def decision_line(d: Decision) -> Text:
    text = Text()
    if d.side:
        text.append(f"{d.side} · ", style="cyan")
    if d.stage is not None and d.stage.default_verdict is None:
        text.append(f"{d.stage.title} · ", style="cyan")
    text.append(d.explanation)
    origin = d.rule.origin if d.rule else (d.policy.origin if d.policy else None)
    if origin is not None:
        text.append(f"  ({origin.location})", style="dim")
    if d.tie_note:
        text.append(f"\n  note: {d.tie_note}", style="yellow")
    return text


def _side_tree(side: SideTrace, title: str) -> Tree:
    label = Text(f"{title} at {side.endpoint}  ", style="bold")
    label.append_text(verdict_text(side.decision.verdict))
    tree = Tree(label)
    if not side.evaluated:
        tree.add(Text(side.decision.explanation, style="dim"))
        return tree
    quiet: list[str] = []

    def flush() -> None:
        if quiet:
            tree.add(Text(", ".join(quiet), style="cyan") + Text("  no rules apply", style="dim"))
            quiet.clear()

    for step in side.stages:
        if not step.rules and step.outcome == "no-match":
            quiet.append(step.stage.title)
            continue
        flush()
        head = Text(step.stage.title, style="cyan")
        if step.stage.default_verdict is not None:
            head.append(f"  → {step.stage.default_verdict.value} (nothing decided)", style="bold")
            tree.add(head)
            continue
        if step.outcome == "skipped":
            head.append("  skipped: passed over by Pass", style="dim")
            tree.add(head)
            continue
        node = tree.add(head)
        for rs in step.rules:
            mark, style = MARK[rs.matched]
            line = Text(f"{mark} ", style=style)
            line.append(f"{rs.rule.policy.label} ", style="bold" if rs.matched == "yes" else "")
            line.append(f"{rs.rule.label} [{rs.rule.action.value}]")
            line.append(f"  {rs.reason}", style="dim")
            line.append(f"  {rs.rule.origin.location}", style="dim")
            node.add(line)
        if step.outcome == "pass":
            node.add(Text("→ Pass: continue at " + (step.stage.pass_to or "the next stage"), style="yellow"))
        elif step.outcome == "isolation":
            names = ", ".join(p.ref.label for p in step.isolating)
            node.add(Text(f"→ Drop: isolated by {names}; none of their rules matched", style="red"))
        elif step.outcome == "end-of-tier":
            names = ", ".join(p.ref.label for p in step.isolating)
            node.add(Text(f"→ End of tier: Drop (default action); selected by {names}, nothing allowed or "
                          f"passed the flow", style="red"))
        elif step.outcome == "no-match":
            node.add(Text("→ no rule matched; continue", style="dim"))
    flush()
    return tree


def render_path(path: PathTrace) -> Group:
    parts = []
    head = Text("Verdict  ", style="bold")
    head.append_text(verdict_text(path.verdict))
    parts.append(head)
    parts.append(decision_line(path.decision))
    if path.egress is not None:
        parts.append(_side_tree(path.egress, "Egress"))
    if path.ingress is not None:
        parts.append(_side_tree(path.ingress, "Ingress"))
    elif path.egress is not None and path.verdict in (Verdict.DROP, Verdict.REJECT):
        parts.append(Text("Ingress  not reached (the source's egress already decided)", style="dim"))
    for note in path.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    return Group(*parts)


def render_trace(result: TraceResult, console: Console) -> None:
    req = result.request
    to = f"service/{req.service.key}" if req.service is not None else str(req.dst)
    l4 = f"ICMP type {req.icmp_type if req.icmp_type is not None else 8}" if req.protocol == "ICMP" \
        else f"{req.protocol}/{req.port}"
    head = Text("Flow  ", style="bold")
    head.append(f"{req.src} → {to}  {l4}")
    head.append(f"   cni: {result.cni}", style="dim")
    console.print(head)
    if result.special is not None:
        console.print(Text("Verdict  ", style="bold") + verdict_text(result.special.verdict))
        console.print(decision_line(result.special))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    for path in result.paths:
        if req.service is not None:
            console.print(Text(f"\nEndpoint {path.flow.dst} port {path.flow.port}", style="bold underline"))
        else:
            console.print()
        console.print(render_path(path))
    if result.mixed:
        console.print(Text("\nThe Service's endpoints get different verdicts.", style="yellow"))
