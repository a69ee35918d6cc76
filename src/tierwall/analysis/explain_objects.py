"""``explain`` for a policy and for a namespace (``views.explain_pod`` does pods).

A policy: where it sits in the evaluation order, which pods it applies to, and each rule with
its peers, ports and action. A namespace: its labels, its pods, the policies that live in it,
apply to its pods, or name its pods as peers. Both answer "what does this object do to whom",
which ``get`` (one line per object) cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..cluster import Cluster
from ..errors import UsageError, did_you_mean
from ..model import Direction, Policy
from .views import effective_key, explain_pod, span

POD_LIST_LIMIT = 50
"""Pods listed by name in text views; the count is always complete."""


@dataclass
class PolicyExplanation:
    policy: Policy
    rank: int
    total: int
    stage_title: str
    pods: list[str]
    nodes: list[str]
    rules: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        ref = self.policy.ref
        out = {"policy": ref.ref, "kind": ref.kind, "namespace": ref.namespace or None, "name": ref.name,
               "tier": ref.tier or None, "stage": self.stage_title, "priority": ref.priority or None,
               "rank": self.rank, "of": self.total, "appliesTo": self.pods, "nodes": self.nodes,
               "isolates": sorted(d.value for d in self.policy.isolates), "rules": self.rules,
               "origin": ref.origin.to_dict()}
        if ref.display_name:
            out["displayName"] = ref.display_name
        if ref.managed_by:
            out["managedBy"] = ref.managed_by
        return out


def find_policy(cluster: Cluster, ref_kinds: tuple[str, ...] | None, name: str, namespace: str | None,
                title: str) -> Policy:
    """The one policy called ``name`` among ``ref_kinds`` (``None``: every kind), in
    ``namespace`` when given and the kind is namespaced; errors name the candidates."""
    pool = [p for p in cluster.model.policies if ref_kinds is None or p.ref.kind in ref_kinds]
    hits = [p for p in pool if p.ref.name == name and (namespace is None or not p.ref.namespace
                                                        or p.ref.namespace == namespace)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        where = f" in namespace {namespace}" if namespace else ""
        raise UsageError(f"{title} {name!r} not found{where}{did_you_mean(name, [p.ref.name for p in pool])}")
    raise UsageError(f"{name!r} names several policies: {', '.join(p.ref.ref for p in hits)}; "
                     f"give the kind or -n NAMESPACE")


def explain_policy(cluster: Cluster, policy: Policy) -> PolicyExplanation:
    cc = cluster.compiled
    stage_pos = {s.name: i for i, s in enumerate(cluster.model.stages)}
    ordered = sorted(cluster.model.policies, key=lambda p: effective_key(p, stage_pos))
    bits = cc.applied_bits(policy.subject)
    for rule in policy.rules:
        bits |= cc.applied_bits(rule.applied_to)
    pods = [p.key for p in cluster.inventory.pods if bits >> p.index & 1]
    out = PolicyExplanation(policy, ordered.index(policy) + 1, len(ordered), cluster.model.stage(policy.stage).title,
                            pods, sorted(span(cluster, policy)))
    for rule in policy.rules:
        rule_pods = cc.applied_bits(rule.applied_to)
        out.rules.append({
            "direction": rule.direction.value, "index": rule.index, "name": rule.name or None,
            "action": rule.action.value,
            "peers": None if rule.peers is None else [str(p) for p in rule.peers],
            "ports": None if rule.ports is None else [str(p) for p in rule.ports],
            "appliedToPods": bin(rule_pods).count("1") if rule.applied_to != policy.subject else None,
            "origin": rule.origin.to_dict()})
    return out


@dataclass
class NamespaceExplanation:
    name: str
    labels: dict[str, str]
    implied: bool
    pods: list[str]
    policies_in: list[str]
    applies: dict[str, list[str]]
    peer_of: dict[str, list[str]]

    def to_dict(self) -> dict:
        return {"namespace": self.name, "labels": self.labels, "implied": self.implied, "pods": self.pods,
                "policies": self.policies_in, "appliedBy": self.applies, "selectedAsPeerBy": self.peer_of}


def explain_namespace(cluster: Cluster, name: str) -> NamespaceExplanation:
    inv = cluster.inventory
    ns = inv.namespaces.get(name)
    if ns is None:
        raise UsageError(f"namespace {name} is not in the input{did_you_mean(name, inv.namespaces)}")
    pods = [p for p in inv.pods if p.namespace == name]
    applies: dict[str, dict[str, None]] = {d.value: {} for d in Direction}
    peer_of: dict[str, dict[str, None]] = {d.value: {} for d in Direction}
    for pod in pods:
        if not pod.ips:
            continue
        e = explain_pod(cluster, pod)
        for d in applies:
            applies[d].update((t.rule.policy.label, None) for t in e.applies[d])
            peer_of[d].update((t.rule.policy.label, None) for t in e.peer_of[d])
    return NamespaceExplanation(name, dict(ns.labels), ns.implied, [p.key for p in pods],
                                [p.ref.label for p in cluster.model.policies if p.ref.namespace == name],
                                {d: list(v) for d, v in applies.items()}, {d: list(v) for d, v in peer_of.items()})
