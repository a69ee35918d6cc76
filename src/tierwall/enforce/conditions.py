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
from ..engine.flow import service_endpoints
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
    """Expressions for one EntityRule; ``address_set`` names an interval set of IPv4 networks."""

    def __init__(self, cc: CompiledCluster, address_set: Callable[[list[str]], str]):
        self.cc, self.address_set = cc, address_set

    def _selected(self, expr) -> list[str]:
        bits = self.cc.expr_bits(expr)
        pods = [p.ip for p in self.cc.inv.pods if bits >> p.index & 1 and not p.host_network and p.ips
                and ":" not in p.ip]
        return pods + [str(n) for a in self.cc.expr_address_sets(expr) for n in a.nets if n.version == 4]

    def conditions(self, e: EntityMatch, protocol: str | None) -> list[Alternatives] | None:
        addr = "ip saddr" if e.side == "source" else "ip daddr"
        port = "th sport" if e.side == "source" else "th dport"
        out: list[Alternatives] = []
        if e.nets is not None:
            nets = [str(n) for n in e.nets if n.version == 4]
            out.append([f"{addr} @{self.address_set(nets)}"] if nets else [])
        v4_not = [str(n) for n in e.not_nets if n.version == 4]
        if v4_not:
            out.append([f"{addr} != @{self.address_set(v4_not)}"])
        if e.selector is not None:
            out.append([f"{addr} @{self.address_set(self._selected(e.selector))}"])
        if e.not_selector is not None:
            out.append([f"{addr} != @{self.address_set(self._selected(e.not_selector))}"])
        protos = [protocol.lower()] if protocol and protocol.lower() in PORT_PROTOS else (
            [] if protocol else list(PORT_PROTOS))
        if e.ports is not None:
            out.append(self._ports(e, e.ports, protos, addr, port, negate=False))
        if e.not_ports:  # a packet without ports is in no port list
            portless = [] if protocol and protocol.lower() in PORT_PROTOS else [
                f"meta l4proto != {{ {', '.join(PORT_PROTOS)} }}"]
            out.append(portless + self._ports(e, e.not_ports, protos, addr, port, negate=True))
        if e.service is not None:
            out.append(self._service(e, addr))
        return out

    def _ports(self, e: EntityMatch, ranges: tuple[PortRange, ...], protos: list[str], addr: str, port: str,
               negate: bool) -> Alternatives:
        """Numeric ranges match on any endpoint; a named port is resolved on the endpoints the
        side's selector selects (engine: ``_port_in`` with ``named_pod``)."""
        op = "!= " if negate else ""
        numeric = ", ".join(str(r.start) if r.start == r.end else f"{r.start}-{r.end}" for r in ranges if not r.name)
        named = [r.name for r in ranges if r.name]
        bits = self.cc.expr_bits(e.selector) if e.selector is not None else None
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

    def _service(self, e: EntityMatch, addr: str) -> Alternatives:
        """On the destination, the Service's endpoints on its target ports; on the source, its
        endpoints' addresses (engine: ``entity_matches``)."""
        svc = self.cc.inv.service(f"{e.service[0]}/{e.service[1]}")
        if svc is None:
            return []
        backends = sorted({b.ip for b in service_endpoints(self.cc.inv, svc) if ":" not in b.ip})
        if not backends:
            return []
        if e.side == "source":
            return [f"{addr} @{self.address_set(backends)}"]
        alts = []
        for sp in svc.ports:
            proto = sp.protocol.lower()
            if proto not in PORT_PROTOS:
                continue
            pairs = set()
            for b in service_endpoints(self.cc.inv, svc):
                target = sp.target_port if isinstance(sp.target_port, int) else (
                    b.pod.named_port(sp.target_port, sp.protocol) if b.is_pod else None)
                if target is not None and ":" not in b.ip:
                    pairs.add((b.ip, target))
            if pairs:
                alts.append(f"meta l4proto {proto} ip daddr . th dport {{ "
                            f"{', '.join(f'{ip} . {n}' for ip, n in sorted(pairs))} }}")
        return alts
