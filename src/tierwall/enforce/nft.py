"""Compile a compiled cluster into an nftables ruleset with ``trace``'s semantics.

Shape (one table of tierwall's own; nothing else is touched):

* ``forward`` (hook forward): established/related first, then a verdict map on the input
  interface jumps to the source pod's egress chain, and one on the output interface to the
  destination pod's ingress chain. Dispatch is a map lookup, so the per-packet cost depends on
  the rules that apply to the two pods, not on how many policies the cluster has.
* Per pod and direction, the stage plan ``trace`` walks, rule by rule in order: peers are
  named interval sets, ports are matched per port entry. Allow ends the direction (egress:
  ``return`` to the ingress lookup; ingress: ``accept``), Drop drops, Reject answers with a TCP
  reset or ICMP admin-prohibited, Pass ``goto``s the chain that starts at its target stage,
  Log logs and goes on; a stage that isolates the pod ends in a counted drop; falling off the
  end is the default allow.
* Every verdict-giving rule has a counter and a comment naming tier, policy and rule (and
  isolation drops name their policies), so the kernel can say which rule it used.

What nftables cannot express statically (FQDN peers, L7 rules, Calico entity rules, toServices
outside a DNAT path) is reported through ``unsupported`` instead of being dropped silently.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..engine import CompiledCluster
from ..inventory import Pod
from ..model import (Action, Direction, FQDNPeer, GroupPeer, IPBlockPeer, NodePeer, NoMatch, NothingPeer, Peer,
                     PodPeer, PortMatch, Rule, SelectorPeer, ServicePeer)

TABLE_PREFIX = "tierwall"
COMMENT_MAX = 120


@dataclass
class Ruleset:
    table: str
    text: str
    unsupported: list[str] = field(default_factory=list)
    rules: int = 0
    sets: int = 0


def _q(text: str) -> str:
    return '"' + text.replace('"', "'")[:COMMENT_MAX] + '"'


class _Compiler:
    def __init__(self, cc: CompiledCluster, pods: list[Pod], iface: dict[str, str], table: str, log: bool = False):
        self.cc, self.pods, self.iface, self.table, self.log = cc, pods, iface, table, log
        self.sets: dict[tuple, str] = {}
        self.by_content: dict[tuple[str, ...], str] = {}
        self.set_lines: list[str] = []
        self.chains: list[str] = []
        self.unsupported: list[str] = []
        self.rule_count = 0

    # --- address sets ----------------------------------------------------------------------
    def _addresses(self, peer: Peer, subject_ns: str, subject_node: str = "") -> list[str] | None:
        """IPv4 intervals for a peer (``None``: not expressible)."""
        cc = self.cc
        if isinstance(peer, PodPeer):
            bits = cc.pod_bits(peer, subject_ns)
            return [p.ip for p in cc.inv.pods if bits >> p.index & 1 and ":" not in p.ip]
        if isinstance(peer, IPBlockPeer):
            if peer.cidr.version != 4:
                return []
            nets = [peer.cidr]
            for ex in peer.excepts:
                nets = [n2 for n in nets for n2 in (n.address_exclude(ex) if ex.subnet_of(n) else [n])]
            if peer.outside_cluster:
                nets = _without(nets, self._in_cluster())
            return [str(n) for n in ipaddress.collapse_addresses(nets)]
        if isinstance(peer, NodePeer):
            return [a for n in cc.inv.nodes.values() if peer.nodes.matches(n.labels)
                    and peer.covers(n.name, subject_node) for a in n.addresses if ":" not in a]
        if isinstance(peer, SelectorPeer):
            bits = cc.expr_bits(peer.selector)
            out = [p.ip for p in cc.inv.pods if bits >> p.index & 1 and ":" not in p.ip]
            return out + [str(n) for a in cc.expr_address_sets(peer.selector) for n in a.nets if n.version == 4]
        if isinstance(peer, NothingPeer):
            return []
        if isinstance(peer, GroupPeer):
            return self._union(peer.members, subject_ns, subject_node)
        return None  # ServicePeer, FQDNPeer

    def _in_cluster(self) -> list[ipaddress.IPv4Address]:
        """Every pod and node IPv4 address: what an outside-the-cluster CIDR must leave out."""
        inv = self.cc.inv
        ips = {p.ip for p in inv.pods if p.ips} | {a for n in inv.nodes.values() for a in n.addresses}
        return sorted(ipaddress.ip_address(a) for a in ips if a and ":" not in a)

    def _union(self, peers, subject_ns: str, subject_node: str = "") -> list[str] | None:
        out: list[str] = []
        for peer in peers:
            sub = self._addresses(peer, subject_ns, subject_node)
            if sub is None:
                return None
            out += sub
        return out

    def set_for(self, rule: Rule, subject_ns: str, subject_node: str = "") -> str | None:
        relative = any(isinstance(p, PodPeer) and p.namespaces.relative for p in rule.peers)
        node_relative = any(isinstance(p, NodePeer) and p.relative for p in rule.peers)
        key = (id(rule), subject_ns if relative else "", subject_node if node_relative else "")
        if key in self.sets:
            return self.sets[key]
        addresses = self._union(rule.peers, subject_ns, subject_node)
        if addresses is None:
            return None
        nets = tuple(sorted({str(n) for n in ipaddress.collapse_addresses(ipaddress.ip_network(a) for a in addresses)},
                            key=lambda t: ipaddress.ip_network(t)))
        name = self.by_content.get(nets)
        if name is None:  # one set per distinct content: policies repeat the same peers a lot
            name = self.by_content[nets] = f"s{len(self.by_content)}"
            elements = f" elements = {{ {', '.join(nets)} }}" if nets else ""
            self.set_lines.append(f"  set {name} {{ type ipv4_addr; flags interval;{elements} }}")
        self.sets[key] = name
        return name

    # --- rules ------------------------------------------------------------------------------
    def _port_matches(self, pm: PortMatch, rule: Rule, pod: Pod) -> list[str]:
        """nft match expressions for one port entry (several when a named port resolves to
        different numbers on different destination pods)."""
        if pm.protocol == "ICMP":
            out = "meta l4proto icmp"
            if pm.icmp_type is not None:
                out += f" icmp type {pm.icmp_type}"
            if pm.icmp_code is not None:
                out += f" icmp code {pm.icmp_code}"
            return [out]
        if pm.protocol not in (None, "TCP", "UDP", "SCTP"):
            return []
        protos = [pm.protocol.lower()] if pm.protocol else ["tcp", "udp", "sctp"]
        src = ""
        if pm.src_port is not None:
            end = pm.src_end_port if pm.src_end_port is not None else pm.src_port
            src = f" th sport {pm.src_port}" + (f"-{end}" if end != pm.src_port else "")
        out = []
        for proto in protos:
            if pm.named:
                if rule.direction is Direction.INGRESS:
                    num = pod.named_port(pm.named, proto.upper())
                    if num is not None:
                        out.append(f"meta l4proto {proto} th dport {num}{src}")
                else:
                    pairs = sorted({(p.ip, p.named_port(pm.named, proto.upper())) for p in self.cc.inv.pods
                                    if p.ips and ":" not in p.ip and p.named_port(pm.named, proto.upper())})
                    if pairs:
                        elems = ", ".join(f"{ip} . {port}" for ip, port in pairs)
                        out.append(f"meta l4proto {proto} ip daddr . th dport {{ {elems} }}{src}")
            elif pm.port is None:
                out.append(f"meta l4proto {proto}{src}")
            else:
                end = pm.end_port if pm.end_port is not None else pm.port
                rng = str(pm.port) if end == pm.port else f"{pm.port}-{end}"
                out.append(f"meta l4proto {proto} th dport {rng}{src}")
        return out

    def _comment(self, rule: Rule) -> str:
        stage = self.cc.model.stage(rule.stage).name.split(":", 1)[-1]
        name = f' "{rule.name}"' if rule.name else ""
        return f"{stage}|{rule.policy.ref}|{rule.direction.value} rule {rule.index}{name}|{rule.action.value}"

    def _log_prefix(self, rule: Rule) -> str:
        """A kernel log prefix naming the rule (nf_log keeps 127 bytes)."""
        stage = rule.stage.split(":", 1)[-1]
        return f"tw {stage} {rule.policy.ref} {rule.direction.value[0]}{rule.index} {rule.action.value}: "[-100:]

    def rule_lines(self, rule: Rule, pod: Pod, pass_chain: str | None) -> list[str]:
        where = f"{rule.policy.ref} {rule.label}"
        if rule.undecidable or rule.entities or rule.l4 is not None:
            self.unsupported.append(f"{where}: {rule.undecidable or 'Calico entity/L4 conditions'} cannot be "
                                    f"compiled to nftables; the rule is left out")
            return []
        addr = ""
        if rule.peers is not None:
            if any(isinstance(p, (ServicePeer, FQDNPeer)) for p in rule.peers):
                kind = "toServices" if any(isinstance(p, ServicePeer) for p in rule.peers) else "an FQDN peer"
                self.unsupported.append(f"{where}: {kind} is not expressible without the Service DNAT / DNS "
                                        f"path; the rule is left out")
                return []
            name = self.set_for(rule, pod.namespace, pod.node)
            direction = "daddr" if rule.direction is Direction.EGRESS else "saddr"
            addr = f"ip {direction} @{name} "
        matches = [""] if rule.ports is None else [m + " " for pm in rule.ports for m in self._port_matches(pm, rule, pod)]
        if not matches:
            return []  # no port entry can match (e.g. only named ports nobody declares)
        comment = f"comment {_q(self._comment(rule))}"
        logged = f"log prefix {_q(self._log_prefix(rule))} " if self.log and rule.action is not Action.LOG else ""
        if rule.action is Action.ALLOW:
            verdicts = ["return" if rule.direction is Direction.EGRESS else "accept"]
        elif rule.action is Action.DROP:
            verdicts = ["drop"]
        elif rule.action is Action.REJECT:
            verdicts = ["reject with tcp reset", "reject with icmpx type admin-prohibited"]
        elif rule.action is Action.PASS:
            verdicts = [f"goto {pass_chain}" if pass_chain else "return"]
        else:  # LOG
            verdicts = [f"log prefix {_q('tierwall ' + rule.policy.ref[:40] + ' ')}"]
        out = []
        for m in matches:
            for v in verdicts:
                guard = "meta l4proto tcp " if v == "reject with tcp reset" else ""
                if v == "reject with tcp reset" and "meta l4proto" in m and "meta l4proto tcp" not in m:
                    continue
                out.append(f"    {guard}{addr}{m}counter {logged}{v} {comment}")
        self.rule_count += len(out)
        return out

    def chains_for(self, pod: Pod, direction: Direction) -> str:
        plan = self.cc.plan(pod, direction)
        prefix = f"{'e' if direction is Direction.EGRESS else 'i'}{pod.index}"
        starts = {0}
        index_of = {sp.stage.name: i for i, sp in enumerate(plan)}
        for sp in plan:
            if any(r.action is Action.PASS for r in sp.rules):
                starts.add(index_of.get(sp.stage.pass_to, len(plan) - 1))
        for start in sorted(starts):
            lines = [f"  chain {prefix}_{start} {{"]
            for i in range(start, len(plan)):
                sp = plan[i]
                if sp.stage.default_verdict is not None:
                    break
                target = index_of.get(sp.stage.pass_to, len(plan) - 1) if sp.stage.pass_to else None
                pass_chain = f"{prefix}_{target}" if target is not None else None
                for rule in sp.rules:
                    lines += self.rule_lines(rule, pod, pass_chain)
                if sp.stage.no_match is NoMatch.DROP_IF_SELECTED and sp.isolating:
                    names = ",".join(p.ref.ref for p in sp.isolating)
                    what = "end-of-tier" if sp.stage.end_of_tier else "isolation"
                    logged = f"log prefix {_q(f'tw {what} {names}: '[-100:])} " if self.log else ""
                    lines.append(f"    counter {logged}drop comment {_q(f'{what}|{names}')}")
                    self.rule_count += 1
                    break
            if direction is Direction.INGRESS:
                lines.append(f"    accept comment {_q('default|allow')}")
            lines.append("  }")
            self.chains.append("\n".join(lines))
        return f"{prefix}_0"

    def build(self) -> Ruleset:
        egress_map, ingress_map = [], []
        for pod in self.pods:
            iface = self.iface[pod.key]
            egress_map.append(f'"{iface}" : jump {self.chains_for(pod, Direction.EGRESS)}')
            ingress_map.append(f'"{iface}" : jump {self.chains_for(pod, Direction.INGRESS)}')
        forward = ["  chain forward {", "    type filter hook forward priority filter; policy accept;",
                   "    ct state established,related accept", "    ct state invalid drop"]
        if egress_map:
            forward.append(f"    iifname vmap {{ {', '.join(egress_map)} }}")
            forward.append(f"    oifname vmap {{ {', '.join(ingress_map)} }}")
        forward.append("  }")
        body = "\n".join(self.set_lines + self.chains + ["\n".join(forward)])
        text = (f"table inet {self.table}\ndelete table inet {self.table}\n"
                f"table inet {self.table} {{\n{body}\n}}\n")
        return Ruleset(self.table, text, self.unsupported, self.rule_count, len(self.by_content))


def compile_ruleset(cc: CompiledCluster, iface: dict[str, str], pods: list[Pod] | None = None,
                    table: str = TABLE_PREFIX, log: bool = False) -> Ruleset:
    """The ruleset for ``pods`` (default: every pod with an IPv4 address, no hostNetwork), whose
    interfaces on the forwarding node are ``iface[pod.key]``.

    The text first declares and deletes the table, then declares it whole: ``nft -f`` applies it
    as one transaction, replacing the previous ruleset atomically or not at all.
    """
    chosen = pods if pods is not None else [p for p in cc.inv.pods if p.ips and not p.host_network
                                            and ":" not in p.ip and p.key in iface]
    return _Compiler(cc, chosen, iface, table, log).build()


def _without(nets: list, addresses: list) -> list:
    """IPv4 ``nets`` minus the single ``addresses`` (sorted), as CIDRs."""
    out = []
    for net in nets:
        if net.version != 4:
            continue
        start = int(net.network_address)
        inside = [a for a in addresses if a in net]
        for addr in inside:
            if int(addr) > start:
                out += ipaddress.summarize_address_range(ipaddress.IPv4Address(start), ipaddress.IPv4Address(int(addr) - 1))
            start = int(addr) + 1
        if start <= int(net.broadcast_address):
            out += ipaddress.summarize_address_range(ipaddress.IPv4Address(start), net.broadcast_address)
    return out
