"""The resolved form of a peer: the one shape ``trace``, ``matrix``, ``enforce`` and ``lint`` read.

A peer in the model is symbolic (a selector, a CIDR, a group, an entity). Resolving it against
the inventory gives a :class:`Resolved`: a union of :class:`Part` values, each of one of the
five kinds of thing a flow's end can be, whatever dialect wrote the peer:

* ``pods``    — a bitset of (non-hostNetwork) pods, bit *i* = ``inventory.pods[i]``;
* ``hosts``   — node names: a node's own addresses and the hostNetwork pods on it;
* ``net``     — an address range minus its ``excepts``; ``outside_only`` keeps only addresses
  that are neither a pod's nor a node's (Cilium CIDRs and ``world``);
* ``service`` — a Service as the client addressed it (pre-DNAT), ``(namespace, name)``;
* ``unknown`` — any address might be in it; only run time knows (FQDN patterns).

Each part keeps its origin — the peer (or NetworkSet, or label expression) it came from and the
groups around it — so ``trace`` explains a match in the words of the policy as written.

Back ends never look at peer classes: a new peer kind costs one entry in :data:`KINDS` (its
resolve function and whether it depends on the applied-to endpoint), plus its dialect's
lowering. ``CompiledCluster.resolve`` caches one :class:`Resolved` per distinct peer, and per
subject namespace / node only for peers that are relative to the endpoint a rule applies to
(Antrea ``self``/``sameLabels`` namespaces, Cilium ``host``/``remote-node``).

Calico's EntityRules are lowered the same way (:class:`ResolvedEntity`): their selector,
notSelector, nets and notNets become :class:`Resolved` values, their Service becomes the
backends' addresses and target ports.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from ..model import (EntityMatch, FQDNPeer, GroupPeer, IPBlockPeer, LabelExpression, NodePeer, NothingPeer, PodPeer,
                     PortRange, SelectorPeer, ServicePeer)

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a resolved peer: exactly one ``kind`` of addresses, and where it came from."""

    kind: str
    """``pods`` | ``hosts`` | ``net`` | ``service`` | ``unknown``."""
    label: str
    """The peer this piece comes from, as written (``str(peer)``)."""
    groups: tuple[str, ...] = ()
    """Enclosing groups, outermost first (``trace`` says "group: why")."""
    pods: int = 0
    hosts: frozenset[str] = frozenset()
    net: Net | None = None
    excepts: tuple[Net, ...] = ()
    outside_only: bool = False
    service: tuple[str, str] | None = None
    matches: str = ""
    """For pieces a label expression selected: that expression (``"app == 'a'"``)."""
    via: str = ""
    """For a ``net`` lent by an address set (Calico NetworkSet): that set's reference."""
    unknown_why: str = ""
    """For ``unknown``: why the addresses are not known statically."""

    def in_groups(self, ref: str) -> "Part":
        return Part(self.kind, self.label, (ref, *self.groups), self.pods, self.hosts, self.net, self.excepts,
                    self.outside_only, self.service, self.matches, self.via, self.unknown_why)

    def covers_address(self, addr, in_cluster: bool) -> bool:
        """For a ``net`` part: whether it covers ``addr`` (an ``ipaddress`` address) of an
        endpoint that is (``in_cluster``) or is not a pod's or a node's."""
        if self.outside_only and in_cluster:
            return False
        net = self.net
        if addr.version != net.version or addr not in net:
            return False
        return not any(addr.version == ex.version and addr in ex for ex in self.excepts)

    def addresses(self) -> list[Net]:
        """For a ``net`` part: the range minus its excepts, as networks (before ``outside_only``)."""
        nets = [self.net]
        for ex in self.excepts:
            nets = [n2 for n in nets for n2 in (n.address_exclude(ex) if ex.version == n.version and ex.subnet_of(n)
                                                else [n])]
        return nets


