"""The operator's views: ``get`` (kubectl-style listings with each policy's span) and
``explain pod`` (every policy, rule and group that touches one pod, in evaluation order).

A policy's span (Antrea's DESIRED NODES) is the set of nodes hosting at least one pod it
applies to (spec/antrea.md §2, status_controller.go); offline, CURRENT equals DESIRED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..cluster import Cluster
from ..dialects import get_kinds, native_dialect, owner_of_get_kind
from ..dialects.contract import Column, GetKind
from ..errors import UsageError
from ..engine import endpoint_for_pod
from ..engine.match import Match, peer_matches
from ..inventory import Pod
from ..load import RawObject
from ..model import Direction, GroupPeer, Peer, Policy, Rule, groups_in

DECLARED: dict[str, GetKind] = {k.name: k for k in get_kinds()}
"""The kinds the dialects declare (``Dialect.get_kinds``), by canonical name."""
KINDS = {
    # name → (owner, raw kinds, policy ref kinds)
    **{k.name: (owner_of_get_kind(k.name), k.raw_kinds, k.policy_kinds) for k in DECLARED.values()},
    "tiers": ("tiers", ("Tier",), ()),
    "policies": ("*", (), ()),
}
ALIASES = {"tier": "tiers", "tr": "tiers", "policy": "policies",
           **{alias: k.name for k in DECLARED.values() for alias in k.aliases}}
NAMESPACED = {k.name for k in DECLARED.values() if k.namespaced}


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
    names: list[str] = field(default_factory=list)
    """``resource.group/name`` of each row, as ``kubectl get -o name`` prints it."""
    sources: list[RawObject | None] = field(default_factory=list)
    """The object behind each row (``None`` for a built-in, e.g. a system Tier)."""
    policies: list[Policy | None] = field(default_factory=list)

    def add(self, row: list[str], raw: RawObject | None, name: str, policy: Policy | None = None) -> None:
        self.rows.append(row)
        self.sources.append(raw)
        self.names.append(name)
        self.policies.append(policy)
        if raw is not None:
            self.objects.append(raw)


def get(cluster: Cluster, kind: str, namespace: str | None, wide: bool = False, sort_by: str | None = None,
        names: list[str] | None = None) -> Listing:
    """Rows for ``tierwall get KIND [NAME...]``; ``namespace`` None = all namespaces.

    Raises :class:`UsageError` for a name that is not there (with a did-you-mean) and for a
    ``sort_by`` that is neither a field of the objects nor a column.
    """
    key = resolve_kind(kind)
    listing = _rows(cluster, key, namespace, wide)
    if names:
        listing = pick_names(listing, names, _title(key), namespace if key in NAMESPACED else None)
    if sort_by:
        sort_listing(listing, sort_by, cluster, key)
    return listing


def _title(key: str) -> str:
    if key in DECLARED:
        return DECLARED[key].title
    return {"tiers": "Tier", "policies": "policy"}.get(key, key)


def resource_name(raw: RawObject | None, kind: str, name: str) -> str:
    """``kind.group/name`` as ``kubectl get -o name`` prints it."""
    if raw is not None:
        group = raw.group
        return f"{raw.kind.lower()}{'.' + group if group else ''}/{raw.name}"
    return f"{kind.lower()}/{name}"


def _rows(cluster: Cluster, key: str, namespace: str | None, wide: bool) -> Listing:
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
        native = native_dialect(model.cni)  # built-in tiers are named by the CNI's own Tier resource
        tier_kind = f"tier.{native.resource('Tier').groups[0]}" if native is not None else "tier"
        for s in sorted(tiers, key=lambda s: (s.priority, s.name)):
            name = s.name.split(":", 1)[1]
            prio = str(int(s.priority)) if s.priority < 1e17 else "<none>"
            row = [name, prio, age(by_name.get(name))]
            if wide:
                row.append("declared" if name in by_name else "built-in")
            listing.add(row, by_name.get(name), resource_name(by_name.get(name), tier_kind, name))
        return listing
    if key in DECLARED and not DECLARED[key].policy_kinds:  # groups and address sets
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
            listing.add(row, raw, resource_name(raw, raw.kind, raw.name))
        return listing
    policies = [p for p in model.policies if (key == "policies" or p.ref.kind in KINDS[key][2])
                and in_ns(p.ref.namespace)]
    show_ns = namespace is None and (key in NAMESPACED or key == "policies")
    cols = (["NAMESPACE"] if show_ns else []) + ["NAME"]
    declared = tuple(c for c in (DECLARED[key].columns if key in DECLARED else ()) if wide or not c.wide)
    if key == "policies":
        cols = ["RANK", "KIND"] + cols + ["TIER", "PRIORITY", "DESIRED NODES"]
    else:
        cols += [c.header for c in declared]
    if wide:
        cols += ["PODS", "RULES", "SOURCE"]
    if any(p.ref.display_name for p in policies):
        cols.insert(cols.index("NAME") + 1, "DISPLAY NAME")
    listing = Listing(cols)
    if key == "policies":
        ordered = sorted(policies, key=lambda p: effective_key(p, stage_pos))
    else:
        ordered = sorted(policies, key=lambda p: (p.ref.namespace, p.ref.name))
    for rank, p in enumerate(ordered, start=1):
        raw = _raw_of(p, index)
        nodes = span(cluster, p)
        row = ([p.ref.namespace or "-"] if show_ns else []) + [p.ref.name]
        if "DISPLAY NAME" in cols:
            row.append(p.ref.display_name or "<none>")
        tier = p.ref.tier or model.stage(p.stage).title
        if key == "policies":
            row = [str(rank), p.ref.kind] + row + [tier, p.ref.priority or "<none>", str(len(nodes))]
        else:
            row += [_cell(c, p, raw, nodes) for c in declared]
        if wide:
            bits = cluster.compiled.applied_bits(p.subject)
            for r in p.rules:
                bits |= cluster.compiled.applied_bits(r.applied_to)
            counts = f"{sum(r.direction is Direction.INGRESS for r in p.rules)}in/" \
                     f"{sum(r.direction is Direction.EGRESS for r in p.rules)}eg"
            row += [str(bin(bits).count("1")), counts, p.ref.origin.location]
        listing.add(row, raw, resource_name(raw, p.ref.kind, p.ref.name), p)
    return listing


def _cell(column: Column, policy: Policy, raw: RawObject | None, nodes: set[str]) -> str:
    """One cell of a declared column: the dialect's value, or one every view computes alike."""
    if column.value is not None:
        return column.value(policy, raw)
    if column.header == "DESIRED NODES":
        return str(len(nodes))
    return age(raw)


