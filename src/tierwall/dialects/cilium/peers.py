"""The L3 side of a Cilium rule: endpoints, entities and CIDRs → model peers.

Every L3 field of one rule is OR-ed (``pkg/policy/api/rule.go``; docs ``layer3.rst``). An L3
that names nothing is a wildcard only when the rule has L4 ports (``pkg/policy/types/policyentry.go``):
``ingress: [{}]`` allows nothing. Entities (``pkg/policy/api/entity.go``, docs §Entities based):

* ``world`` (``world-ipv4``/``world-ipv6``): every address that is neither a pod nor a node;
* ``cluster``: every pod, node and other in-cluster identity (not world);
* ``host``: the node the selected pod runs on; ``remote-node``: every other node;
* ``all``: everything;
* ``kube-apiserver``: the API server's backends, which the inventory does not hold (Unknown);
* ``health``, ``init``, ``ingress``, ``unmanaged``, ``none``: identities no flow here has.

CIDR selectors (``fromCIDR``/``fromCIDRSet``/``toCIDR``/``toCIDRSet``) match only addresses
outside the cluster, never pods or nodes (docs §IP/CIDR based, default ``policy-cidr-match-mode``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_network

from ...load import ObjectReader
from ...model import ALL_NAMESPACES, FQDNPeer, IPBlockPeer, NodePeer, NothingPeer, Peer, PodPeer
from ..common import parse_cidr, parse_ipblock
from .selectors import parse_selector, peer_pods

WORLD = (IPBlockPeer(ip_network("0.0.0.0/0"), outside_cluster=True),
         IPBlockPeer(ip_network("::/0"), outside_cluster=True))
ENTITIES: dict[str, tuple[Peer, ...] | None] = {
    "world": WORLD,
    "world-ipv4": WORLD[:1],
    "world-ipv6": WORLD[1:],
    "cluster": (PodPeer(ALL_NAMESPACES), NodePeer()),
    "host": (NodePeer(relation="local"),),
    "remote-node": (NodePeer(relation="remote"),),
    "all": None,
    "health": (NothingPeer("Cilium health endpoints are not part of the inventory"),),
    "init": (NothingPeer("endpoints still being initialised are not part of the inventory"),),
    "ingress": (NothingPeer("Cilium's ingress proxy is not part of the inventory"),),
    "unmanaged": (NothingPeer("every pod in the inventory is managed by Cilium"),),
    "none": (),
}
"""Entity → the peers it covers; ``None`` = every address."""
UNKNOWN_ENTITIES = {"kube-apiserver": "which addresses the kube-apiserver entity has is not in the inventory"}

L3_FIELDS = {"ingress": ("fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet", "fromNodes"),
             "egress": ("toEndpoints", "toEntities", "toCIDR", "toCIDRSet", "toNodes", "toFQDNs", "toServices")}
UNMODELLED = {"fromRequires": "fromRequires (removed in Cilium 1.19)", "toRequires": "toRequires (removed in Cilium 1.19)",
              "fromGroups": "fromGroups (cloud provider groups)", "toGroups": "toGroups (cloud provider groups)"}


def l3_fields(direction: str, deny: bool) -> tuple[str, ...]:
    """The L3 fields of an ingress/egress (deny) rule; deny rules have no toFQDNs."""
    return tuple(f for f in L3_FIELDS[direction] if not (deny and f == "toFQDNs"))


@dataclass
class L3:
    """The peers of one rule: ``peers`` (``None`` = every address), and why some part of it can
    only be decided at run time (``unknown``)."""

    peers: tuple[Peer, ...] | None = ()
    named: bool = False
    """True when the rule names any L3 field at all (else it is an L4-only or empty rule)."""
    unknown: list[str] = field(default_factory=list)
    fqdn: tuple[Peer, ...] = ()
    """toFQDNs peers, kept apart: whether an address is theirs is only known from DNS."""


def lower_l3(r: ObjectReader, entry: dict, path: tuple, direction: str, namespace: str | None,
             deny: bool = False) -> L3:
    """The peers of one rule (``namespace``: the CNP's, ``None`` for a CCNP)."""
    out = L3()
    peers: list[Peer] = []
    every = False
    for key in l3_fields(direction, deny):
        items = r.sequence(entry, key, path)
        if items is None:
            continue
        if items:
            out.named = True
        for j, item in enumerate(items):
            where = path + (key, j)
            if key in ("fromEndpoints", "toEndpoints"):
                peers.extend(_endpoints(r, item, where, namespace))
            elif key in ("fromEntities", "toEntities"):
                got = _entity(r, item, where, out)
                if got is None:
                    every = True
                else:
                    peers.extend(got)
            elif key in ("fromCIDR", "toCIDR"):
                net = parse_cidr(r, item, where)
                if net is not None:
                    peers.append(IPBlockPeer(net, outside_cluster=True))
            elif key in ("fromCIDRSet", "toCIDRSet"):
                peers.extend(_cidr_set(r, item, where))
            elif key in ("fromNodes", "toNodes"):
                peers.extend(_nodes(r, item, where))
            elif key == "toFQDNs":
                out.fqdn += tuple(_fqdn(r, item, where))
            elif key == "toServices":
                out.unknown.append("toServices: Cilium matches the Service's backends, which tierwall does not "
                                   "resolve for Cilium yet")
    for key, what in UNMODELLED.items():
        if entry.get(key):
            out.named = True
            out.unknown.append(f"{what} is not modelled")
    out.peers = None if every else tuple(peers)
    return out


def _endpoints(r: ObjectReader, item, path: tuple, namespace: str | None) -> list[Peer]:
    sel = parse_selector(r, item, path)
    if sel is None:
        return []
    if sel.reserved:
        if sel.pod or sel.namespace or len(sel.reserved) > 1:
            r.warn(path, "a reserved: label combined with other labels is not modelled; this selector matches "
                         "nothing")
            return [NothingPeer("reserved label combined with other labels")]
        got = ENTITIES.get(sel.reserved[0], ())
        return list(got) if got is not None else list(WORLD) + [PodPeer(ALL_NAMESPACES), NodePeer()]
    if sel.nothing:
        return [NothingPeer(sel.nothing)]
    return [peer_pods(sel, namespace)]


def _entity(r: ObjectReader, item, path: tuple, out: L3) -> tuple[Peer, ...] | None:
    if item in UNKNOWN_ENTITIES:
        out.unknown.append(f"entity {item}: {UNKNOWN_ENTITIES[item]}")
        return ()
    if not isinstance(item, str) or item not in ENTITIES:
        known = ", ".join(sorted([*ENTITIES, *UNKNOWN_ENTITIES]))
        r.error(path, f"{item!r} is not a Cilium entity (one of {known})")
        return ()
    return ENTITIES[item]


def _cidr_set(r: ObjectReader, item, path: tuple) -> list[Peer]:
    if isinstance(item, dict) and item.get("cidr") is None and (item.get("cidrGroupRef") or item.get("cidrGroupSelector")):
        r.warn(path, "cidrGroupRef/cidrGroupSelector (CiliumCIDRGroup) is not modelled; this entry matches nothing")
        return [NothingPeer("CiliumCIDRGroup references are not modelled")]
    block = parse_ipblock(r, item, path, known_extra=("cidrGroupRef", "cidrGroupSelector"))
    if block is None:
        return []
    return [IPBlockPeer(block.cidr, block.excepts, outside_cluster=True)]


def _nodes(r: ObjectReader, item, path: tuple) -> list[Peer]:
    from ...selectors import parse_label_selector
    sel = parse_label_selector(item if item is not None else {}, r.report, path)
    if sel is None:
        return []
    r.warn(path, "fromNodes/toNodes needs the agent's enable-node-selector-labels; evaluated as if it were on")
    return [NodePeer(sel)]


def _fqdn(r: ObjectReader, item, path: tuple) -> list[Peer]:
    if not isinstance(item, dict):
        r.error(path, "a toFQDNs entry must be a mapping with matchName or matchPattern")
        return []
    r.known(item, path, ("matchName", "matchPattern"))
    pattern = item.get("matchName") or item.get("matchPattern")
    if not isinstance(pattern, str) or not pattern:
        r.error(path, "a toFQDNs entry needs matchName or matchPattern")
        return []
    return [FQDNPeer(pattern)]
