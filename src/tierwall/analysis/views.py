"""The operator's views: ``get`` (kubectl-style listings with each policy's span) and
``explain pod`` (every policy, rule and group that touches one pod, in evaluation order).

A policy's span (Antrea's DESIRED NODES) is the set of nodes hosting at least one pod it
applies to (spec/antrea.md §2, status_controller.go); offline, CURRENT equals DESIRED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..cluster import Cluster
from ..engine import endpoint_for_pod
from ..engine.match import Match, peer_matches
from ..inventory import Pod
from ..load import RawObject
from ..model import Direction, GroupPeer, Peer, Policy, Rule

KINDS = {
    # alias → (dialect, raw kinds, policy ref kinds, title)
    "acnp": ("antrea", ("ClusterNetworkPolicy",), ("ClusterNetworkPolicy",)),
    "annp": ("antrea", ("NetworkPolicy",), ("AntreaNetworkPolicy",)),
    "tiers": ("tiers", ("Tier",), ()),
    "clustergroups": ("antrea", ("ClusterGroup",), ()),
    "groups": ("antrea", ("Group",), ()),
    "networkpolicies": ("kubernetes", ("NetworkPolicy",), ("NetworkPolicy",)),
    "anp": ("adminnetpol", ("AdminNetworkPolicy",), ("AdminNetworkPolicy",)),
    "banp": ("adminnetpol", ("BaselineAdminNetworkPolicy",), ("BaselineAdminNetworkPolicy",)),
    "cnp": ("adminnetpol", ("ClusterNetworkPolicy",), ("ClusterNetworkPolicy.policy.networking.k8s.io",)),
    "gnp": ("calico", ("GlobalNetworkPolicy",), ("GlobalNetworkPolicy",)),
    "caliconetworkpolicies": ("calico", ("NetworkPolicy",), ("CalicoNetworkPolicy",)),
    "networksets": ("calico", ("GlobalNetworkSet", "NetworkSet"), ()),
    "policies": ("*", (), ()),
}
ALIASES = {"acnps": "acnp", "clusternetworkpolicies": "acnp", "annps": "annp", "tier": "tiers", "tr": "tiers",
           "cg": "clustergroups", "clustergroup": "clustergroups", "grp": "groups", "group": "groups",
           "netpol": "networkpolicies", "networkpolicy": "networkpolicies", "np": "networkpolicies",
           "anps": "anp", "adminnetworkpolicies": "anp", "banps": "banp", "baselineadminnetworkpolicies": "banp",
           "cnps": "cnp", "gnps": "gnp", "globalnetworkpolicies": "gnp", "cnpc": "caliconetworkpolicies",
           "netsets": "networksets", "policy": "policies"}
NAMESPACED = {"annp", "groups", "networkpolicies", "caliconetworkpolicies"}


def resolve_kind(name: str) -> str:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in KINDS:
        raise KeyError(name)
    return key


def age(raw: RawObject | None, now: datetime | None = None) -> str:
    stamp = (raw.metadata.get("creationTimestamp") if raw else None)
    if not stamp:
        return "<unknown>"
    try:
        created = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    seconds = int(((now or datetime.now(timezone.utc)) - created).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def span(cluster: Cluster, policy: Policy) -> set[str]:
    """Nodes hosting at least one pod the policy applies to (policy- or rule-level appliedTo)."""
    cc = cluster.compiled
    bits = cc.applied_bits(policy.subject)
    for rule in policy.rules:
        bits |= cc.applied_bits(rule.applied_to)
    return {p.node for p in cluster.inventory.pods if bits >> p.index & 1 and p.node}


def raw_index(cluster: Cluster) -> dict[tuple[str, str, str], RawObject]:
    objects = cluster.objects
    out = {}
    for raws in objects.by_dialect.values():
        for raw in raws:
            out[(raw.origin.file, str(raw.origin.doc), str(raw.origin.line))] = raw
    return out


def _raw_of(policy: Policy, index) -> RawObject | None:
    o = policy.ref.origin
    return index.get((o.file, str(o.doc), str(o.line)))


@dataclass
class Listing:
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    objects: list[RawObject] = field(default_factory=list)


def get(cluster: Cluster, kind: str, namespace: str | None, wide: bool = False, sort_by: str | None = None) -> Listing:
    """Rows for ``tierwall get KIND``; ``namespace`` None = all namespaces."""
    key = resolve_kind(kind)
    index = raw_index(cluster)
    model = cluster.model
    stage_pos = {s.name: i for i, s in enumerate(model.stages)}

    def in_ns(ns: str) -> bool:
        return namespace is None or key not in NAMESPACED or ns == namespace

    if key == "tiers":
        tiers = [s for s in model.stages if s.name.startswith("tier:")]
        raws = [r for r in cluster.objects.by_dialect.get(model.cni, []) if r.kind == "Tier"]
        by_name = {r.name: r for r in raws}
        listing = Listing(["NAME", "PRIORITY", "AGE"] + (["KIND"] if wide else []))
        for s in sorted(tiers, key=lambda s: (s.priority, s.name)):
            name = s.name.split(":", 1)[1]
            prio = str(int(s.priority)) if s.priority < 1e17 else "<none>"
            row = [name, prio, age(by_name.get(name))]
            if wide:
                row.append("declared" if name in by_name else "built-in")
            listing.rows.append(row)
            if name in by_name:
                listing.objects.append(by_name[name])
        return listing
    if key in ("clustergroups", "groups", "networksets"):
        dialect, raw_kinds, _ = KINDS[key]
        raws = [r for r in cluster.objects.by_dialect.get(dialect, []) if r.kind in raw_kinds
                and in_ns(r.namespace or "default")]
        members = _group_members(cluster)
        cols = (["NAMESPACE"] if key in NAMESPACED and namespace is None else []) + ["NAME", "AGE"]
        listing = Listing(cols + (["PODS", "SOURCE"] if wide else []))
        for raw in sorted(raws, key=lambda r: (r.namespace, r.name)):
            row = ([raw.namespace or "default"] if key in NAMESPACED and namespace is None else []) + \
                [raw.name, age(raw)]
            if wide:
                ref = "/".join(p for p in (raw.kind, raw.namespace if raw.kind == "Group" else "", raw.name) if p)
                row += [str(members.get(ref, "-")), raw.origin.location]
            listing.rows.append(row)
            listing.objects.append(raw)
        return listing
    policies = [p for p in model.policies if (key == "policies" or p.ref.kind in KINDS[key][2])
                and in_ns(p.ref.namespace)]
    show_ns = namespace is None and (key in NAMESPACED or key == "policies")
    cols = (["NAMESPACE"] if show_ns else []) + ["NAME"]
    if key == "policies":
        cols = ["RANK", "KIND"] + cols + ["TIER", "PRIORITY", "DESIRED NODES"]
    elif key in ("networkpolicies",):
        cols += ["POD-SELECTOR", "AGE"]
    elif key in ("gnp", "caliconetworkpolicies"):
        cols += ["TIER", "ORDER", "AGE"]
    elif key in ("anp",):
        cols += ["PRIORITY", "AGE"]
    elif key == "banp":
        cols += ["AGE"]
    elif key == "cnp":
        cols += ["TIER", "PRIORITY", "AGE"]
    else:
        cols += ["TIER", "PRIORITY", "DESIRED NODES", "CURRENT NODES", "AGE"]
    if wide:
        cols += ["PODS", "RULES", "SOURCE"]
    listing = Listing(cols)
    if key == "policies" or sort_by == "effectivePriority":
        ordered = sorted(policies, key=lambda p: effective_key(p, stage_pos))
    else:
        ordered = sorted(policies, key=lambda p: (p.ref.namespace, p.ref.name))
    for rank, p in enumerate(ordered, start=1):
        raw = _raw_of(p, index)
        nodes = span(cluster, p)
        row = ([p.ref.namespace or "-"] if show_ns else []) + [p.ref.name]
        tier = p.ref.tier or model.stage(p.stage).title
        if key == "policies":
            row = [str(rank), p.ref.kind] + row + [tier, p.ref.priority or "<none>", str(len(nodes))]
        elif key == "networkpolicies":
            sel = (raw.data.get("spec") or {}).get("podSelector") if raw else None
            row += [_selector_text(sel), age(raw)]
        elif key in ("gnp", "caliconetworkpolicies"):
            row += [p.ref.tier, p.ref.priority or "<none>", age(raw)]
        elif key == "anp":
            row += [p.ref.priority, age(raw)]
        elif key == "banp":
            row += [age(raw)]
        elif key == "cnp":
            row += [(raw.data.get("spec") or {}).get("tier", "") if raw else "", p.ref.priority, age(raw)]
        else:
            row += [p.ref.tier, p.ref.priority, str(len(nodes)), str(len(nodes)), age(raw)]
        if wide:
            bits = cluster.compiled.applied_bits(p.subject)
            for r in p.rules:
                bits |= cluster.compiled.applied_bits(r.applied_to)
            counts = f"{sum(r.direction is Direction.INGRESS for r in p.rules)}in/" \
                     f"{sum(r.direction is Direction.EGRESS for r in p.rules)}eg"
            row += [str(bin(bits).count("1")), counts, p.ref.origin.location]
        listing.rows.append(row)
        if raw is not None:
            listing.objects.append(raw)
    if sort_by and sort_by.lstrip(".") not in ("effectivePriority",):
        column = sort_by.lstrip(".").split(".")[-1].upper().replace("_", " ")
        if column in listing.columns:
            i = listing.columns.index(column)
            listing.rows.sort(key=lambda r: _sortable(r[i]))
    return listing


def _sortable(value: str):
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def effective_key(policy: Policy, stage_pos: dict[str, int]) -> tuple:
    """The order the engine uses: stage, then the policy's priority/order, then its name."""
    first = min((r.sort_key for r in policy.rules), default=None)
    lead = first[0] if first and isinstance(first[0], (int, float)) else 0.0
    return (stage_pos.get(policy.stage, 0), lead, policy.ref.name, policy.ref.namespace, policy.ref.kind)


