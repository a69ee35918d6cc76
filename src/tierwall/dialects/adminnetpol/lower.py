"""policy.networking.k8s.io: AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) and
ClusterNetworkPolicy (v1alpha2) → model :class:`Policy`, validated as the CRD schema and its
CEL rules do (spec/kubernetes.md §2–3, apis/v1alpha2/clusternetworkpolicy_types.go).

The two API versions differ in names, limits and port syntax; :data:`API` holds those
differences as data. Where the policies land (which stage, at what priority) is the CNI
profile's business (``model/pipeline.py``); here each policy only says which kind of admin
stage it belongs to. Admin policies never isolate: no implicit deny at any stage's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_network

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import (Action, CniProfile, Direction, FQDNPeer, IPBlockPeer, NamespaceScope, NodePeer, NothingPeer, Priority,
                      Peer, PodPeer, Policy, PolicyRef, PortMatch, Rule)
from ...selectors import EVERYTHING, parse_label_selector
from ..common import parse_cidr
from .resources import GROUP

BANP_NAME = "default"
L4 = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True)
class ApiShape:
    """What one kind/version of the upstream admin API allows."""

    actions: dict[str, Action]
    max_rules: int
    max_peers: int
    max_ports: int
    ports_field: str
    allow_word: str
    """The action that admits traffic (``Allow`` in v1alpha1, ``Accept`` in v1alpha2)."""
    namespace_selector_required: bool


ANP = ApiShape({"Allow": Action.ALLOW, "Deny": Action.DROP, "Pass": Action.PASS}, 100, 100, 100, "ports", "Allow", True)
BANP = ApiShape({"Allow": Action.ALLOW, "Deny": Action.DROP}, 100, 100, 100, "ports", "Allow", True)
CNP = ApiShape({"Accept": Action.ALLOW, "Deny": Action.DROP, "Pass": Action.PASS}, 25, 25, 25, "protocols",
               "Accept", False)

API = {("v1alpha1", "AdminNetworkPolicy"): ANP, ("v1alpha1", "BaselineAdminNetworkPolicy"): BANP,
       ("v1alpha2", "ClusterNetworkPolicy"): CNP}
"""Accepted (version, kind) pairs of policy.networking.k8s.io."""

POLICY_KIND = {"AdminNetworkPolicy": "AdminNetworkPolicy", "BaselineAdminNetworkPolicy": "BaselineAdminNetworkPolicy",
               "ClusterNetworkPolicy": "ClusterNetworkPolicy.policy.networking.k8s.io"}
"""How results name these policies: the upstream ClusterNetworkPolicy carries its API group so
that it never reads like Antrea's ClusterNetworkPolicy."""

EVERY_ADDRESS: tuple[Peer, ...] = (IPBlockPeer(ip_network("0.0.0.0/0")), IPBlockPeer(ip_network("::/0")))
"""What a Deny/Pass rule with a peer this version does not understand matches (fail closed)."""