def pick_names(listing: Listing, names: list[str], title: str, namespace: str | None) -> Listing:
    """Only the rows called ``names`` (in the order given); an unknown one is an error."""
    from .kind_args import unknown_name
    col = listing.columns.index("NAME")
    out = Listing(listing.columns)
    for name in names:
        hits = [i for i, row in enumerate(listing.rows) if row[col] == name]
        if not hits:
            raise unknown_name(title, name, namespace, [row[col] for row in listing.rows])
        for i in hits:
            out.add(listing.rows[i], listing.sources[i], listing.names[i], listing.policies[i])
    return out


def sort_listing(listing: Listing, sort_by: str, cluster: Cluster, key: str) -> None:
    """``--sort-by``: ``effectivePriority``, a field path of the objects (``.spec.priority``,
    ``{.metadata.name}``) or a column name; anything else is an error, as in kubectl."""
    path = sort_by.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    path = path.lstrip(".")
    if path == "effectivePriority":
        stage_pos = {s.name: i for i, s in enumerate(cluster.model.stages)}
        _reorder(listing, [effective_key(p, stage_pos) if p is not None else () for p in listing.policies])
        return
    fields = path.split(".")
    values = [_field(raw.data, fields) if raw is not None else None for raw in listing.sources]
    if any(v is not None for v in values):
        _reorder(listing, [_sortable(v) for v in values])
        return
    column = path.upper().replace("_", " ").replace("-", " ")
    if column in listing.columns:
        i = listing.columns.index(column)
        _reorder(listing, [_sortable(r[i]) for r in listing.rows])
        return
    if not listing.rows:
        return
    raise UsageError(f"--sort-by {sort_by}: no field with that path in the {_title(key)} objects listed, and no "
                     f"column of that name (columns: {', '.join(listing.columns)}; or effectivePriority)")


def _field(data, fields: list[str]):
    for f in fields:
        if isinstance(data, dict) and f in data:
            data = data[f]
        else:
            return None
    return data if isinstance(data, (str, int, float)) and not isinstance(data, bool) else None


def _reorder(listing: Listing, keys: list) -> None:
    order = sorted(range(len(listing.rows)), key=lambda i: (keys[i], i))
    listing.rows = [listing.rows[i] for i in order]
    listing.sources = [listing.sources[i] for i in order]
    listing.names = [listing.names[i] for i in order]
    listing.policies = [listing.policies[i] for i in order]


def _sortable(value):
    if value is None:
        return (2, 0.0, "")
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def effective_key(policy: Policy, stage_pos: dict[str, int]) -> tuple:
    """The order the engine uses: stage, then the policy's priority/order, then its name."""
    first = min((r.sort_key for r in policy.rules), default=None)
    lead = first[0] if first and isinstance(first[0], (int, float)) else 0.0
    return (stage_pos.get(policy.stage, 0), lead, policy.ref.name, policy.ref.namespace, policy.ref.kind)


def _group_members(cluster: Cluster) -> dict[str, int]:
    cc = cluster.compiled
    out = {}
    for group in all_groups(cluster):
        out[group.ref] = bin(cc.applied_bits(group.members)).count("1")
    return out


def all_groups(cluster: Cluster) -> list[GroupPeer]:
    seen: dict[str, GroupPeer] = {}
    for policy in cluster.model.policies:
        peers = list(policy.subject)
        for rule in policy.rules:
            peers += [*rule.applied_to, *(rule.peers or ())]
        for group in groups_in(peers):
            seen.setdefault(group.ref, group)
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
