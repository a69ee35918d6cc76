"""Peers: the symbolic description of a set of endpoints or addresses.

Peers stay symbolic in the model (selectors, CIDRs, names); ``engine.compile`` resolves
them against the inventory. A rule's ``peers`` of ``None`` means "any address" (an empty
``from``/``to``), which is different from an empty tuple (matches nothing).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol, Union

from ..selectors import EVERYTHING, LabelSelector


@dataclass(frozen=True, slots=True)
class NamespaceScope:
    """Which namespaces a pod peer selects from.

    ``kind`` is one of:

    * ``all`` — every namespace;
    * ``names`` — the namespaces in ``names`` (e.g. a Kubernetes NetworkPolicy's own);
    * ``selector`` — namespaces whose labels match ``selector``;
    * ``self`` — the namespace of the endpoint the rule is applied to (Antrea ``match: Self``);
    * ``sameLabels`` — namespaces whose values for every key in ``keys`` equal those of the
      applied-to endpoint's namespace; an applied-to namespace lacking a key gets nothing.
    """

    kind: str
    names: frozenset[str] = frozenset()
    selector: LabelSelector | None = None
    keys: tuple[str, ...] = ()

    @property
    def relative(self) -> bool:
        """True when the scope depends on the applied-to endpoint."""
        return self.kind in ("self", "sameLabels")

    def __str__(self) -> str:
        if self.kind == "all":
            return "all namespaces"
        if self.kind == "names":
            return "namespace " + ",".join(sorted(self.names))
        if self.kind == "selector":
            return "all namespaces" if self.selector.is_everything else f"namespaces {self.selector}"
        if self.kind == "self":
            return "the applied-to pod's own namespace"
        return f"namespaces with the same {','.join(self.keys)} as the applied-to pod's"


ALL_NAMESPACES = NamespaceScope("all")


@dataclass(frozen=True, slots=True)
class PodPeer:
    """Pods (never hostNetwork pods) matching ``pods`` in the namespaces of ``namespaces``,
    optionally only those running as ``service_account``."""

    namespaces: NamespaceScope = ALL_NAMESPACES
    pods: LabelSelector = EVERYTHING
    service_account: str | None = None

    def __str__(self) -> str:
        who = "all pods" if self.pods.is_everything else f"pods {self.pods}"
        if self.service_account:
            who += f" with service account {self.service_account}"
        return f"{who} in {self.namespaces}"


@dataclass(frozen=True, slots=True)
class IPBlockPeer:
    """Addresses in ``cidr`` and in none of ``excepts``.

    ``outside_cluster``: only addresses that are neither a pod's nor a node's (Cilium: CIDR
    selectors and the ``world`` entity never match in-cluster identities, layer3.rst §IP/CIDR
    based); a Kubernetes ipBlock matches any address in the block."""

    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network
    excepts: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    outside_cluster: bool = False

    def __str__(self) -> str:
        text = f"{'CIDR' if self.outside_cluster else 'ipBlock'} {self.cidr}"
        if self.excepts:
            text += " except " + ",".join(str(e) for e in self.excepts)
        if self.outside_cluster:
            text += " (outside the cluster)"
        return text


@dataclass(frozen=True, slots=True)
class NodePeer:
    """The addresses of the Nodes matching ``nodes`` (and hostNetwork pods on them).

    ``relation`` ties the node to the endpoint the rule is applied to: ``""`` any node,
    ``local`` only the node that endpoint runs on, ``remote`` every other node (Cilium's
    ``host`` and ``remote-node`` entities)."""

    nodes: LabelSelector = EVERYTHING
    relation: str = ""

    @property
    def relative(self) -> bool:
        """True when the nodes covered depend on the applied-to endpoint's node."""
        return bool(self.relation)

    def covers(self, node_name: str, subject_node: str) -> bool:
        """Whether the relation admits ``node_name`` seen from a subject on ``subject_node``."""
        if self.relation == "local":
            return node_name == subject_node
        if self.relation == "remote":
            return node_name != subject_node
        return True

    def __str__(self) -> str:
        who = "all nodes" if self.nodes.is_everything else f"nodes {self.nodes}"
        if self.relation == "local":
            return "the applied-to pod's own node (host)" if self.nodes.is_everything else f"{who}, own node only"
        if self.relation == "remote":
            return "every other node (remote-node)" if self.nodes.is_everything else f"{who}, other nodes only"
        return who


@dataclass(frozen=True, slots=True)
class ServicePeer:
    """A Service as the client addressed it (its ClusterIP and ports), before DNAT."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"Service {self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class FQDNPeer:
    """A DNS name pattern; which addresses it covers is only known at run time."""

    pattern: str

    def __str__(self) -> str:
        return f"fqdn {self.pattern}"


@dataclass(frozen=True, slots=True)
class NothingPeer:
    """Matches nothing; ``reason`` says why (e.g. a group whose members cannot be computed)."""

    reason: str

    def __str__(self) -> str:
        return f"nothing ({self.reason})"


@dataclass(frozen=True, slots=True)
class GroupPeer:
    """A named group (ClusterGroup, Group, NetworkSet...): the union of its ``members``."""

    kind: str
    namespace: str
    name: str
    members: tuple["Peer", ...]

    @property
    def ref(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    def __str__(self) -> str:
        return self.ref


def flatten_peers(peers) -> list["Peer"]:
    """Every peer of ``peers`` with each group's members (recursively) after the group itself:
    for analyses that look at every address or selector a rule names, grouped or not."""
    out: list = []
    for p in peers:
        out.append(p)
        if isinstance(p, GroupPeer):
            out.extend(flatten_peers(p.members))
    return out


def groups_in(peers) -> list[GroupPeer]:
    """The named groups among ``peers`` and inside them (recursively), in order."""
    return [p for p in flatten_peers(peers) if isinstance(p, GroupPeer)]


def named_networks(peers) -> list:
    """Every CIDR ``peers`` name (ipBlocks, their excepts, inside groups too): the boundaries
    the matrix's outside endpoints are cut at, known from the model alone (no inventory)."""
    return [n for p in flatten_peers(peers) if isinstance(p, IPBlockPeer) for n in (p.cidr, *p.excepts)]


class LabelExpression(Protocol):
    """Anything that decides on a label map (a parsed Calico selector)."""

    def matches(self, labels) -> bool: ...


@dataclass(frozen=True, slots=True)
class SelectorPeer:
    """Pods and address sets whose *effective* labels match ``selector``: the pod's labels plus
    ``projectcalico.org/*``, ``pcns.*`` (namespace) and ``pcns.*``/``pcsa.*`` profile labels
    (``inventory/profiles.py``); an address set's labels as lowered."""

    selector: LabelExpression

    def __str__(self) -> str:
        return f"selector {self.selector}"


@dataclass(frozen=True, slots=True)
class AddressSet:
    """Labelled CIDRs a selector can match (Calico GlobalNetworkSet / NetworkSet): not an
    endpoint, no policy applies to it; it only lends its addresses to matching selectors."""

    kind: str
    namespace: str
    name: str
    labels: tuple[tuple[str, str], ...]
    nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @property
    def ref(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)


Peer = Union[PodPeer, IPBlockPeer, NodePeer, ServicePeer, FQDNPeer, NothingPeer, GroupPeer, SelectorPeer]
