"""``diff``: the connectivity that changes between two revisions of a cluster's policies.

Both sides get a matrix over the same port classes (cut by both sides' rules). Pods present
on both sides are compared through *joint* classes (pods in the same class on both sides),
so a 10,000-pod cluster costs two matrices and one array comparison. Every changed group of
pod pairs is explained by tracing one representative pair on each side. Service ports are
destinations too (``diff_services``): a change that blocks DNS through the kube-dns Service
shows as ``… → svc:kube-system/kube-dns UDP/53``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..cluster import Cluster
from ..engine import Flow, trace_flow
from ..engine.matrix import ALLOW, VERDICTS, compute_matrix
from ..engine.outside import outside_endpoints
from ..engine.portclasses import default_port_classes
from .diff_services import service_changes


@dataclass
class Change:
    """Pod pairs of one (source group, destination group, port class) whose verdict changed."""

    src_group: str
    dst_group: str
    port: str
    before: str
    after: str
    pairs: int
    example: tuple[str, str]
    before_reason: dict
    after_reason: dict

    @property
    def kind(self) -> str:
        if self.after == "Allow":
            return "newly allowed"
        if self.before == "Allow":
            return "newly denied"
        return "changed"

    def to_dict(self) -> dict:
        return {"from": self.src_group, "to": self.dst_group, "port": self.port, "change": self.kind,
                "before": self.before, "after": self.after, "pairs": self.pairs,
                "example": {"from": self.example[0], "to": self.example[1]},
                "decidedBefore": self.before_reason, "decidedAfter": self.after_reason}


@dataclass
class DiffReport:
    by: str
    ports: list[str]
    changes: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    services_added: list[str] = field(default_factory=list)
    """Service ports (``svc:NS/NAME TCP/80``) only after: new destinations, not compared."""
    services_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.added or self.removed or self.services_added or self.services_removed)

    def to_dict(self) -> dict:
        return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityDiff", "by": self.by,
                "ports": self.ports,
                "summary": {"newlyAllowed": sum(c.pairs for c in self.changes if c.kind == "newly allowed"),
                            "newlyDenied": sum(c.pairs for c in self.changes if c.kind == "newly denied"),
                            "otherChanges": sum(c.pairs for c in self.changes if c.kind == "changed"),
                            "podsAdded": len(self.added), "podsRemoved": len(self.removed),
                            "servicePortsAdded": len(self.services_added),
                            "servicePortsRemoved": len(self.services_removed)},
                "changes": [c.to_dict() for c in self.changes], "podsAdded": self.added,
                "podsRemoved": self.removed, "servicePortsAdded": self.services_added,
                "servicePortsRemoved": self.services_removed}


def _reason(decision) -> dict:
    policy = decision.policy
    return {"side": decision.side, "policy": policy.ref if policy else None,
            "rule": ({"index": decision.rule.index, "name": decision.rule.name or None} if decision.rule else None),
            "origin": (decision.rule.origin.location if decision.rule else policy.origin.location if policy else None),
            "explanation": decision.explanation}


def _groups(matrix, by: str) -> dict[str, str]:
    """Endpoint name → its group; nodes and address pieces are their own group."""
    inv = matrix.cc.inv
    workload_of = {p.key: key for key, pods in inv.workloads.items() for p in pods}
    out = {}
    for e, name in zip(matrix.endpoints, matrix.names):
        p = e.pod
        if p is None:
            out[name] = name
        else:
            out[name] = p.namespace if by == "namespace" else workload_of.get(p.key, p.key) if by == "workload" \
                else p.key
    return out


def diff(before: Cluster, after: Cluster, by: str = "workload") -> DiffReport:
    """Changes on every pair of endpoints both sides have: pods, nodes, and the pieces of the
    address space either side's CIDRs cut (plus "internet"), cut the same way on both sides."""
    ports = default_port_classes(before.model, before.inventory, (after.model, after.inventory))
    taken = {ip for side in (before, after) for p in side.inventory.pods for ip in p.ips}
    taken |= {a for side in (before, after) for n in side.inventory.nodes.values() for a in n.addresses}
    pieces = outside_endpoints([before.model, after.model], taken)
    mb = compute_matrix(before.compiled, ports, outside=pieces, services=True)
    ma = compute_matrix(after.compiled, ports, outside=pieces, services=True)
    keys_b = {name: i for i, name in enumerate(mb.names)}
    keys_a = {name: i for i, name in enumerate(ma.names)}
    common = sorted(set(keys_b) & set(keys_a))
    pods_b = {e.label for e in mb.endpoints if e.pod is not None}
    pods_a = {e.label for e in ma.endpoints if e.pod is not None}
    report = DiffReport(by, [p.label for p in ports], added=sorted(pods_a - pods_b), removed=sorted(pods_b - pods_a))
    svc_changes, report.services_added, report.services_removed = service_changes(
        before, after, mb, ma, common, _groups(mb, by), Change)
    if not common:
        return report
    ib = np.array([keys_b[k] for k in common])
    ia = np.array([keys_a[k] for k in common])
    kb, ka = mb.klass[ib], ma.klass[ia]
    joint, first, jclass = np.unique(np.stack([kb, ka], axis=1), axis=0, return_index=True, return_inverse=True)
    jclass = jclass.reshape(-1)
    jb, ja = joint[:, 0], joint[:, 1]
    # compare verdict rows, not cells: each distinct (row before, row after) pair once
    before_ids, after_ids = mb.cells[np.ix_(jb, jb)], ma.cells[np.ix_(ja, ja)]
    n_after = max(1, len(ma.sets))
    distinct, inverse = np.unique(before_ids.astype(np.int64) * n_after + after_ids, return_inverse=True)
    codes_b = mb.set_code_table()[distinct // n_after]  # (distinct, ports)
    codes_a = ma.set_code_table()[distinct % n_after]
    inverse = inverse.reshape(before_ids.shape)
    changed = [(int(js), int(a), int(jd)) for d in np.flatnonzero((codes_b != codes_a).any(axis=1))
               for js, jd in np.argwhere(inverse == d) for a in np.flatnonzero(codes_b[d] != codes_a[d])]
    row_b = {(js, jd): codes_b[inverse[js, jd]] for js, _, jd in changed}
    row_a = {(js, jd): codes_a[inverse[js, jd]] for js, _, jd in changed}
    groups_b = _groups(mb, by)
    # per joint class: group → (member count, one member), so pairs are counted, not listed
    composition: dict[int, dict[str, list]] = {}
    for pos, j in enumerate(jclass):
        slot = composition.setdefault(int(j), {}).setdefault(groups_b[common[pos]], [0, pos])
        slot[0] += 1
    merged: dict[tuple, Change] = {}
    for js, a, jd in changed:
        verdict_b = VERDICTS[int(row_b[js, jd][a])].value
        verdict_a = VERDICTS[int(row_a[js, jd][a])].value
        for g_src, (n_src, ex_src) in composition[int(js)].items():
            for g_dst, (n_dst, ex_dst) in composition[int(jd)].items():
                pairs = n_src * n_dst - (n_src if js == jd and g_src == g_dst else 0)  # no pod-to-itself pairs
                if pairs <= 0:
                    continue
                if ex_src == ex_dst:
                    others = [pos for pos in np.flatnonzero(jclass == jd) if groups_b[common[pos]] == g_dst
                              and pos != ex_src]
                    ex_dst = int(others[0])
                key = (g_src, g_dst, ports[a].label, verdict_b, verdict_a)
                change = merged.get(key)
                if change is None:
                    merged[key] = change = Change(*key, 0, (common[ex_src], common[ex_dst]), {}, {})
                change.pairs += pairs
    for change in merged.values():
        pc = next(p for p in ports if p.label == change.port)
        for side, cluster, matrix, keys in (("before", before, mb, keys_b), ("after", after, ma, keys_a)):
            src, dst = matrix.endpoints[keys[change.example[0]]], matrix.endpoints[keys[change.example[1]]]
            icmp = (8, 0) if pc.protocol == "ICMP" else (None, None)
            path = trace_flow(cluster.compiled, Flow(src, dst, pc.protocol, pc.port, None, *icmp))
            reason = _reason(path.decision)
            if side == "before":
                change.before_reason = reason
            else:
                change.after_reason = reason
    order = {"newly allowed": 0, "newly denied": 1, "changed": 2}
    report.changes = sorted([*merged.values(), *svc_changes],
                            key=lambda c: (order[c.kind], c.src_group, c.dst_group, c.port))
    return report


__all__ = ["ALLOW", "Change", "DiffReport", "diff"]
