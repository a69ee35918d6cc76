"""Does a rule match a flow? Three answers: yes, no, or "cannot be known statically".

Each test also says *why* in words, so that ``trace`` can explain every rule it skipped.
"""

from __future__ import annotations

from enum import Enum

from ..addresses import parse_ip
from ..model import Direction, EntityMatch, L4Match, Peer, PortMatch, Rule
from .compile import CompiledCluster
from .flow import Endpoint, Flow
from .resolve import Part, Resolved


class Match(str, Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


def peer_matches(cc: CompiledCluster, peer: Peer, remote: Endpoint, subject_ns: str,
                 flow: Flow, subject_node: str = "") -> tuple[Match, str]:
    """Whether ``remote`` (the other end, seen from the endpoint the rule is applied to, which
    lives in ``subject_ns`` on ``subject_node``) is in ``peer``."""
    return resolved_matches(cc.resolve(peer, subject_ns, subject_node), remote, flow)


def resolved_matches(res: Resolved, remote: Endpoint, flow: Flow) -> tuple[Match, str]:
    """Whether ``remote`` is in a resolved peer: the first part that covers it says why (a
    part that may cover it makes the answer MAYBE unless another one does)."""
    maybe = None
    for part in res.parts:
        m, why = part_matches(part, remote, flow)
        if m is Match.NO:
            continue
        why = "".join(f"{g}: " for g in part.groups) + why
        if m is Match.YES:
            return m, why
        maybe = why
    if maybe is not None:
        return Match.MAYBE, maybe
    if res.miss:
        return Match.NO, f"{remote} {res.miss}"
    if len(res.parts) == 1:
        return Match.NO, part_matches(res.parts[0], remote, flow)[1]
    return Match.NO, res.label


def part_matches(part: Part, remote: Endpoint, flow: Flow) -> tuple[Match, str]:
    """One part of a resolved peer against the remote end, in the words of the peer as written."""
    if part.kind == "pods":
        if not remote.is_pod:
            return Match.NO, f"{remote} is not a pod ({part.label})"
        if part.pods >> remote.pod.index & 1:
            return Match.YES, f"{remote.pod.key} matches {part.matches}" if part.matches else part.label
        return Match.NO, part.label
    if part.kind == "net":
        addr = parse_ip(remote.ip)
        if part.outside_only and (remote.pod is not None or remote.host is not None):
            return Match.NO, f"{remote} is in the cluster; {part.label} matches only outside addresses"
        if addr.version != part.net.version or addr not in part.net:
            return Match.NO, f"{remote.ip} is outside {part.net}"
        for ex in part.excepts:
            if addr in ex:
                return Match.NO, f"{remote.ip} is in the except {ex} of {part.label}"
        if part.via:
            return Match.YES, f"{remote.ip} is in {part.via} ({part.net}), which matches {part.matches}"
        return Match.YES, f"{remote.ip} is in {part.label}"
    if part.kind == "hosts":
        if remote.host is None:
            return Match.NO, f"{remote} is not a node address ({part.label})"
        hit = remote.host.name in part.hosts
        return (Match.YES if hit else Match.NO), f"node {remote.host.name} vs {part.label}"
    if part.kind == "service":
        if flow.service is None:
            return Match.NO, f"the client did not address a Service ({part.label})"
        hit = (flow.service.namespace, flow.service.name) == part.service
        return (Match.YES if hit else Match.NO), f"addressed Service {flow.service.key} vs {part.label}"
    if part.kind == "unknown":
        return Match.MAYBE, f"{part.label}: whether {remote.ip} is one of its addresses is {part.unknown_why}"
    raise TypeError(f"unknown part kind {part.kind!r}")


def covering_part(res: Resolved, ep: Endpoint) -> Part | None:
    """The first pods or net part of ``res`` that ``ep`` is in (address conditions of a Calico
    EntityRule: which end of the flow they test is fixed, no Service or node is involved)."""
    if ep.is_pod and res.pods >> ep.pod.index & 1:
        for part in res.parts:
            if part.kind == "pods" and part.pods >> ep.pod.index & 1:
                return part
    if res.nets:
        addr = parse_ip(ep.ip)
        in_cluster = ep.pod is not None or ep.host is not None
        for part in res.nets:
            if part.covers_address(addr, in_cluster):
                return part
    return None


def covers(res: Resolved, ep: Endpoint) -> str:
    """Why ``ep`` is in ``res`` (see :func:`covering_part`), ``""`` when it is not."""
    part = covering_part(res, ep)
    if part is None:
        return ""
    if part.kind == "pods":
        return f"{ep.pod.key} matches {part.matches}" if part.matches else part.label
    if part.via:
        return f"{ep.ip} is in {part.via} ({part.net}), which matches {part.matches}"
    return f"{ep.ip} is in {part.net}"


def ports_match(ports: tuple[PortMatch, ...] | None, flow: Flow) -> tuple[Match, str]:
    """Whether the flow's protocol/ports are in the rule's list (``None`` = any)."""
    if ports is None:
        return Match.YES, "any protocol and port"
    maybe = None
    for pm in ports:
        m, why = _port_entry(pm, flow)
        if m is Match.YES:
            return m, why
        if m is Match.MAYBE:
            maybe = why
    if maybe:
        return Match.MAYBE, maybe
    return Match.NO, f"{flow.l4} is not in {', '.join(str(p) for p in ports) or 'an empty port list'}"


def _port_entry(pm: PortMatch, flow: Flow) -> tuple[Match, str]:
    if pm.protocol is None:  # a named port whose protocol is the container port's
        if flow.protocol == "ICMP":
            return Match.NO, ""
    elif pm.protocol != flow.protocol:
        return Match.NO, ""
    if flow.protocol == "ICMP":
        if pm.icmp_type is not None and pm.icmp_type != flow.icmp_type:
            return Match.NO, ""
        if pm.icmp_code is not None and pm.icmp_code != flow.icmp_code:
            return Match.NO, ""
        return Match.YES, f"{flow.l4} matches {pm}"
    if pm.named:
        dst_pod = flow.dst.pod
        port = dst_pod.named_port(pm.named, pm.protocol or flow.protocol) if dst_pod is not None else None
        if port is None or port != flow.port:
            return Match.NO, ""
    elif pm.port is not None:
        end = pm.end_port if pm.end_port is not None else pm.port
        if not pm.port <= (flow.port or 0) <= end:
            return Match.NO, ""
    if pm.src_port is not None:
        if flow.src_port is None:
            return Match.MAYBE, (f"the rule matches source ports {pm.src_port}-{pm.src_end_port or pm.src_port}; "
                                 f"the flow's source port is not given (use --source-port)")
        end = pm.src_end_port if pm.src_end_port is not None else pm.src_port
        if not pm.src_port <= flow.src_port <= end:
            return Match.NO, ""
    return Match.YES, f"{flow.l4} matches {pm}"


def rule_matches(cc: CompiledCluster, rule: Rule, flow: Flow) -> tuple[Match, str]:
    """Whether ``rule`` (already known to apply at its side's endpoint) matches ``flow``."""
    if rule.direction is Direction.EGRESS:
        remote, subject = flow.dst, flow.src
    else:
        remote, subject = flow.src, flow.dst
    subject_ns = subject.pod.namespace if subject.pod is not None else ""
    subject_node = subject.node_name
    peer_result, peer_why = Match.YES, "any address"
    if rule.peers is not None:
        peer_result, peer_why = Match.NO, f"{remote} is not in " + (
            "; ".join(str(p) for p in rule.peers) or "an empty peer list")
        for peer in rule.peers:
            m, why = peer_matches(cc, peer, remote, subject_ns, flow, subject_node)
            if m is Match.NO and len(rule.peers) == 1 and cc.resolve(peer, subject_ns, subject_node).says_why_not:
                peer_why = why
            if m is Match.YES:
                peer_result, peer_why = m, why
                break
            if m is Match.MAYBE:
                peer_result, peer_why = m, why
    if peer_result is Match.NO:
        side = "destination" if rule.direction is Direction.EGRESS else "source"
        return Match.NO, f"{side} does not match: {peer_why}"
    port_result, port_why = ports_match(rule.ports, flow)
    if port_result is Match.NO:
        return Match.NO, f"port does not match: {port_why}"
    reasons = [peer_why, port_why] if rule.peers is not None or rule.ports is not None else []
    if rule.l4 is not None:
        ok, why = l4_matches(rule.l4, flow)
        if not ok:
            return Match.NO, why
        reasons.append(why)
    maybe = ""
    for entity in rule.entities:
        m, why = entity_matches(cc, entity, flow)
        if m is Match.NO:
            return Match.NO, why
        if m is Match.MAYBE:
            maybe = why
        reasons.append(why)
    if Match.MAYBE in (peer_result, port_result) or maybe:
        return Match.MAYBE, maybe or (port_why if port_result is Match.MAYBE else peer_why)
    return Match.YES, "; ".join(r for r in reasons if r) or "matches everything"


CALICO_PROTOCOLS = {"TCP": "TCP", "UDP": "UDP", "SCTP": "SCTP", "ICMP": "ICMP"}


def l4_matches(l4: L4Match, flow: Flow) -> tuple[bool, str]:
    """Protocol, ICMP type/code and IP version conditions."""
    proto = flow.protocol
    family = parse_ip(flow.dst.ip).version
    if l4.ip_version is not None and l4.ip_version != family:
        return False, f"the rule is for IPv{l4.ip_version} only"
    if l4.protocol is not None and l4.protocol != proto:
        return False, f"protocol {proto} is not {l4.protocol}"
    if l4.not_protocol is not None and l4.not_protocol == proto:
        return False, f"protocol {proto} is excluded (notProtocol)"
    if l4.icmp is not None:
        t, c = l4.icmp
        if proto != "ICMP" or flow.icmp_type != t or (c is not None and flow.icmp_code != c):
            return False, f"{flow.l4} is not ICMP type {t}" + (f" code {c}" if c is not None else "")
    if l4.not_icmp is not None and proto == "ICMP":
        t, c = l4.not_icmp
        if flow.icmp_type == t and (c is None or flow.icmp_code == c):
            return False, f"{flow.l4} is excluded (notICMP)"
    parts = [f"protocol {l4.protocol}" if l4.protocol else "", f"not {l4.not_protocol}" if l4.not_protocol else ""]
    return True, " ".join(p for p in parts if p) or "any protocol"


def _port_in(ranges, port: int | None, pod, protocol: str) -> bool:
    for pr in ranges:
        if pr.name:
            if pod is not None and port is not None and pod.named_port(pr.name, protocol) == port:
                return True
        elif port is not None and pr.start <= port <= pr.end:
            return True
    return False


def entity_matches(cc: CompiledCluster, e: EntityMatch, flow: Flow) -> tuple[Match, str]:
    """One EntityRule (source or destination) against the matching end of the flow."""
    r = cc.resolve_entity(e)
    ep = flow.src if e.side == "source" else flow.dst
    port = flow.src_port if e.side == "source" else flow.port
    pod = ep.pod if ep.is_pod else None
    if r.nets is not None and not covers(r.nets, ep):
        return Match.NO, f"{e.side} {ep.ip} is in none of nets {', '.join(map(str, e.nets))}"
    if r.not_nets is not None:
        hit = covering_part(r.not_nets, ep)
        if hit is not None:
            return Match.NO, f"{e.side} {ep.ip} is in notNets {hit.net}"
    if r.selector is not None and not covers(r.selector, ep):
        return Match.NO, f"{e.side} {ep} does not match {e.selector}"
    if r.not_selector is not None:
        why_not = covers(r.not_selector, ep)
        if why_not:
            return Match.NO, f"{e.side} excluded by notSelector: {why_not}"
    if r.backends is not None:
        ns, name = e.service
        if ep.ip not in r.backends:
            return Match.NO, f"{e.side} {ep} is not an endpoint of Service {ns}/{name}"
        if e.side == "destination" and (ep.ip, flow.protocol, flow.port) not in r.backend_ports:
            return Match.NO, f"{flow.l4} is not a port of Service {ns}/{name}'s endpoints"
    if e.ports is not None or e.not_ports:
        if e.side == "source" and port is None:
            return Match.MAYBE, (f"the rule matches source ports ({', '.join(map(str, e.ports or e.not_ports))}); "
                                 f"the flow's source port is not given (use --source-port)")
        # a named port must be declared by an endpoint the side's selector selects
        named_pod = pod if r.selector is None or (pod is not None and covers(r.selector, ep)) else None
        if e.ports is not None and not _port_in(e.ports, port, named_pod, flow.protocol):
            return Match.NO, f"{e.side} port {port} is not in {', '.join(map(str, e.ports))}"
        if e.not_ports and _port_in(e.not_ports, port, named_pod, flow.protocol):
            return Match.NO, f"{e.side} port {port} is in notPorts"
    return Match.YES, f"{e.side} {ep} matches"
