"""Calico rules → model :class:`Rule` with entity and L4 conditions.

The selector fields of an EntityRule are folded into one positive selector exactly as
Calico's update processor does (spec/calico.md §3.5, updateprocessors/rules.go): service
accounts and ``selector`` ANDed, then the namespace restriction — the rule's
``namespaceSelector`` (labels prefixed ``pcns.``), else the policy's own namespace for a
namespaced policy — added only when some selector-like field is present. ``notSelector`` is
applied as written.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .labels import NAMESPACE_LABEL, NAMESPACE_PREFIX, SERVICE_ACCOUNT_LABEL, SERVICE_ACCOUNT_PREFIX
from ...load import ObjectReader
from ...model import Action, Direction, EntityMatch, L4Match, PolicyRef, PortRange, Priority, Rule
from ...selectors.calico import And, Compare, Global, Has, Node, Not, Or, Selector, SelectorError, parse

ACTIONS = {"Allow": Action.ALLOW, "Deny": Action.DROP, "Pass": Action.PASS, "Log": Action.LOG}
PROTOCOL_NAMES = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136}
PROTOCOL_BY_NUMBER = {num: name.upper() for name, num in PROTOCOL_NAMES.items()}
PORT_PROTOCOLS = {"TCP", "UDP", "SCTP"}
RULE_FIELDS = ("action", "protocol", "notProtocol", "icmp", "notICMP", "ipVersion", "source", "destination",
               "http", "metadata")
ENTITY_FIELDS = ("nets", "notNets", "selector", "notSelector", "namespaceSelector", "ports", "notPorts",
                 "serviceAccounts", "services")


def conj(*nodes: Node | None) -> Node | None:
    """AND of the given nodes; ``None`` when there are none (an explicit ``all()`` is kept:
    "all()" is not "no selector")."""
    parts = tuple(n for n in nodes if n is not None)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def has_global(node: Node) -> bool:
    if isinstance(node, Global):
        return True
    if isinstance(node, Not):
        return has_global(node.inner)
    if isinstance(node, (And, Or)):
        return any(has_global(p) for p in node.parts)
    return False


def parse_selector(r: ObjectReader, value: Any, path: tuple, allow_global: bool = False) -> Node | None:
    """Parse a selector field; errors name the field and the column of the offending character."""
    if value is None:
        return None
    if not isinstance(value, str):
        r.error(path, f"a selector must be a string, not {value!r}")
        return None
    try:
        node = parse(value)
    except SelectorError as exc:
        r.error(path, f"invalid selector {value!r}: {exc.message} at column {exc.column}")
        return None
    if has_global(node) and not allow_global:
        r.error(path, "global() is only valid alone as a rule's namespaceSelector")
        return None
    return node


def namespace_term(r: ObjectReader, value: Any, path: tuple) -> Node | None:
    """A rule's namespaceSelector as an endpoint-label expression (``pcns.`` labels)."""
    node = parse_selector(r, value, path, allow_global=True)
    if node is None:
        return None
    if isinstance(node, Global):
        return Not(Has(NAMESPACE_LABEL))  # non-namespaced objects only (GlobalNetworkSets)
    if has_global(node):
        r.error(path, "global() must be used alone in a namespaceSelector")
        return None
    return node.rewrite(lambda k: NAMESPACE_PREFIX + k, Has(NAMESPACE_LABEL))


def service_account_term(r: ObjectReader, value: Any, path: tuple) -> Node | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        r.error(path, "serviceAccounts must be a mapping with names and/or selector")
        return None
    r.known(value, path, ("names", "selector"))
    names = value.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        r.error(path + ("names",), "names must be a list of service account names")
        return None
    sel = parse_selector(r, value.get("selector"), path + ("selector",))
    if sel is not None:
        sel = sel.rewrite(lambda k: SERVICE_ACCOUNT_PREFIX + k, Has(SERVICE_ACCOUNT_LABEL))
    names_term = Compare(SERVICE_ACCOUNT_LABEL, "in", frozenset(names)) if names else None
    return conj(sel, names_term)


