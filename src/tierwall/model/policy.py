"""Policies and rules of every dialect, in one shape.

A :class:`Rule` knows where it is enforced (``applied_to``), what it matches (``peers``,
``ports``), what it does (``action``) and where it sits in its stage (``priority``). It
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


@dataclass(frozen=True, slots=True, order=True)
class Priority:
    """Where a rule sits inside its stage: rules are tried in ascending order of
    ``(rank, position, name, index)``.

    * ``rank`` — the upstream order value of the policy (Antrea and AdminNetworkPolicy
      ``priority``, Calico ``order``; ``0`` where the API has none);
    * ``position`` — what upstream compares next, before any name: Antrea orders the rules of
      equal-priority policies by rule index first (spec/antrea.md §2); ``0`` elsewhere;
    * ``name`` — the policy's name as the CNI stores it, the last criterion;
    * ``index`` — the rule's position in its policy.

    ``upstream_names``: whether the CNI itself orders by ``name`` (Calico, and the trivial
    order of allow-only stages). When it does not (Antrea, AdminNetworkPolicy), rules of
    different policies with equal ``rank`` and ``position`` are in an order upstream leaves
    undefined; tierwall orders them by name and ``trace`` says so (:attr:`tie_key`).
    """

    rank: float
    position: int = 0
    name: tuple[str, ...] = ()
    index: int = 0
    upstream_names: bool = field(default=False, compare=False)

    @property
    def tie_key(self) -> tuple:
        """The part of the order upstream defines; rules of two policies with equal tie keys
        are in an order tierwall chose."""
        if self.upstream_names:
            return (self.rank, self.position, self.name, self.index)
        return (self.rank, self.position)

    def __str__(self) -> str:
        rank = int(self.rank) if float(self.rank).is_integer() else self.rank
        return f"{rank}/{self.position}/{'/'.join(self.name)}#{self.index}"


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
    priority: Priority
    """Order inside the stage (see :class:`Priority`)."""
    origin: Origin
    undecidable: str = ""
    """Non-empty when matching traffic's fate cannot be known statically (L7 rules)."""
    entities: tuple[EntityMatch, ...] = ()
    """Further conditions on the flow's source/destination (Calico EntityRules); all must hold."""
    l4: L4Match | None = None
    """Protocol/ICMP/IP-version conditions (Calico); ``None`` = none."""

    @property
    def sort_key(self) -> tuple:
        """``priority`` as a plain tuple, smaller first."""
        p = self.priority
        return (p.rank, p.position, p.name, p.index)

    @property
    def tie_key(self) -> tuple:
        return self.priority.tie_key

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
