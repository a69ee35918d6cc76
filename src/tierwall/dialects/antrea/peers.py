"""Antrea rule pieces → model: peers (from/to), appliedTo entries, ports and protocols.

Scoping differs by kind (spec/antrea.md §1.2, §5): a lone podSelector selects in every
namespace in a ClusterNetworkPolicy but only in the policy's namespace in an Antrea
NetworkPolicy; ``namespaces`` (match Self / sameLabels) is cluster-policy only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import Diagnostics, did_you_mean
from ...load import ObjectReader
from ...model import (FQDNPeer, GroupPeer, NamespaceScope, NodePeer, NothingPeer, Peer, PodPeer,
                      PortMatch, ServicePeer)
from ...selectors import EVERYTHING, parse_label_selector
from ...selectors.labels import label_key_error
from ..common import parse_ipblock, parse_k8s_port, port_match
from ..contract import ServiceLookup
from .groups import GroupIndex
from .tiers import Tier

PEER_FIELDS = ("podSelector", "namespaceSelector", "namespaces", "ipBlock", "group", "serviceAccount",
               "nodeSelector", "fqdn", "externalEntitySelector", "scope")
APPLIED_TO_FIELDS = ("podSelector", "namespaceSelector", "group", "serviceAccount", "service",
                     "nodeSelector", "externalEntitySelector")
EXCLUSIVE_PEERS = ("group", "serviceAccount", "nodeSelector", "ipBlock", "fqdn")
"""Peer fields that must stand alone in their entry (webhook rule 5)."""
FQDN_CHARS = re.compile(r"^[-0-9a-zA-Z.*]+$")
PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass
class Context:
    """What lowering one Antrea policy needs besides the object itself."""

    tiers: dict[str, Tier]
    groups: GroupIndex
    services: "ServiceLookup"
    """Service facts by ``namespace/name`` (``LowerContext.service``)."""
    diags: Diagnostics


def _set_fields(entry: dict, fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if entry.get(f) is not None]


def _group(r: ObjectReader, ctx: Context, name, path: tuple, cluster: bool, ns: str) -> GroupPeer | None:
    kind = "ClusterGroup" if cluster else "Group"
    if not isinstance(name, str) or not name:
        r.error(path, "group must name a group")
        return None
    group = ctx.groups.get(kind, "" if cluster else ns, name)
    if group is None:
        # Antrea's webhook does not check that a referenced group exists (spec/antrea.md §5,
        # validate.go): the reference is accepted and matches nothing until the group is created.
        where = "" if cluster else f" in namespace {ns}"
        known = [key[2] for key in ctx.groups.defs if key[0] == kind and key[1] == ("" if cluster else ns)]
        r.warn(path, f"{kind} {name!r}{where} does not exist in the input{did_you_mean(name, known)}; Antrea "
                     f"accepts the reference, and it matches nothing until the group exists", "TW227")
        group = GroupPeer(kind, "" if cluster else ns, name, (NothingPeer(f"{kind} {name} does not exist"),))
    return group


def _service_account(r: ObjectReader, value, path: tuple) -> PodPeer | None:
    if not isinstance(value, dict) or not value.get("name") or not value.get("namespace"):
        r.error(path, "serviceAccount needs name and namespace")
        return None
    r.known(value, path, ("name", "namespace"))
    return PodPeer(NamespaceScope("names", frozenset({str(value["namespace"])})), EVERYTHING,
                   service_account=str(value["name"]))


def parse_peer(r: ObjectReader, ctx: Context, peer, path: tuple, cluster: bool, ns: str,
               egress: bool) -> Peer | None:
    if not isinstance(peer, dict):
        r.error(path, "a peer must be a mapping")
        return None
    r.known(peer, path, PEER_FIELDS)
    has = _set_fields(peer, PEER_FIELDS)
    if "scope" in has:
        has.remove("scope")
        if peer["scope"] not in ("Cluster", "ClusterSet"):
            r.error(path + ("scope",), f"scope {peer['scope']!r} is not one of Cluster, ClusterSet")
            return None
        if peer["scope"] == "ClusterSet":
            r.warn(path + ("scope",), "scope ClusterSet (multicluster) is not modelled: only this cluster's "
                                      "endpoints are matched", "TW216")
    if not has:
        r.error(path, "a peer must set one of " + ", ".join(f for f in PEER_FIELDS if f != "scope"))
        return None
    for f in EXCLUSIVE_PEERS:
        if f in has and len(has) > 1:
            r.error(path, f"{f} cannot be set with other peers in rules")
            return None
    if "namespaces" in has and "namespaceSelector" in has:
        r.error(path, "namespaces and namespaceSelector cannot be set at the same time for a single "
                      "NetworkPolicyPeer")
        return None
    if "group" in has:
        return _group(r, ctx, peer["group"], path + ("group",), cluster, ns)
    if "ipBlock" in has:
        return parse_ipblock(r, peer["ipBlock"], path + ("ipBlock",))
    if "serviceAccount" in has:
        return _service_account(r, peer["serviceAccount"], path + ("serviceAccount",))
    if "nodeSelector" in has:
        sel = parse_label_selector(peer["nodeSelector"], r.report, path + ("nodeSelector",))
        return NodePeer(sel) if sel is not None else None
    if "fqdn" in has:
        name = peer["fqdn"]
        if not egress:
            r.error(path + ("fqdn",), "fqdn is only valid in egress rules")
            return None
        if not isinstance(name, str) or not FQDN_CHARS.match(name):
            r.error(path + ("fqdn",), "invalid characters in egress rule fqdn field")
            return None
        return FQDNPeer(name)
    if "externalEntitySelector" in has:
        r.warn(path + ("externalEntitySelector",), "externalEntitySelector is not modelled: this peer "
                                                   "matches no endpoint tierwall knows", "TW212")
        return NothingPeer("external entities are not modelled")
    pods = parse_label_selector(peer.get("podSelector"), r.report, path + ("podSelector",))
    if "namespaces" in has:
        if not cluster:
            r.error(path + ("namespaces",), "namespaces is only valid in a ClusterNetworkPolicy")
            return None
        scope = _namespaces(r, peer["namespaces"], path + ("namespaces",))
        return PodPeer(scope, pods or EVERYTHING) if scope else None
    if "namespaceSelector" in has:
        nss = parse_label_selector(peer["namespaceSelector"], r.report, path + ("namespaceSelector",))
        return PodPeer(NamespaceScope("selector", selector=nss), pods or EVERYTHING) if nss is not None else None
    if pods is None:
        return None
    scope = NamespaceScope("all") if cluster else NamespaceScope("names", frozenset({ns}))
    return PodPeer(scope, pods)


def _namespaces(r: ObjectReader, value, path: tuple) -> NamespaceScope | None:
    if not isinstance(value, dict) or len([k for k in ("match", "sameLabels") if value.get(k)]) != 1:
        r.error(path, "only one matching criteria (match or sameLabels) can be set in namespaces")
        return None
    r.known(value, path, ("match", "sameLabels"))
    if value.get("match") is not None:
        if value["match"] != "Self":
            r.error(path + ("match",), f"match {value['match']!r} is not supported; only Self")
            return None
        return NamespaceScope("self")
    keys = value["sameLabels"]
    if not isinstance(keys, list) or any(label_key_error(k) for k in keys):
        r.error(path + ("sameLabels",), "Invalid label key in sameLabels rule")
        return None
    return NamespaceScope("sameLabels", keys=tuple(keys))


def parse_applied_to(r: ObjectReader, ctx: Context, entries, path: tuple, cluster: bool,
                     ns: str) -> tuple[Peer, ...] | None:
    """AppliedTo entries → the pods at which the rules are enforced (ipBlocks ignored)."""
    if not isinstance(entries, list):
        r.error(path, "appliedTo must be a list")
        return None
    out: list[Peer] = []
    for i, entry in enumerate(entries):
        p = path + (i,)
        if not isinstance(entry, dict):
            r.error(p, "an appliedTo entry must be a mapping")
            continue
        r.known(entry, p, APPLIED_TO_FIELDS)
        has = _set_fields(entry, APPLIED_TO_FIELDS)
        for f in ("group", "nodeSelector", "serviceAccount", "service"):
            if f in has and len(has) > 1:
                r.error(p, f"{f} cannot be set with other peers in appliedTo")
                break
        else:
            peer = _applied_to_entry(r, ctx, entry, has, p, cluster, ns)
            if peer is not None:
                out.append(peer)
    return tuple(out)


def _applied_to_entry(r: ObjectReader, ctx: Context, entry: dict, has: list[str], p: tuple,
                      cluster: bool, ns: str) -> Peer | None:
    if "group" in has:
        group = _group(r, ctx, entry["group"], p + ("group",), cluster, ns)
        if group is None:
            return None
        if not cluster and any(isinstance(m, PodPeer) and m.namespaces.kind != "names" for m in group.members):
            r.warn(p + ("group",), f"Group {group.name} selects pods by namespaceSelector; Antrea cannot apply "
                                   f"a NetworkPolicy to it (NetworkPolicyAppliedToUnsupportedGroup): "
                                   f"the policy applies to nothing through it", "TW217")
            return NothingPeer("Group with namespaceSelector cannot be an appliedTo")
        return group
    if "serviceAccount" in has:
        return _service_account(r, entry["serviceAccount"], p + ("serviceAccount",))
    if "service" in has:
        r.warn(p + ("service",), "appliedTo a NodePort Service (host traffic before DNAT) is not modelled; "
                                 "this entry applies to no pod", "TW218")
        return NothingPeer("NodePort Service appliedTo is not modelled")
    if "nodeSelector" in has:
        r.warn(p + ("nodeSelector",), "Node NetworkPolicy (appliedTo nodeSelector, host traffic) is not "
                                      "modelled; this entry applies to no pod", "TW218")
        return NothingPeer("Node NetworkPolicy is not modelled")
    if "externalEntitySelector" in has:
        r.warn(p + ("externalEntitySelector",), "externalEntitySelector is not modelled; this entry "
                                                "applies to no pod", "TW212")
        return NothingPeer("external entities are not modelled")
    if "namespaceSelector" in has and not cluster:
        r.error(p + ("namespaceSelector",), "an Antrea NetworkPolicy appliedTo has no namespaceSelector")
        return None
    pods = parse_label_selector(entry.get("podSelector"), r.report, p + ("podSelector",))
    nss = parse_label_selector(entry.get("namespaceSelector"), r.report, p + ("namespaceSelector",))
    if nss is not None:
        return PodPeer(NamespaceScope("selector", selector=nss), pods or EVERYTHING)
    if not has:
        # The e2e builder sends an empty entry; Antrea selects every pod of the policy's
        # namespace for it (observed, spec/antrea.md §1.2). For a cluster policy: all pods.
        r.warn(p, "appliedTo entry sets no field; it selects every pod" +
               ("" if cluster else f" of namespace {ns}"), "TW219")
    scope = NamespaceScope("all") if cluster else NamespaceScope("names", frozenset({ns}))
    return PodPeer(scope, pods or EVERYTHING)


def parse_ports(r: ObjectReader, rule: dict, path: tuple) -> tuple[PortMatch, ...] | None:
    """``ports`` and ``protocols`` (OR-ed); both empty = every protocol and port."""
    out: list[PortMatch] = []
    for i, entry in enumerate(r.sequence(rule, "ports", path) or []):
        p = path + ("ports", i)
        values = parse_k8s_port(r, entry, p, PORT_PROTOCOLS, extra=("sourcePort", "sourceEndPort"))
        if values is None:
            continue
        src, src_end = entry.get("sourcePort"), entry.get("sourceEndPort")
        if src_end is not None and src is None:
            r.error(p + ("sourceEndPort",), "if `sourceEndPort` is specified `sourcePort` must be specified")
            continue
        if src is not None and (isinstance(src, bool) or not isinstance(src, int) or not 1 <= src <= 65535):
            r.error(p + ("sourcePort",), f"sourcePort {src!r} must be a number in [1, 65535]")
            continue
        if src_end is not None and (isinstance(src_end, bool) or not isinstance(src_end, int)
                                    or not src <= src_end <= 65535):
            r.error(p + ("sourceEndPort",), "`sourceEndPort` should be greater than or equal to `sourcePort`")
            continue
        out.append(port_match(values, src_port=src, src_end_port=src_end))
    for i, entry in enumerate(r.sequence(rule, "protocols", path) or []):
        p = path + ("protocols", i)
        if not isinstance(entry, dict) or len(entry) != 1:
            r.error(p, "a protocols entry must set exactly one of icmp, igmp")
            continue
        (proto, body), = entry.items()
        body = body or {}
        if proto == "icmp":
            r.known(body, p + ("icmp",), ("icmpType", "icmpCode"))
            t = r.number(body, "icmpType", p + ("icmp",), 0, 255)
            c = r.number(body, "icmpCode", p + ("icmp",), 0, 255)
            out.append(PortMatch("ICMP", icmp_type=t, icmp_code=c))
        elif proto == "igmp":
            r.known(body, p + ("igmp",), ("igmpType", "groupAddress"))
            r.warn(p, "IGMP (multicast) is loaded but no unicast flow matches it", "TW220")
            out.append(PortMatch("IGMP"))
        else:
            r.warn(p + (proto,), f"protocol {proto!r} is not modelled; this entry matches nothing", "TW220")
    return tuple(out) if out or rule.get("ports") or rule.get("protocols") else None


def parse_to_services(r: ObjectReader, ctx: Context, rule: dict, path: tuple, ns: str,
                      cluster: bool) -> tuple[Peer, ...] | None:
    entries = r.sequence(rule, "toServices", path)
    if not entries:
        return None
    if rule.get("to") or rule.get("ports") or rule.get("protocols"):
        r.error(path + ("toServices",), "`toServices` cannot be used with `to`, `ports` or `protocols`")
        return None
    out: list[Peer] = []
    for i, ref in enumerate(entries):
        p = path + ("toServices", i)
        if not isinstance(ref, dict) or not ref.get("name"):
            r.error(p, "a toServices entry needs a name")
            continue
        r.known(ref, p, ("name", "namespace", "scope"))
        svc_ns = ref.get("namespace") or ("" if cluster else ns)
        if not svc_ns:
            r.error(p + ("namespace",), "toServices in a ClusterNetworkPolicy needs a namespace")
            continue
        if ref.get("scope") == "ClusterSet":
            r.warn(p + ("scope",), "scope ClusterSet (multicluster Services) is not modelled", "TW216")
        svc = ctx.services(f"{svc_ns}/{ref['name']}")
        if svc is None:
            r.error(p, f"toServices names Service {svc_ns}/{ref['name']}, which is not in the input")
            continue
        if svc.headless:
            r.warn(p, f"Service {svc.key} has no ClusterIP; toServices only matches ClusterIP Services", "TW221")
        out.append(ServicePeer(svc.namespace, svc.name))
    return tuple(out)
