"""networking.k8s.io/v1 NetworkPolicy → model :class:`Policy`.

Every branch follows the API reference and API-server defaulting (spec/kubernetes.md §1):
policies select pods of their own namespace; being selected for a direction isolates it;
rules are Allow-only and additive, all in the NetworkPolicy stage, whose end drops what an
isolated pod's policies did not allow.
"""

from __future__ import annotations

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import (NETWORKPOLICY_STAGE, Action, Direction, NamespaceScope, PodPeer, Policy, Priority,
                      PolicyRef, Rule)
from ...selectors import EVERYTHING, parse_label_selector
from ..common import parse_ipblock, parse_k8s_port, port_match
from .resources import GROUP, KIND

PROTOCOLS = ("TCP", "UDP", "SCTP")
SPEC_FIELDS = ("podSelector", "policyTypes", "ingress", "egress")


def default_policy_types(spec: dict) -> list[str]:
    """API-server defaulting (``SetDefaults_NetworkPolicy``): absent or empty policyTypes
    become ``[Ingress]``, plus ``Egress`` iff ``spec.egress`` has at least one rule."""
    types = ["Ingress"]
    if spec.get("egress"):
        types.append("Egress")
    return types


def lower_network_policy(raw: RawObject, diags: Diagnostics) -> Policy | None:
    r = ObjectReader(raw, diags)
    if raw.api_version != f"{GROUP}/v1":
        r.error(("apiVersion",), f"unknown apiVersion {raw.api_version!r} for NetworkPolicy; expected {GROUP}/v1")
        return None
    ns = raw.namespace or "default"
    spec = r.spec(SPEC_FIELDS)
    if spec is None:
        return None
    # A null podSelector is treated as {} (the conformance manifests write `podSelector:`).
    pod_sel = parse_label_selector(spec.get("podSelector"), r.report, ("spec", "podSelector")) or EVERYTHING
    types = spec.get("policyTypes") or default_policy_types(spec)
    if not isinstance(types, list) or any(t not in ("Ingress", "Egress") for t in types):
        r.error(("spec", "policyTypes"), f"policyTypes {types!r} must list only Ingress and/or Egress")
        types = []
    ref = PolicyRef(KIND, ns, raw.name, raw.origin)
    subject = (PodPeer(NamespaceScope("names", frozenset({ns})), pod_sel),)
    rules: list[Rule] = []
    for direction, key, peer_key in ((Direction.INGRESS, "ingress", "from"), (Direction.EGRESS, "egress", "to")):
        entries = r.sequence(spec, key, ("spec",)) or []
        if entries and direction.title not in types:
            r.warn(("spec", key), f"{key} rules are ignored: policyTypes {types} does not include {direction.title}")
            continue
        for i, entry in enumerate(entries):
            rule = _lower_rule(r, ref, ns, subject, direction, i, entry, peer_key)
            if rule is not None:
                rules.append(rule)
    if r.failed:
        return None
    isolates = frozenset(d for d in Direction if d.title in types)
    return Policy(ref, NETWORKPOLICY_STAGE, subject, isolates, tuple(rules))


def _lower_rule(r: ObjectReader, ref: PolicyRef, ns: str, subject, direction: Direction, index: int,
                entry, peer_key: str) -> Rule | None:
    path = ("spec", direction.value, index)
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        r.error(path, "a rule must be a mapping with from/to and ports")
        return None
    r.known(entry, path, (peer_key, "ports"))
    peers = None  # missing or empty from/to: every source/destination
    raw_peers = r.sequence(entry, peer_key, path)
    if raw_peers:
        peers = []
        for j, p in enumerate(raw_peers):
            peer = _lower_peer(r, ns, p, path + (peer_key, j))
            if peer is not None:
                peers.append(peer)
        peers = tuple(peers)
    ports = None  # missing or empty ports: every port and protocol
    raw_ports = r.sequence(entry, "ports", path)
    if raw_ports:
        ports = []
        for j, p in enumerate(raw_ports):
            values = parse_k8s_port(r, p, path + ("ports", j), PROTOCOLS)
            if values is not None:
                ports.append(port_match(values))
        ports = tuple(ports)
    # allow-only and additive: the order inside the stage changes no verdict
    priority = Priority(0.0, 0, (ns, ref.name, direction.value), index, upstream_names=True)
    return Rule(ref, direction, index, "", Action.ALLOW, subject, peers, ports, NETWORKPOLICY_STAGE,
                priority=priority, origin=r.raw.at(path))


def _lower_peer(r: ObjectReader, ns: str, peer, path: tuple):
    if not isinstance(peer, dict):
        r.error(path, "a peer must be a mapping with podSelector, namespaceSelector or ipBlock")
        return None
    r.known(peer, path, ("podSelector", "namespaceSelector", "ipBlock"))
    has = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
    if not has:
        r.error(path, "a peer must set at least one of podSelector, namespaceSelector or ipBlock")
        return None
    if "ipBlock" in has:
        if len(has) > 1:
            r.error(path, "ipBlock cannot be combined with podSelector or namespaceSelector in one peer")
            return None
        return parse_ipblock(r, peer["ipBlock"], path + ("ipBlock",))
    pods = parse_label_selector(peer.get("podSelector"), r.report, path + ("podSelector",))
    if "namespaceSelector" in has:
        nss = parse_label_selector(peer["namespaceSelector"], r.report, path + ("namespaceSelector",))
        if nss is None:
            return None
        # both in one peer: pods matching podSelector inside namespaces matching namespaceSelector
        return PodPeer(NamespaceScope("selector", selector=nss), pods or EVERYTHING)
    if pods is None:
        return None
    # podSelector alone selects in the policy's own namespace
    return PodPeer(NamespaceScope("names", frozenset({ns})), pods)
