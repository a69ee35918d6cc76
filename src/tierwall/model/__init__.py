"""The intermediate representation every dialect lowers into, and every back end reads.

Frozen dataclasses, symbolic (selectors, CIDRs, names), no behaviour beyond small helpers.
``Model`` is one cluster's policies in evaluation order; ``engine.compile`` resolves it
against an inventory.
"""

from dataclasses import dataclass, field
from typing import Callable

from .action import ACTION_VERDICT, Action, Direction, Verdict
from .condition import EntityMatch, L4Match, PortRange
from .peer import (ALL_NAMESPACES, AddressSet, FQDNPeer, GroupPeer, IPBlockPeer, LabelExpression, NamespaceScope,
                   NodePeer, NothingPeer, Peer, PodPeer, SelectorPeer, ServicePeer, flatten_peers, groups_in,
                   named_networks)
from .pipeline import (GENERIC_PROFILE, AdminStage, DEFAULT_STAGE, NETWORKPOLICY_STAGE, CniProfile, NoMatch, Stage,
                       build_pipeline)
from .policy import Policy, PolicyRef, Priority, Rule
from .ports import L4_PROTOCOLS, PROTOCOLS, PortMatch


@dataclass
class Model:
    """All policies of a cluster, with the stages they are evaluated in."""

    cni: str
    stages: tuple[Stage, ...]
    policies: list[Policy] = field(default_factory=list)
    address_sets: list[AddressSet] = field(default_factory=list)
    """Labelled CIDRs that label-expression selectors match (Calico network sets)."""
    label_view: Callable | None = None
    """How label-expression selectors see a pod: ``(labels, namespace, namespace labels,
    service account, service account labels) → labels``, declared by the CNI's native dialect
    (Calico's ``pcns.``/``pcsa.`` profiles); ``None``: the pod's own labels."""

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)


__all__ = ["ACTION_VERDICT", "ALL_NAMESPACES", "Action", "AddressSet", "AdminStage", "EntityMatch", "L4Match",
           "LabelExpression", "PortRange", "SelectorPeer", "GENERIC_PROFILE", "CniProfile", "DEFAULT_STAGE",
           "Direction", "FQDNPeer", "GroupPeer", "flatten_peers", "groups_in", "named_networks", "IPBlockPeer", "L4_PROTOCOLS", "Model",
           "NETWORKPOLICY_STAGE", "NamespaceScope", "NoMatch", "NodePeer", "NothingPeer", "PROTOCOLS",
           "Peer", "PodPeer", "Policy", "PolicyRef", "Priority", "PortMatch", "Rule", "ServicePeer", "Stage",
           "Verdict", "build_pipeline"]
