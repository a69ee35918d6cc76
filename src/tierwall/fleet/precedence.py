"""Precedence report: where a cluster's own rules and the fleet's rules (central, baseline)
disagree about the same flows, and which side wins.

The all-pairs walk of the matrix engine records, per rule, the rules that had already taken
the flows it matches (``engine.matrix.Tracker``, what ``lint`` uses for shadowing). A local
rule whose flows a central or baseline rule of another verdict takes first is an attempted
override that fails — the usual, intended case; a fleet rule whose flows a *local* rule of
another verdict takes first is an override that works — a broken fleet (typically a local Tier
given a priority ahead of the baseline tiers). Each finding names both rules, says why the
winner comes first (tier priorities, or policy priority within a tier), and carries the trace
of one concrete flow both rules match, so the claim can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cluster import Cluster, load_cluster
from ..engine import Flow, endpoint_for_ip, endpoint_for_pod, trace_flow
from ..engine.match import Match, rule_matches
from ..engine.matrix import Tracker, compute_matrix
from ..engine.portclasses import default_port_classes
from ..errors import Diagnostics
from ..model import Action, Direction, Rule
from .assemble import Assembly, assemble
from .guard import guarded, reported
from .plan import ClusterJob

EXAMPLE_LOCALS = 8
"""Pods tried as the enforcing end when looking for a flow that shows a finding."""

DECISIVE = (Action.ALLOW, Action.DROP, Action.REJECT)


@dataclass
class Owner:
    kind: str  # local | central | baseline
    name: str  # the set's name ("" for local)

    @property
    def label(self) -> str:
        return "cluster-local" if self.kind == "local" else f"{self.kind} {self.name}"


def owners(asm: Assembly) -> dict[tuple, Owner]:
    """(file, doc, line) of every delivered object → who delivered it."""
    return {(r.origin.file, r.origin.doc, r.origin.line): Owner("central" if b.kind == "central" else "baseline",
                                                                 b.name)
            for b, r in asm.delivered}


def _owner(rule: Rule, table: dict[tuple, Owner]) -> Owner:
    o = rule.policy.origin
    return table.get((o.file, o.doc, o.line), Owner("local", ""))


def _verdict(rule: Rule) -> str:
    return {Action.ALLOW: "allow", Action.DROP: "drop", Action.REJECT: "reject"}[rule.action]


def _rule_dict(rule: Rule, owner: Owner, cc) -> dict:
    stage = cc.model.stage(rule.stage)
    return {"owner": owner.label, "policy": rule.policy.ref, "rule": {"index": rule.index, "name": rule.name or None},
            "direction": rule.direction.value, "action": rule.action.value, "stage": stage.title,
            "priority": rule.policy.priority or None, "origin": rule.origin.to_dict()}


def _why(cc, winner: Rule, loser: Rule) -> str:
    order = [s.name for s in cc.model.stages]
    ws, ls = cc.model.stage(winner.stage), cc.model.stage(loser.stage)
    if order.index(winner.stage) < order.index(loser.stage):
        return f"{ws.title} is evaluated before {ls.title}"
    if winner.policy.ref == loser.policy.ref:
        return f"rule {winner.index} comes before rule {loser.index} of the same policy"
    return (f"both in {ws.title}: {winner.policy.ref} (priority {winner.policy.priority or '—'}) comes before "
            f"{loser.policy.ref} (priority {loser.policy.priority or '—'})")


def precedence(cluster: Cluster, asm: Assembly) -> list[dict]:
    """Every (local, fleet) rule pair with opposite verdicts on shared flows, winner first."""
    from ..analysis.lint import external_representatives
    cc = cluster.compiled
    if not cc.model.stages:
        return []
    table = owners(asm)
    tracker = Tracker()
    externals = external_representatives(cluster)
    compute_matrix(cc, externals=externals, tracker=tracker)
    remotes = [endpoint_for_pod(cc.inv, p) for p in cc.inv.pods if p.ips] + \
        [endpoint_for_ip(cc.inv, ip) for ip in externals]
    ports = default_port_classes(cc.model, cc.inv)
    out = []
    for rid in sorted(tracker.taken_by, key=lambda r: _order(tracker.rules[r])):
        loser = tracker.rules[rid]
        if loser.action not in DECISIVE:
            continue
        lo = _owner(loser, table)
        for tid in sorted(tracker.taken_by[rid], key=lambda t: _order(tracker.rules[t]) if t in tracker.rules else ()):
            winner = tracker.rules.get(tid)
            if winner is None or winner.action not in DECISIVE or _verdict(winner) == _verdict(loser):
                continue
            wo = _owner(winner, table)
            if (lo.kind == "local") == (wo.kind == "local"):
                continue  # both local or both from the fleet: lint's business, not precedence
            path = _example(cc, loser, winner, ports, remotes)
            local_wins = wo.kind == "local"
            out.append({
                "kind": "local-overrides-fleet" if local_wins else "fleet-wins",
                "summary": (f"{wo.label} {winner.policy.ref} {winner.label} {_verdict(winner)}s what "
                            f"{lo.label} {loser.policy.ref} {loser.label} would {_verdict(loser)}"),
                "why": _why(cc, winner, loser),
                "winner": _rule_dict(winner, wo, cc), "overridden": _rule_dict(loser, lo, cc),
                "example": path.to_dict() if path is not None else None})
    return out


def _order(rule: Rule) -> tuple:
    return (rule.policy.origin.file, rule.policy.origin.line or 0, rule.direction.value, rule.index)


def _example(cc, loser: Rule, winner: Rule, ports, remotes):
    """A concrete flow both rules match, traced: the trace shows the winner deciding it."""
    bits = cc.applied_bits(loser.applied_to) & cc.applied_bits(winner.applied_to)
    locals_ = [p for p in cc.inv.pods if p.ips and not p.host_network and bits >> p.index & 1][:EXAMPLE_LOCALS]
    for pod in locals_:
        local = endpoint_for_pod(cc.inv, pod)
        for remote in remotes:
            if remote.pod is pod:
                continue
            for pc in ports:
                icmp = (8, 0) if pc.protocol == "ICMP" else (None, None)
                src, dst = (remote, local) if loser.direction is Direction.INGRESS else (local, remote)
                flow = Flow(src, dst, pc.protocol, pc.port, None, *icmp)
                if rule_matches(cc, loser, flow)[0] is not Match.YES or \
                        rule_matches(cc, winner, flow)[0] is not Match.YES:
                    continue
                path = trace_flow(cc, flow)
                side = path.ingress if loser.direction is Direction.INGRESS else path.egress
                if side is not None and side.decision.rule is winner:
                    return path
    return None


def precedence_job(job: ClusterJob) -> dict:
    """The precedence findings of one cluster; never raises."""
    diags = Diagnostics()
    out: dict = {"cluster": job.cluster.name, "groups": list(job.groups), "status": "error", "findings": []}

    def body() -> None:
        asm = assemble(job.cluster, list(job.bundles), diags, job.others)
        cluster = load_cluster([], job.cluster.cni, diags=diags, extra=asm.effective)
        out["findings"] = precedence(cluster, asm)
        out["status"] = "ok"

    guarded(job.cluster.origin, diags, body)
    out["diagnostics"] = reported(diags)
    return out
