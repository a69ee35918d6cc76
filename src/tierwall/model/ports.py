"""What a rule matches at layer 4: protocol, destination port(s), source port(s), ICMP type."""

from __future__ import annotations

from dataclasses import dataclass

L4_PROTOCOLS = ("TCP", "UDP", "SCTP")
"""Protocols that carry ports."""

PROTOCOLS = L4_PROTOCOLS + ("ICMP",)
"""Protocols a flow in tierwall can have (IGMP rules are loaded but never match a unicast flow)."""


@dataclass(frozen=True, slots=True)
class PortMatch:
    """One entry of a rule's port list. A rule matches when any of its entries matches.

    ``protocol``: ``TCP``/``UDP``/``SCTP``/``ICMP``/``IGMP``, or ``None`` for a named port
    that takes the protocol of the container port (AdminNetworkPolicy). ``port``..``end_port`` is an
    inclusive destination range (``None`` = every port of the protocol); ``named`` is a
    container port name resolved on the destination pod (with ``protocol``). ``src_port``..
    ``src_end_port`` restricts the source port. ``icmp_type``/``icmp_code`` (``None`` = any)
    apply to ICMP only.
    """

    protocol: str | None
    port: int | None = None
    end_port: int | None = None
    named: str | None = None
    src_port: int | None = None
    src_end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def __str__(self) -> str:
        if self.protocol is None:
            return f"named port {self.named}"
        if self.protocol == "ICMP":
            if self.icmp_type is None:
                return "ICMP"
            code = f"/{self.icmp_code}" if self.icmp_code is not None else ""
            return f"ICMP type {self.icmp_type}{code}"
        if self.named:
            dst = self.named
        elif self.port is None:
            dst = "*"
        elif self.end_port is not None and self.end_port != self.port:
            dst = f"{self.port}-{self.end_port}"
        else:
            dst = str(self.port)
        text = f"{self.protocol}/{dst}"
        if self.src_port is not None:
            end = self.src_end_port if self.src_end_port is not None else self.src_port
            text += f" from port {self.src_port}" + (f"-{end}" if end != self.src_port else "")
        return text
