"""Policies and rules of every dialect, in one shape.

A :class:`Rule` knows where it is enforced (``applied_to``), what it matches (``peers``,
``ports``), what it does (``action``) and where it sits in its stage (``sort_key``). It
also carries its origin so that every verdict can name file, line, policy and rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..origin import Origin
from .action import Action, Direction
from .condition import EntityMatch, L4Match
from .peer import Peer
from .ports import PortMatch


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """How a policy is named to users: ``kind/namespace/name`` plus tier and priority text."""

    kind: str
    namespace: str
    name: str
    origin: Origin
    tier: str = ""
    priority: str = ""
    managed_by: str = ""
    """Set when another system owns the object (e.g. NSX): edits there are reconciled away."""
    display_name: str = ""
    """The name people know the policy by when its object name is an id (NSX-managed
    policies are named by UUID; the ccp-adapter puts the NSX display name in an annotation)."""

    @property
    def label(self) -> str:
        """``ref`` plus the display name, for text views."""
        return f'{self.ref} "{self.display_name}"' if self.display_name else self.ref

    @property
    def ref(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    def __str__(self) -> str:
        return self.ref


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of one policy, for one direction."""

    policy: PolicyRef
    direction: Direction
    index: int
    """Position among the policy's rules of this direction (0-based), as users count them."""
    name: str
    action: Action
    applied_to: tuple[Peer, ...]
    """Endpoints at which the rule is enforced (policy-level or rule-level appliedTo)."""
    peers: tuple[Peer, ...] | None
    """The other side: ``None`` = any address; ``()`` = nothing."""
    ports: tuple[PortMatch, ...] | None
    """``None`` = every protocol and port."""
    stage: str
    sort_key: tuple
    """Order inside the stage: smaller first (e.g. Antrea: policy priority, rule index, name)."""
    tie_key: tuple
    """The part of ``sort_key`` the upstream order defines; equal tie keys in different
    policies are ordered by tierwall's documented tie-break (the rest of ``sort_key``)."""
    origin: Origin
    undecidable: str = ""
    """Non-empty when matching traffic's fate cannot be known statically (L7 rules)."""
    entities: tuple[EntityMatch, ...] = ()
    """Further conditions on the flow's source/destination (Calico EntityRules); all must hold."""
    l4: L4Match | None = None
    """Protocol/ICMP/IP-version conditions (Calico); ``None`` = none."""

    @property
    def label(self) -> str:
        name = f' "{self.name}"' if self.name else ""
        return f"{self.direction.value} rule {self.index}{name}"


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy: its rules, its subject and which directions it isolates."""

    ref: PolicyRef
    stage: str
    subject: tuple[Peer, ...]
    """Endpoints the policy selects (union of every appliedTo for rule-level appliedTo)."""
    isolates: frozenset[Direction]
    """Directions in which being selected makes unmatched traffic drop at the end of the
    stage (Kubernetes policyTypes; Calico types). Empty for Antrea-native policies."""
    rules: tuple[Rule, ...] = field(default=())