def lower_admin_policy(raw: RawObject, profile: CniProfile, diags: Diagnostics) -> Policy | None:
    r = ObjectReader(raw, diags)
    version = raw.api_version.rpartition("/")[2]
    shape = API.get((version, raw.kind))
    if shape is None:
        known = ", ".join(f"{GROUP}/{v} {k}" for v, k in API)
        r.error(("apiVersion",), f"{raw.api_version} {raw.kind} is not a known admin policy kind ({known})")
        return None
    spec = r.spec(("priority", "subject", "ingress", "egress", "tier"))
    if spec is None:
        return None
    if "appliedTo" in spec:
        r.error(("spec", "appliedTo"), f"{raw.kind} of {GROUP} has no appliedTo: this looks like an Antrea "
                                       f"ClusterNetworkPolicy, whose apiVersion is crd.antrea.io/v1beta1")
        return None
    cluster_tier = None
    if shape is CNP:
        cluster_tier = r.string(spec, "tier", ("spec",), required=True, choices=("Admin", "Baseline"))
    elif "tier" in spec:
        r.error(("spec", "tier"), f"{raw.kind} has no tier field")
    if shape is BANP:
        if raw.name != BANP_NAME:
            r.error(("metadata", "name"), f"BaselineAdminNetworkPolicy is a singleton: its name must be "
                                          f"{BANP_NAME!r}, not {raw.name!r}")
        if "priority" in spec:
            r.error(("spec", "priority"), "BaselineAdminNetworkPolicy has no priority")
        priority = None
    else:
        priority = r.number(spec, "priority", ("spec",), 0, 1000, required=True)
    subject = _subject(r, spec.get("subject"), shape)
    role = {"Admin": "cnp-admin", "Baseline": "cnp-baseline"}.get(cluster_tier or "",
                                                                  "banp" if shape is BANP else "anp")
    stage = profile.admin_stages[role]
    # Order in the stage: priority, then name (equal priorities are undefined upstream; the
    # tie is reported by trace). The BANP singleton has no priority: it comes after every
    # ClusterNetworkPolicy of the Baseline tier that shares its stage.
    prio_key = 1001 if priority is None else priority
    ref = PolicyRef(POLICY_KIND[raw.kind], "", raw.name, raw.origin, tier=stage.name,
                    priority="" if priority is None else str(priority))
    rules: list[Rule] = []
    for direction, key in ((Direction.INGRESS, "ingress"), (Direction.EGRESS, "egress")):
        entries = r.sequence(spec, key, ("spec",)) or []
        if len(entries) > shape.max_rules:
            r.error(("spec", key), f"at most {shape.max_rules} {key} rules are allowed, not {len(entries)}")
        for i, entry in enumerate(entries):
            rule = _rule(r, ref, shape, direction, i, entry, subject, stage.name, (prio_key, raw.name, raw.kind))
            if rule is not None:
                rules.append(rule)
    if r.failed or subject is None:
        return None
    return Policy(ref, stage.name, subject, frozenset(), tuple(rules))


def _subject(r: ObjectReader, value, shape: ApiShape) -> tuple[Peer, ...] | None:
    path = ("spec", "subject")
    if not isinstance(value, dict) or len([k for k in value if value[k] is not None]) != 1:
        r.error(path, "subject must set exactly one of namespaces, pods")
        return None
    r.known(value, path, ("namespaces", "pods"))
    if "namespaces" in value:
        sel = parse_label_selector(value["namespaces"], r.report, path + ("namespaces",))
        return (PodPeer(NamespaceScope("selector", selector=sel)),) if sel is not None else None
    peer = _pods(r, value.get("pods"), path + ("pods",), shape)
    return (peer,) if peer is not None else None


def _pods(r: ObjectReader, value, path: tuple, shape: ApiShape) -> PodPeer | None:
    if not isinstance(value, dict):
        r.error(path, "pods needs podSelector" + (" and namespaceSelector" if shape.namespace_selector_required else ""))
        return None
    r.known(value, path, ("namespaceSelector", "podSelector", "namespaces"))
    if isinstance(value.get("namespaces"), dict):  # early v1alpha1: pods.namespaces.namespaceSelector
        scope = _namespaces_old(r, value["namespaces"], path + ("namespaces",))
        pods = parse_label_selector(value.get("podSelector"), r.report, path + ("podSelector",))
        return PodPeer(scope, pods) if scope is not None and pods is not None else None
    if value.get("podSelector") is None:
        r.error(path + ("podSelector",), "podSelector is required")
        return None
    if value.get("namespaceSelector") is None and shape.namespace_selector_required:
        r.error(path + ("namespaceSelector",), "namespaceSelector is required")
        return None
    nss = parse_label_selector(value.get("namespaceSelector") or {}, r.report, path + ("namespaceSelector",))
    pods = parse_label_selector(value["podSelector"], r.report, path + ("podSelector",))
    if nss is None or pods is None:
        return None
    return PodPeer(NamespaceScope("selector", selector=nss), pods)


