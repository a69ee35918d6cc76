"""The L4 side of a Cilium rule: ``toPorts`` and ``icmps`` → model port matches.

``PortProtocol`` (docs ``layer4.rst``; ``pkg/policy/api/l4.go``): ``port`` is a number or a
container port name, ``"0"`` or missing = every port; ``endPort`` makes an inclusive range;
``protocol`` is TCP, UDP, SCTP or ANY, missing = ANY, and ANY means TCP and UDP (SCTP support
is off by default; ``pkg/policy/rule.go`` mergeIngress). A port entry with L7 ``rules`` (HTTP,
DNS, Kafka) or TLS/listener settings is decided by the proxy at run time: it is kept apart so
the rule can be marked Unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...load import ObjectReader
from ...model import PortMatch
from ..common import port_number_or_name

PROTOCOLS = {"TCP": ("TCP",), "UDP": ("UDP",), "SCTP": ("SCTP",), "ANY": ("TCP", "UDP")}
PROXY_FIELDS = ("rules", "listener", "originatingTLS", "terminatingTLS", "serverNames")
ICMP_TYPES = {"EchoReply": 0, "DestinationUnreachable": 3, "Redirect": 5, "EchoRequest": 8,
              "RouterAdvertisement": 9, "RouterSelection": 10, "TimeExceeded": 11, "ParameterProblem": 12,
              "Timestamp": 13, "TimestampReply": 14, "Photuris": 40, "ExtendedEchoRequest": 42,
              "ExtendedEchoReply": 43}
"""ICMPv4 type names Cilium accepts besides numbers (``pkg/policy/api/icmp.go``)."""


@dataclass
class L4:
    """``ports`` (``None`` = every port and protocol); ``proxied`` the entries whose fate an
    L7 proxy decides; ``named`` whether the rule had any L4 field."""

    ports: tuple[PortMatch, ...] | None = None
    proxied: list[PortMatch] = field(default_factory=list)
    named: bool = False


def lower_l4(r: ObjectReader, entry: dict, path: tuple, deny: bool) -> L4:
    out = L4()
    ports: list[PortMatch] = []
    for j, pr in enumerate(r.sequence(entry, "toPorts", path) or []):
        where = path + ("toPorts", j)
        if not isinstance(pr, dict):
            r.error(where, "a toPorts entry must be a mapping with ports")
            continue
        r.known(pr, where, ("ports",) if deny else ("ports", *PROXY_FIELDS))
        out.named = True
        matches = []
        raw_ports = r.sequence(pr, "ports", where) or []
        for k, pp in enumerate(raw_ports):
            matches.extend(_port(r, pp, where + ("ports", k)))
        if not raw_ports:
            matches = [PortMatch(p) for p in PROTOCOLS["ANY"]]
        if not deny and any(pr.get(f) for f in PROXY_FIELDS):
            out.proxied.extend(matches)
        else:
            ports.extend(matches)
    for j, icmp in enumerate(r.sequence(entry, "icmps", path) or []):
        out.named = True
        ports.extend(_icmp(r, icmp, path + ("icmps", j)))
    if out.named:
        out.ports = tuple(ports)
    return out


def _port(r: ObjectReader, pp, path: tuple) -> list[PortMatch]:
    if not isinstance(pp, dict):
        r.error(path, "a port entry must be a mapping with port, endPort and protocol")
        return []
    r.known(pp, path, ("port", "endPort", "protocol"))
    protocol = pp.get("protocol") or "ANY"
    if protocol not in PROTOCOLS:
        r.error(path + ("protocol",), f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
        return []
    raw = pp.get("port")
    port = None
    if raw not in (None, "", "0", 0):
        port = port_number_or_name(r, raw, path + ("port",))
        if port is None:
            return []
    end = pp.get("endPort")
    if end not in (None, 0):
        if isinstance(end, bool) or not isinstance(end, int) or not 1 <= end <= 65535:
            r.error(path + ("endPort",), f"endPort {end!r} must be a number in [1, 65535]")
            return []
        if not isinstance(port, int) or end < port:
            r.error(path + ("endPort",), "endPort needs a numeric port no greater than it")
            return []
    else:
        end = None
    if isinstance(port, str):
        return [PortMatch(p, named=port) for p in PROTOCOLS[protocol]]
    return [PortMatch(p, port=port, end_port=end) for p in PROTOCOLS[protocol]]


def _icmp(r: ObjectReader, icmp, path: tuple) -> list[PortMatch]:
    if not isinstance(icmp, dict):
        r.error(path, "an icmps entry must be a mapping with fields")
        return []
    r.known(icmp, path, ("fields",))
    out = []
    for k, f in enumerate(r.sequence(icmp, "fields", path) or []):
        where = path + ("fields", k)
        if not isinstance(f, dict):
            r.error(where, "an ICMP field must be a mapping with type and family")
            continue
        r.known(f, where, ("type", "family"))
        if (f.get("family") or "IPv4") != "IPv4":
            r.warn(where, "ICMPv6 rules are not modelled (flows here are IPv4); this entry matches nothing")
            continue
        t = f.get("type")
        t = ICMP_TYPES.get(t, t) if isinstance(t, str) and not t.isdigit() else t
        if isinstance(t, str):
            t = int(t)
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= 255:
            r.error(where + ("type",), f"ICMP type {f.get('type')!r} is not a number in [0, 255] or a known name")
            continue
        out.append(PortMatch("ICMP", icmp_type=t))
    return out