def _nets(r: ObjectReader, value: Any, path: tuple, negated: bool) -> tuple | None:
    if value is None:
        return None
    if not isinstance(value, list):
        r.error(path, "nets must be a list of CIDRs")
        return None
    out = []
    for i, item in enumerate(value):
        try:
            net = ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            r.error(path + (i,), f"{item!r} is not a CIDR or an IP address")
            return None
        if negated and net.prefixlen == 0:
            r.error(path + (i,), f"notNets may not contain {net} (it would match nothing)")
            return None
        out.append(net)
    return tuple(out)


def _ports(r: ObjectReader, value: Any, path: tuple) -> tuple[PortRange, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        r.error(path, "ports must be a list")
        return None
    out: list[PortRange] = []
    for i, item in enumerate(value):
        p = path + (i,)
        if isinstance(item, bool):
            r.error(p, f"{item!r} is not a port")
            return None
        if isinstance(item, int):
            lo = hi = item
        elif isinstance(item, str) and ":" in item:
            a, _, b = item.partition(":")
            if not (a.isdigit() and b.isdigit()):
                r.error(p, f"port range {item!r} must be 'min:max'")
                return None
            lo, hi = int(a), int(b)
        elif isinstance(item, str) and item.isdigit():
            lo = hi = int(item)
        elif isinstance(item, str) and item:
            out.append(PortRange(name=item))
            continue
        else:
            r.error(p, f"{item!r} is not a port, a range 'min:max' or a port name")
            return None
        if not (0 <= lo <= hi <= 65535):
            r.error(p, f"port {item!r} is out of range (0-65535, min <= max)")
            return None
        out.append(PortRange(lo, hi))
    return tuple(out)


def entity(r: ObjectReader, value: Any, path: tuple, side: str, policy_ns: str | None) -> EntityMatch | None:
    """A source/destination EntityRule; ``None`` when it constrains nothing."""
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        r.error(path, f"{side} must be a mapping")
        return None
    r.known(value, path, ENTITY_FIELDS)
    sel = parse_selector(r, value.get("selector"), path + ("selector",))
    not_sel = parse_selector(r, value.get("notSelector"), path + ("notSelector",))
    ns_sel = namespace_term(r, value.get("namespaceSelector"), path + ("namespaceSelector",))
    sa = service_account_term(r, value.get("serviceAccounts"), path + ("serviceAccounts",))
    services = value.get("services")
    service = None
    if services is not None:
        if not isinstance(services, dict) or not services.get("name"):
            r.error(path + ("services",), "services needs a name (and a namespace for a global policy)")
            return None
        clash = [f for f in ("selector", "notSelector", "namespaceSelector", "nets", "notNets", "serviceAccounts")
                 if value.get(f) is not None]
        if side == "destination" and (value.get("ports") or value.get("notPorts")):
            clash.append("ports")
        if clash:
            r.error(path + ("services",), f"services cannot be combined with {', '.join(clash)}")
            return None
        ns = services.get("namespace") or policy_ns
        if not ns:
            r.error(path + ("services", "namespace"), "services in a GlobalNetworkPolicy needs a namespace")
            return None
        service = (str(ns), str(services["name"]))
    selectorish = any(value.get(f) is not None for f in ("selector", "serviceAccounts", "notSelector",
                                                         "namespaceSelector"))
    positive = None
    if selectorish:
        ns_term = ns_sel if value.get("namespaceSelector") is not None else (
            Compare(NAMESPACE_LABEL, "==", policy_ns) if policy_ns else None)
        positive = conj(sa, sel, ns_term)
    match = EntityMatch(
        side=side,
        selector=Selector(positive, str(positive)) if positive is not None else None,
        not_selector=Selector(not_sel, value["notSelector"]) if not_sel is not None else None,
        nets=_nets(r, value.get("nets"), path + ("nets",), False),
        not_nets=_nets(r, value.get("notNets"), path + ("notNets",), True) or (),
        ports=_ports(r, value.get("ports"), path + ("ports",)),
        not_ports=_ports(r, value.get("notPorts"), path + ("notPorts",)) or (),
        service=service)
    return match


def _protocol(r: ObjectReader, value: Any, path: tuple) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        r.error(path, f"{value!r} is not a protocol")
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int):
        if not 1 <= value <= 255:
            r.error(path, f"protocol number {value} is out of range [1, 255]")
            return None
        return PROTOCOL_BY_NUMBER.get(value, f"#{value}")
    if not isinstance(value, str) or value not in PROTOCOL_NAMES:
        r.error(path, f"protocol {value!r} is not one of {', '.join(PROTOCOL_NAMES)} or a number 1-255")
        return None
    return value.upper()