def _namespaces_old(r: ObjectReader, value: dict, path: tuple) -> NamespaceScope | None:
    """The early v1alpha1 NamespacedPeer: ``{namespaceSelector | sameLabels | notSameLabels}``."""
    if value.get("notSameLabels") is not None:
        r.error(path + ("notSameLabels",), "notSameLabels (experimental) is not supported by tierwall")
        return None
    if value.get("sameLabels") is not None:
        keys = value["sameLabels"]
        if not isinstance(keys, list) or not keys:
            r.error(path + ("sameLabels",), "sameLabels must be a list of label keys")
            return None
        return NamespaceScope("sameLabels", keys=tuple(str(k) for k in keys))
    sel = parse_label_selector(value.get("namespaceSelector") or {}, r.report, path + ("namespaceSelector",))
    return NamespaceScope("selector", selector=sel) if sel is not None else None


def _peer(r: ObjectReader, peer, path: tuple, shape: ApiShape, egress: bool, action: Action) -> tuple[Peer, ...]:
    fields = ("namespaces", "pods") + (("nodes", "networks", "domainNames") if egress else ())
    if not isinstance(peer, dict):
        r.error(path, "a peer must be a mapping")
        return ()
    unknown = [k for k in peer if k not in fields]
    known_set = [k for k in fields if peer.get(k) is not None]
    if unknown and not known_set:
        # A peer the implementation does not know: fail closed (the API's rule).
        r.warn(path + (unknown[0],), f"peer field {unknown[0]!r} is not understood: failing closed "
                                     f"({'matches nothing' if action is Action.ALLOW else 'matches everything'})",
               "TW222")
        return (NothingPeer(f"unknown peer field {unknown[0]}"),) if action is Action.ALLOW else EVERY_ADDRESS
    r.known(peer, path, fields)
    if len(known_set) != 1:
        r.error(path, f"a peer must set exactly one of {', '.join(fields)}")
        return ()
    key = known_set[0]
    value = peer[key]
    p = path + (key,)
    if key == "namespaces":
        if isinstance(value, dict) and any(k in value for k in ("namespaceSelector", "sameLabels", "notSameLabels")):
            scope = _namespaces_old(r, value, p)
        else:
            sel = parse_label_selector(value, r.report, p)
            scope = NamespaceScope("selector", selector=sel) if sel is not None else None
        return (PodPeer(scope, EVERYTHING),) if scope is not None else ()
    if key == "pods":
        pods = _pods(r, value, p, shape)
        return (pods,) if pods is not None else ()
    if key == "nodes":
        sel = parse_label_selector(value, r.report, p)
        return (NodePeer(sel),) if sel is not None else ()
    items = value if isinstance(value, list) else None
    limit = 25
    if not items or len(items) > limit:
        r.error(p, f"{key} must list 1 to {limit} entries")
        return ()
    if key == "networks":
        nets = [parse_cidr(r, c, p + (i,)) for i, c in enumerate(items)]
        return tuple(IPBlockPeer(n) for n in nets if n is not None)
    if action is not Action.ALLOW:
        r.error(p, f"domainNames may only be used in {shape.allow_word} rules")
        return ()
    return tuple(FQDNPeer(str(d)) for d in items)


def _ports(r: ObjectReader, entry: dict, path: tuple, shape: ApiShape) -> tuple[PortMatch, ...] | None:
    items = r.sequence(entry, shape.ports_field, path)
    if items is None:
        return None
    p = path + (shape.ports_field,)
    if not items or len(items) > shape.max_ports:
        r.error(p, f"{shape.ports_field} must list 1 to {shape.max_ports} entries")
        return None
    out: list[PortMatch] = []
    for i, item in enumerate(items):
        pm = (_cnp_protocol if shape is CNP else _anp_port)(r, item, p + (i,))
        if pm is not None:
            out.append(pm)
    return tuple(out)


def _one_of(r: ObjectReader, item, path: tuple, fields: tuple[str, ...]) -> tuple[str, object] | None:
    if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in fields:
        r.error(path, f"must set exactly one of {', '.join(fields)}")
        return None
    return next(iter(item.items()))