@dataclass(frozen=True, eq=False, slots=True)
class Resolved:
    """A peer resolved against the inventory: the union of its ``parts``, plus the unions
    vectorised back ends read directly."""

    label: str
    parts: tuple[Part, ...]
    miss: str = ""
    """How a flow that matches no part is explained (``"{remote} " + miss``); empty: by the
    single part's own words (or ``label`` when there is none)."""
    says_why_not: bool = True
    """Whether the miss explanation is worth more than "X is not in <peer>" (not for plain pod
    selectors, whose miss says only the selector again)."""
    pod_selector: bool = False
    """The peer names pods by selector only (lint: "selects no pod")."""
    group: str = ""
    """The group's reference when the peer is a named group."""
    expressions: tuple[LabelExpression, ...] = ()
    """The label expressions the peer tests (lint reads which labels they use)."""
    pods: int = field(init=False)
    hosts: frozenset[str] = field(init=False)
    nets: tuple[Part, ...] = field(init=False)
    services: frozenset[tuple[str, str]] = field(init=False)
    unknown: bool = field(init=False)

    def __post_init__(self):
        parts = self.parts
        object.__setattr__(self, "pods", reduce(or_, (p.pods for p in parts if p.kind == "pods"), 0))
        object.__setattr__(self, "hosts", frozenset().union(*(p.hosts for p in parts if p.kind == "hosts")))
        object.__setattr__(self, "nets", tuple(p for p in parts if p.kind == "net"))
        object.__setattr__(self, "services", frozenset(p.service for p in parts if p.kind == "service"))
        object.__setattr__(self, "unknown", any(p.kind == "unknown" for p in parts))

    @property
    def covers_something(self) -> bool:
        """Whether any endpoint or address could be in it (a Service or an FQDN does not count:
        which endpoints they stand for is not a membership)."""
        return bool(self.pods or self.hosts or self.nets)


@dataclass(frozen=True, eq=False, slots=True)
class ResolvedEntity:
    """A Calico EntityRule resolved: address conditions as :class:`Resolved` values, the
    Service as its backends (and, for a destination, their target ports), ports as written
    (named ports resolve on the endpoint)."""

    entity: EntityMatch
    side: str
    selector: Resolved | None
    not_selector: Resolved | None
    nets: Resolved | None
    not_nets: Resolved | None
    backends: frozenset[str] | None
    """IP addresses of the Service's endpoints (``None``: no Service condition)."""
    backend_ports: frozenset[tuple[str, str, int]]
    """(ip, protocol, port) each backend serves the Service on (its target ports)."""
    ports: tuple[PortRange, ...] | None
    not_ports: tuple[PortRange, ...]


# --- one resolve function per peer kind ---------------------------------------------------------

def _pods(cc, peer: PodPeer, subject_ns, subject_node) -> Resolved:
    return Resolved(str(peer), (Part("pods", str(peer), pods=cc.pod_bits(peer, subject_ns)),),
                    says_why_not=False, pod_selector=True)


def _ip_block(cc, peer: IPBlockPeer, subject_ns, subject_node) -> Resolved:
    return Resolved(str(peer), (Part("net", str(peer), net=peer.cidr, excepts=peer.excepts,
                                     outside_only=peer.outside_cluster),))


def _nodes(cc, peer: NodePeer, subject_ns, subject_node) -> Resolved:
    names = frozenset(n.name for n in cc.inv.nodes.values() if peer.nodes.matches(n.labels)
                      and (subject_node is None or peer.covers(n.name, subject_node)))
    return Resolved(str(peer), (Part("hosts", str(peer), hosts=names),))


def _service(cc, peer: ServicePeer, subject_ns, subject_node) -> Resolved:
    return Resolved(str(peer), (Part("service", str(peer), service=(peer.namespace, peer.name)),))


def _fqdn(cc, peer: FQDNPeer, subject_ns, subject_node) -> Resolved:
    return Resolved(str(peer), (Part("unknown", str(peer), unknown_why="only known from DNS at run time"),))


def _nothing(cc, peer: NothingPeer, subject_ns, subject_node) -> Resolved:
    return Resolved(str(peer), ())


