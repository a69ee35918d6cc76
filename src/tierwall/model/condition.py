"""Rule conditions beyond "peer and port": Calico's EntityRule fields and L4 criteria.

A rule with ``entities``/``l4`` matches when every condition holds (AND), each list inside a
condition is OR-ed, negated lists hold when none of their items does (spec/calico.md §3).
Entity conditions name the flow's ``source`` or ``destination`` directly, whatever the rule's
direction: an ingress rule's destination is the endpoint it is applied to.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .peer import LabelExpression

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class PortRange:
    """An inclusive port range, or a named port (``name`` set) resolved on the endpoint."""

    start: int = 0
    end: int = 0
    name: str = ""

    def __str__(self) -> str:
        if self.name:
            return self.name
        return str(self.start) if self.start == self.end else f"{self.start}:{self.end}"


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """What one end of the flow must be. ``None``/empty fields do not constrain.

    ``selector`` is the combined positive selector (the rule's selector, service accounts and
    namespace restriction already folded in); ``not_selector`` is applied as written.
    ``service`` is ``(namespace, name)``: on the destination, the Service's endpoints on their
    target ports; on the source, its endpoints' addresses.
    """

    side: str  # "source" | "destination"
    selector: LabelExpression | None = None
    not_selector: LabelExpression | None = None
    nets: tuple[Net, ...] | None = None
    not_nets: tuple[Net, ...] = ()
    ports: tuple[PortRange, ...] | None = None
    not_ports: tuple[PortRange, ...] = ()
    service: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class L4Match:
    """Protocol-level criteria. Protocols are upper-case names (TCP, UDP, SCTP, ICMP, ICMPV6,
    UDPLITE) or ``#<number>`` for others."""

    protocol: str | None = None
    not_protocol: str | None = None
    icmp: tuple[int, int | None] | None = None
    not_icmp: tuple[int, int | None] | None = None
    ip_version: int | None = None