def _selector_text(sel) -> str:
    if not sel:
        return "<none>"
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    parts += [f"{e.get('key')} {e.get('operator')} ({','.join(map(str, e.get('values') or []))})"
              for e in sel.get("matchExpressions") or []]
    return ",".join(parts) or "<none>"


def _group_members(cluster: Cluster) -> dict[str, int]:
    cc = cluster.compiled
    out = {}
    for group in all_groups(cluster):
        out[group.ref] = bin(cc.applied_bits(group.members)).count("1")
    return out


def all_groups(cluster: Cluster) -> list[GroupPeer]:
    seen: dict[str, GroupPeer] = {}

    def walk(peers):
        for p in peers:
            if isinstance(p, GroupPeer):
                seen.setdefault(p.ref, p)
                walk(p.members)

    for policy in cluster.model.policies:
        walk(policy.subject)
        for rule in policy.rules:
            walk(rule.applied_to)
            walk(rule.peers or ())
    return list(seen.values())


# --- explain pod ----------------------------------------------------------------------------

@dataclass
class Touch:
    """One rule that applies to the pod, or names it as a peer."""

    relation: str  # "applies" | "peer"
    rule: Rule
    stage_title: str

    def to_dict(self) -> dict:
        return {"relation": self.relation, "stage": self.stage_title, "policy": self.rule.policy.ref,
                "direction": self.rule.direction.value, "rule": {"index": self.rule.index,
                                                                 "name": self.rule.name or None},
                "action": self.rule.action.value, "origin": self.rule.origin.location}


