"""Calico's rule conditions (protocol, ICMP, IP version, source/destination EntityRules) as
nftables match expressions, with the semantics of ``engine.match.l4_matches`` and
``entity_matches``.

A condition is a list of *alternatives* (OR): a rule becomes one nft rule per combination of
alternatives, all with the same verdict. ``[]`` means the condition can never hold (the rule
matches nothing); ``None`` means it cannot be expressed (the caller decides what failing closed
means for the rule's action). Entity conditions name the flow's source or destination
directly, whatever the rule's direction (spec/calico.md §3), so they become ``saddr``/``daddr``
and ``sport``/``dport`` matches.
"""

from __future__ import annotations

from collections.abc import Callable

from ..engine import CompiledCluster
from ..engine.resolve import Resolved, ResolvedEntity
from ..model import EntityMatch, L4Match, PortRange

Alternatives = list[str]
NFT_PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp", "ICMP": "icmp", "ICMPV6": "ipv6-icmp",
             "UDPLITE": "udplite"}
PORT_PROTOS = ("tcp", "udp", "sctp")


def nft_protocol(name: str) -> str:
    """tierwall's protocol name (``#<n>`` for numbers) as nft's ``meta l4proto`` value."""
    return name[1:] if name.startswith("#") else NFT_PROTO[name]


def l4_conditions(l4: L4Match) -> list[Alternatives]:
    out: list[Alternatives] = []
    if l4.ip_version is not None:
        out.append([f"meta nfproto ipv{l4.ip_version}"])
    if l4.protocol is not None:
        out.append([f"meta l4proto {nft_protocol(l4.protocol)}"])
    if l4.not_protocol is not None:
        out.append([f"meta l4proto != {nft_protocol(l4.not_protocol)}"])
    family = "icmpv6" if l4.protocol == "ICMPV6" else "icmp"
    if l4.icmp is not None:
        t, c = l4.icmp
        out.append([f"{family} type {t}" + (f" {family} code {c}" if c is not None else "")])
    if l4.not_icmp is not None:  # not (type t [and code c]) = type != t, or type t and code != c
        t, c = l4.not_icmp
        alts = [f"{family} type != {t}"]
        if c is not None:
            alts.append(f"{family} type {t} {family} code != {c}")
        out.append(alts)
    return out


class EntityCompiler:
    """Expressions for one EntityRule, read from its resolved form (``CompiledCluster.resolve_entity``).
    ``address_set`` names an interval set of IPv4 networks; ``addresses`` lists a resolved
    address condition's IPv4 intervals."""

    def __init__(self, cc: CompiledCluster, address_set: Callable[[list[str]], str],
                 addresses: Callable[[Resolved], list[str] | None]):
        self.cc, self.address_set, self.addresses = cc, address_set, addresses

    def conditions(self, e: EntityMatch, protocol: str | None) -> list[Alternatives] | None:
        r = self.cc.resolve_entity(e)
        addr = "ip saddr" if e.side == "source" else "ip daddr"
        port = "th sport" if e.side == "source" else "th dport"
        out: list[Alternatives] = []
        if r.nets is not None:
            nets = self.addresses(r.nets)
            out.append([f"{addr} @{self.address_set(nets)}"] if nets else [])
        v4_not = self.addresses(r.not_nets) if r.not_nets is not None else []
        if v4_not:
            out.append([f"{addr} != @{self.address_set(v4_not)}"])
        if r.selector is not None:
            out.append([f"{addr} @{self.address_set(self.addresses(r.selector))}"])
        if r.not_selector is not None:
            out.append([f"{addr} != @{self.address_set(self.addresses(r.not_selector))}"])
        protos = [protocol.lower()] if protocol and protocol.lower() in PORT_PROTOS else (
            [] if protocol else list(PORT_PROTOS))
        if e.ports is not None:
            out.append(self._ports(r, e.ports, protos, addr, port, negate=False))
        if e.not_ports:  # a packet without ports is in no port list
            portless = [] if protocol and protocol.lower() in PORT_PROTOS else [
                f"meta l4proto != {{ {', '.join(PORT_PROTOS)} }}"]
            out.append(portless + self._ports(r, e.not_ports, protos, addr, port, negate=True))
        if r.backends is not None:
            out.append(self._service(r, addr))
        return out

    def _ports(self, r: ResolvedEntity, ranges: tuple[PortRange, ...], protos: list[str], addr: str, port: str,
               negate: bool) -> Alternatives:
        """Numeric ranges match on any endpoint; a named port is resolved on the endpoints the
        side's selector selects (engine: ``_port_in`` with ``named_pod``)."""
        op = "!= " if negate else ""
        numeric = ", ".join(str(pr.start) if pr.start == pr.end else f"{pr.start}-{pr.end}"
                            for pr in ranges if not pr.name)
        named = [pr.name for pr in ranges if pr.name]
        bits = r.selector.pods if r.selector is not None else None
        alts = []
        for proto in protos:
            pairs = sorted({(p.ip, p.named_port(n, proto.upper())) for n in named for p in self.cc.inv.pods
                            if p.ips and ":" not in p.ip and p.named_port(n, proto.upper()) is not None
                            and (bits is None or bits >> p.index & 1)})
            terms = []
            if numeric:
                terms.append(f"{port} {op}{{ {numeric} }}")
            if pairs:
                terms.append(f"{addr} . {port} {op}{{ {', '.join(f'{ip} . {n}' for ip, n in pairs)} }}")
            if negate:  # not in any: every term must hold at once
                alts.append(" ".join([f"meta l4proto {proto}"] + terms))
            else:
                alts += [f"meta l4proto {proto} {t}" for t in terms]
        return alts

    def _service(self, r: ResolvedEntity, addr: str) -> Alternatives:
        """On the destination, the Service's endpoints on their target ports; on the source, its
        endpoints' addresses (engine: ``entity_matches``)."""
        backends = sorted(ip for ip in r.backends if ":" not in ip)
        if not backends:
            return []
        if r.side == "source":
            return [f"{addr} @{self.address_set(backends)}"]
        alts = []
        for proto in PORT_PROTOS:
            pairs = sorted((ip, n) for ip, p, n in r.backend_ports if p.lower() == proto and ":" not in ip)
            if pairs:
                alts.append(f"meta l4proto {proto} ip daddr . th dport {{ "
                            f"{', '.join(f'{ip} . {n}' for ip, n in pairs)} }}")
        return alts