def selector_parts(cc, expr: LabelExpression) -> tuple[Part, ...]:
    """The pods whose effective labels match ``expr`` and the nets of the address sets it matches."""
    label = f"selector {expr}"
    parts = [Part("pods", label, pods=cc.expr_bits(expr), matches=str(expr))]
    parts += [Part("net", label, net=net, via=aset.ref, matches=str(expr))
              for aset in cc.expr_address_sets(expr) for net in aset.nets]
    return tuple(parts)


def _selector(cc, peer: SelectorPeer, subject_ns, subject_node) -> Resolved:
    return Resolved(str(peer), selector_parts(cc, peer.selector), miss=f"does not match {peer.selector}",
                    expressions=(peer.selector,))


def _group(cc, peer: GroupPeer, subject_ns, subject_node) -> Resolved:
    members = [cc.resolve(m, subject_ns, subject_node) for m in peer.members]
    return Resolved(str(peer), tuple(p.in_groups(peer.ref) for r in members for p in r.parts),
                    miss=f"is not a member of {peer}", group=peer.ref,
                    expressions=tuple(e for r in members for e in r.expressions))


def _group_relative(peer: GroupPeer) -> tuple[bool, bool]:
    flags = [relativity(m) for m in peer.members]
    return any(ns for ns, _ in flags), any(node for _, node in flags)


@dataclass(frozen=True, slots=True)
class PeerKind:
    """How one peer class resolves: ``resolve(cc, peer, subject_ns, subject_node)``, and
    ``relative(peer)`` = (depends on the subject's namespace, depends on the subject's node)."""

    resolve: Callable
    relative: Callable = lambda peer: (False, False)


KINDS: dict[type, PeerKind] = {
    PodPeer: PeerKind(_pods, lambda p: (p.namespaces.relative, False)),
    IPBlockPeer: PeerKind(_ip_block),
    NodePeer: PeerKind(_nodes, lambda p: (False, p.relative)),
    ServicePeer: PeerKind(_service),
    FQDNPeer: PeerKind(_fqdn),
    NothingPeer: PeerKind(_nothing),
    SelectorPeer: PeerKind(_selector),
    GroupPeer: PeerKind(_group, _group_relative),
}


def kind_of(peer) -> PeerKind:
    kind = KINDS.get(type(peer))
    if kind is None:
        raise TypeError(f"no resolve function for peer {peer!r}")
    return kind


def relativity(peer) -> tuple[bool, bool]:
    """(depends on the applied-to endpoint's namespace, depends on its node)."""
    return kind_of(peer).relative(peer)


# --- Calico entity rules ----------------------------------------------------------------------

def nets_resolved(nets: tuple[Net, ...], label: str) -> Resolved:
    return Resolved(label, tuple(Part("net", label, net=n) for n in nets))


def resolve_entity(cc, e: EntityMatch) -> ResolvedEntity:
    """Lower one EntityRule into resolved address sets (no subject: entities name source and
    destination directly, never relative to the endpoint the rule applies to)."""
    def expr(x):
        return None if x is None else Resolved(f"selector {x}", selector_parts(cc, x), expressions=(x,))

    backends, backend_ports = None, frozenset()
    if e.service is not None:
        from .flow import service_endpoints
        svc = cc.inv.service(f"{e.service[0]}/{e.service[1]}")
        eps = service_endpoints(cc.inv, svc) if svc is not None else []
        backends = frozenset(b.ip for b in eps)
        pairs = set()
        for b in eps:
            for sp in svc.ports:
                target = sp.target_port if isinstance(sp.target_port, int) else (
                    b.pod.named_port(sp.target_port, sp.protocol) if b.is_pod else None)
                if target is not None:
                    pairs.add((b.ip, sp.protocol, target))
        backend_ports = frozenset(pairs)
    return ResolvedEntity(e, e.side, expr(e.selector), expr(e.not_selector),
                          None if e.nets is None else nets_resolved(e.nets, "nets"),
                          nets_resolved(e.not_nets, "notNets") if e.not_nets else None,
                          backends, backend_ports, e.ports, e.not_ports)