@dataclass
class Explanation:
    pod: Pod
    groups: list[str]
    isolated_by: dict[str, list[str]]
    applies: dict[str, list[Touch]]
    peer_of: dict[str, list[Touch]]

    def to_dict(self) -> dict:
        return {"pod": self.pod.key, "ip": self.pod.ip, "node": self.pod.node, "labels": self.pod.labels,
                "serviceAccount": self.pod.service_account, "groups": self.groups, "isolatedBy": self.isolated_by,
                "appliedRules": {d: [t.to_dict() for t in ts] for d, ts in self.applies.items()},
                "selectedAsPeerBy": {d: [t.to_dict() for t in ts] for d, ts in self.peer_of.items()}}


def explain_pod(cluster: Cluster, pod: Pod) -> Explanation:
    cc = cluster.compiled
    me = endpoint_for_pod(cluster.inventory, pod)
    groups = sorted(g.ref for g in all_groups(cluster) if cc.selects_pod(g.members, pod) or
                    _peer_hits(cc, g, me, pod.namespace))
    groups += sorted(a.ref for a in cluster.model.address_sets
                     if any(_in(pod.ip, n) for n in a.nets))
    applies, isolated, peer_of = {}, {}, {}
    for direction in Direction:
        applies[direction.value] = [Touch("applies", r, sp.stage.title) for sp in cc.plan(pod, direction)
                                    for r in sp.rules]
        isolated[direction.value] = [p.ref.ref for sp in cc.plan(pod, direction) for p in sp.isolating]
        # rules of the other pods that name this pod as their peer (their ingress from it, egress to it)
        touches = []
        for stage in cluster.model.stages:
            for rule in cc.rules_by_stage.get(stage.name, ()):
                if rule.direction is direction and rule.peers is not None and \
                        any(_peer_hits(cc, p, me, _subject_ns(cc, rule)) for p in rule.peers):
                    touches.append(Touch("peer", rule, stage.title))
        peer_of[direction.value] = touches
    return Explanation(pod, groups, isolated, applies, peer_of)


def _subject_ns(cc, rule: Rule) -> str:
    bits = cc.applied_bits(rule.applied_to)
    for p in cc.inv.pods:
        if bits >> p.index & 1:
            return p.namespace
    return ""


def _peer_hits(cc, peer: Peer, me, subject_ns: str) -> bool:
    from ..engine import Flow
    m, _ = peer_matches(cc, peer, me, subject_ns, Flow(me, me, "TCP", 1))
    return m is Match.YES


def _in(ip: str, net) -> bool:
    from ..addresses import parse_ip
    addr = parse_ip(ip)
    return addr.version == net.version and addr in net