def _anp_port(r: ObjectReader, item, path: tuple) -> PortMatch | None:
    one = _one_of(r, item, path, ("portNumber", "portRange", "namedPort"))
    if one is None:
        return None
    key, value = one
    p = path + (key,)
    if key == "namedPort":
        if not isinstance(value, str) or not value:
            r.error(p, "namedPort must be a container port name")
            return None
        return PortMatch(None, named=value)
    if not isinstance(value, dict):
        r.error(p, f"{key} must be a mapping")
        return None
    proto = value.get("protocol") or "TCP"
    if proto not in L4:
        r.error(p + ("protocol",), f"protocol {proto!r} is not one of {', '.join(L4)}")
        return None
    if key == "portNumber":
        r.known(value, p, ("protocol", "port"))
        port = r.number(value, "port", p, 1, 65535, required=True)
        return PortMatch(proto, port=port) if port is not None else None
    r.known(value, p, ("protocol", "start", "end"))
    return _range(r, value, p, proto)


def _range(r: ObjectReader, value: dict, p: tuple, proto: str) -> PortMatch | None:
    start = r.number(value, "start", p, 1, 65535, required=True)
    end = r.number(value, "end", p, 1, 65535, required=True)
    if start is None or end is None:
        return None
    if not start < end:
        r.error(p, "Start port must be less than End port")
        return None
    return PortMatch(proto, port=start, end_port=end)


def _cnp_protocol(r: ObjectReader, item, path: tuple) -> PortMatch | None:
    one = _one_of(r, item, path, ("tcp", "udp", "sctp", "destinationNamedPort"))
    if one is None:
        return None
    key, value = one
    p = path + (key,)
    if key == "destinationNamedPort":
        if not isinstance(value, str) or not value:
            r.error(p, "destinationNamedPort must be a container port name")
            return None
        return PortMatch(None, named=value)
    proto = key.upper()
    if value is None or value == {}:
        return PortMatch(proto)  # the whole protocol
    if not isinstance(value, dict):
        r.error(p, f"{key} must be a mapping with destinationPort")
        return None
    r.known(value, p, ("destinationPort",))
    dport = value.get("destinationPort")
    if dport is None:
        return PortMatch(proto)
    one = _one_of(r, dport, p + ("destinationPort",), ("number", "range"))
    if one is None:
        return None
    kind, v = one
    dp = p + ("destinationPort", kind)
    if kind == "number":
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 65535:
            r.error(dp, f"number {v!r} must be a port in [1, 65535]")
            return None
        return PortMatch(proto, port=v)
    if not isinstance(v, dict):
        r.error(dp, "range must be a mapping with start and end")
        return None
    r.known(v, dp, ("start", "end"))
    return _range(r, v, dp, proto)


def _rule(r: ObjectReader, ref: PolicyRef, shape: ApiShape, direction: Direction, index: int, entry,
          subject, stage: str, policy_key: tuple) -> Rule | None:
    key = direction.value
    path = ("spec", key, index)
    if not isinstance(entry, dict):
        r.error(path, "a rule must be a mapping")
        return None
    egress = direction is Direction.EGRESS
    peer_key = "to" if egress else "from"
    r.known(entry, path, ("name", "action", peer_key, shape.ports_field))
    name = entry.get("name") or ""
    if len(str(name)) > 100:
        r.error(path + ("name",), "rule names may be at most 100 characters")
    action_word = r.string(entry, "action", path, required=True, choices=tuple(shape.actions))
    if action_word is None:
        return None
    action = shape.actions[action_word]
    raw_peers = r.sequence(entry, peer_key, path)
    if not raw_peers:
        r.error(path + (peer_key,), f"{peer_key} must list at least one peer")
        return None
    if len(raw_peers) > shape.max_peers:
        r.error(path + (peer_key,), f"at most {shape.max_peers} peers are allowed")
    peers: list[Peer] = []
    for j, p in enumerate(raw_peers):
        peers.extend(_peer(r, p, path + (peer_key, j), shape, egress, action))
    ports = _ports(r, entry, path, shape)
    if egress and ports and any(pm.named for pm in ports) and any(
            isinstance(p, dict) and any(k in p for k in ("networks", "nodes", "domainNames")) for p in raw_peers):
        r.error(path, "networks/nodes/domainNames peer cannot be set with namedPorts since there are no "
                      "namedPorts for networks/nodes/domainNames")
    return Rule(ref, direction, index, str(name), action, subject, tuple(peers), ports, stage,
                priority=Priority(policy_key[0], 0, policy_key[1:], index), origin=r.raw.at(path))
