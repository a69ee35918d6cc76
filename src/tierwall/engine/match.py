"""Does a rule match a flow? Three answers: yes, no, or "cannot be known statically".

Each test also says *why* in words, so that ``trace`` can explain every rule it skipped.
"""

from __future__ import annotations

import ipaddress
from enum import Enum

from ..model import (Direction, FQDNPeer, GroupPeer, IPBlockPeer, NodePeer, NothingPeer, Peer, PodPeer,
                     PortMatch, Rule, ServicePeer)
from .compile import CompiledCluster
from .flow import Endpoint, Flow


class Match(str, Enum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


def peer_matches(cc: CompiledCluster, peer: Peer, remote: Endpoint, subject_ns: str,
                 flow: Flow) -> tuple[Match, str]:
    """Whether ``remote`` (the other end, seen from the endpoint the rule is applied to) is in ``peer``."""
    if isinstance(peer, PodPeer):
        if not remote.is_pod:
            return Match.NO, f"{remote} is not a pod ({peer})"
        hit = cc.pod_bits(peer, subject_ns) >> remote.pod.index & 1
        return (Match.YES if hit else Match.NO), f"{peer}"
    if isinstance(peer, IPBlockPeer):
        addr = ipaddress.ip_address(remote.ip)
        if addr.version != peer.cidr.version or addr not in peer.cidr:
            return Match.NO, f"{remote.ip} is outside {peer.cidr}"
        for ex in peer.excepts:
            if addr in ex:
                return Match.NO, f"{remote.ip} is in the except {ex} of {peer}"
        return Match.YES, f"{remote.ip} is in {peer}"
    if isinstance(peer, NodePeer):
        if remote.host is None:
            return Match.NO, f"{remote} is not a node address ({peer})"
        hit = peer.nodes.matches(remote.host.labels)
        return (Match.YES if hit else Match.NO), f"node {remote.host.name} vs {peer}"
    if isinstance(peer, ServicePeer):
        if flow.service is None:
            return Match.NO, f"the client did not address a Service ({peer})"
        hit = (flow.service.namespace, flow.service.name) == (peer.namespace, peer.name)
        return (Match.YES if hit else Match.NO), f"addressed Service {flow.service.key} vs {peer}"
    if isinstance(peer, FQDNPeer):
        return Match.MAYBE, f"{peer}: whether {remote.ip} is one of its addresses is only known from DNS at run time"
    if isinstance(peer, NothingPeer):
        return Match.NO, str(peer)
    if isinstance(peer, GroupPeer):
        maybe = None
        for member in peer.members:
            m, why = peer_matches(cc, member, remote, subject_ns, flow)
            if m is Match.YES:
                return m, f"{peer}: {why}"
            if m is Match.MAYBE:
                maybe = why
        if maybe:
            return Match.MAYBE, f"{peer}: {maybe}"
        return Match.NO, f"{remote} is not a member of {peer}"
    raise TypeError(f"unknown peer {peer!r}")


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
    peer_result, peer_why = Match.YES, "any address"
    if rule.peers is not None:
        peer_result, peer_why = Match.NO, f"{remote} is not in " + (
            "; ".join(str(p) for p in rule.peers) or "an empty peer list")
        for peer in rule.peers:
            m, why = peer_matches(cc, peer, remote, subject_ns, flow)
            if m is Match.NO and len(rule.peers) == 1 and not isinstance(peer, PodPeer):
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
    if Match.MAYBE in (peer_result, port_result):
        return Match.MAYBE, port_why if port_result is Match.MAYBE else peer_why
    return Match.YES, f"{peer_why}; {port_why}"