def _icmp(r: ObjectReader, value: Any, path: tuple) -> tuple[int, int | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or "type" not in value:
        if isinstance(value, dict) and "code" in value:
            r.error(path, "icmp code needs a type")
        elif value != {}:
            r.error(path, "icmp must be a mapping with type (and code)")
        return None
    r.known(value, path, ("type", "code"))
    t = r.number(value, "type", path, 0, 254)
    c = r.number(value, "code", path, 0, 255)
    return (t, c) if t is not None else None


def lower_rule(r: ObjectReader, ref: PolicyRef, direction: Direction, index: int, entry: Any, subject, stage: str,
               sort_key: tuple, policy_ns: str | None) -> Rule | None:
    path = ("spec", direction.value, index)
    if not isinstance(entry, dict):
        r.error(path, "a rule must be a mapping")
        return None
    r.known(entry, path, RULE_FIELDS)
    action = r.string(entry, "action", path, required=True, choices=tuple(ACTIONS))
    protocol = _protocol(r, entry.get("protocol"), path + ("protocol",))
    not_protocol = _protocol(r, entry.get("notProtocol"), path + ("notProtocol",))
    icmp = _icmp(r, entry.get("icmp"), path + ("icmp",))
    not_icmp = _icmp(r, entry.get("notICMP"), path + ("notICMP",))
    if (icmp or not_icmp) and protocol not in ("ICMP", "ICMPV6"):
        r.error(path + ("icmp",), "icmp and notICMP need protocol ICMP or ICMPv6")
    ip_version = entry.get("ipVersion")
    if ip_version is not None and ip_version not in (4, 6):
        r.error(path + ("ipVersion",), "ipVersion must be 4 or 6")
    src = entity(r, entry.get("source"), path + ("source",), "source", policy_ns)
    dst = entity(r, entry.get("destination"), path + ("destination",), "destination", policy_ns)
    for e, key in ((src, "source"), (dst, "destination")):
        numeric = e is not None and any(not p.name for p in (e.ports or ()) + e.not_ports)
        if numeric and protocol not in PORT_PROTOCOLS:
            r.error(path + (key, "ports"), "numeric ports need protocol TCP, UDP or SCTP")
    nets = [n for e in (src, dst) if e for n in (e.nets or ()) + e.not_nets]
    if len({n.version for n in nets}) > 1:
        r.error(path, "a rule may not mix IPv4 and IPv6 CIDRs")
    undecidable = ""
    if entry.get("http") is not None:
        if action != "Allow" or protocol not in (None, "TCP"):
            r.error(path + ("http",), "http matches are only valid on Allow rules with protocol TCP or none")
        undecidable = ("HTTP match (methods/paths): decided per request by Calico's application-layer policy "
                       "engine, and not enforced at all by Felix's own data planes")
    if action is None:
        return None
    l4 = None
    if protocol or not_protocol or icmp or not_icmp or ip_version:
        l4 = L4Match(protocol, not_protocol, icmp, not_icmp, ip_version)
    return Rule(ref, direction, index, "", ACTIONS[action], subject, None, None, stage,
                priority=Priority(sort_key[0], 0, sort_key[1:], index, upstream_names=True), origin=r.raw.at(path),
                undecidable=undecidable, entities=tuple(e for e in (src, dst) if e is not None), l4=l4)

