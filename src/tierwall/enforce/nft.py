"""Compile a compiled cluster into an nftables ruleset with ``trace``'s semantics.

Shape (one table of tierwall's own; nothing else is touched):

* ``forward`` (hook forward): established/related first, then one rule per pod interface jumps
  to the source pod's egress chain (input interface) and one to the destination pod's ingress
  chain (output interface). Not a verdict map: a freshly swapped-in anonymous map was seen to
  miss under traffic, and a miss falls through to the accept policy. The per-packet cost grows
  with the pods on the node (tens to hundreds), not with how many policies the cluster has.
* Per pod and direction, the stage plan ``trace`` walks, rule by rule in order: peers are
  named interval sets, ports are matched per port entry. Allow ends the direction (egress:
  ``return`` to the ingress lookup; ingress: ``accept``), Drop drops, Reject answers with a TCP
  reset or ICMP admin-prohibited, Pass ``goto``s the chain that starts at its target stage,
  Log logs and goes on; a stage that isolates the pod ends in a counted drop; falling off the
  end is the default allow.
* Every verdict-giving rule has a counter and a comment naming tier, policy and rule (and
  isolation drops name their policies), so the kernel can say which rule it used.

* Calico's protocol/ICMP/IP-version conditions and EntityRules are ordinary L4/L3 matches
  (``conditions.py``); ``toServices`` matches the address the client dialled, which conntrack
  keeps after kube-proxy's DNAT (``ct original ip daddr``).

What nftables cannot express statically (FQDN peers, L7 rules, a Service whose ClusterIP
tierwall made up) is reported through ``unsupported`` and never fails open: a rule that only
allows is left out (the traffic falls to later rules), any other action is enforced as a drop
of everything its expressible conditions match (``docs/enforce.md``, "Failing closed"). Callers
refuse such a ruleset unless the user asked for a partial one.

Loading keeps the table, its base chain and its sets, and never changes a chain a packet may
be walking: a reload adds the new sets (a set is named by a hash of its content, so one that
exists already is left alone) and a new generation of per-pod chains (names suffixed ``_gN``),
then swaps the base chain's dispatch rules to them, all in one ``nft -f`` transaction; a second
transaction deletes the previous generation and the sets nothing uses any more. Measured in
the lab under traffic (``tests/lab/test_lab_failsafe.py``): re-creating the base chain let
blocked connections through, and so did flushing and refilling the per-pod chains in place
(1–4 of ~130,000 connects to a Rejected port over ~140 reloads, even when the ruleset did not
change); swapping only the dispatch rules let none through.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import json
import re
from dataclasses import dataclass, field

from ..engine import CompiledCluster
from ..inventory import Pod
from ..engine.resolve import Resolved
from ..model import Action, Direction, NoMatch, PortMatch, Rule
from .conditions import Alternatives, EntityCompiler, l4_conditions
from .nftsyntax import PREFIX_BYTES, check_ifname, check_table, quoted

TABLE_PREFIX = "tierwall"
BASE_CHAIN = "type filter hook forward priority filter; policy accept;"
SET_TYPE = "type ipv4_addr; flags interval;"


@dataclass
class Ruleset:
    table: str
    text: str
    unsupported: list[str] = field(default_factory=list)
    """One line per rule that could not be compiled as written (each rule once)."""
    rules: int = 0
    sets: int = 0
    chain_names: list[str] = field(default_factory=list)
    set_names: list[str] = field(default_factory=list)
    set_lines: dict[str, str] = field(default_factory=dict)
    """Declaration (with elements) of each named set, by name."""
    body: str = ""
    """The chains, as they go into the table after the sets."""

    @property
    def partial(self) -> bool:
        return bool(self.unsupported)

    def reload_texts(self, existing: dict[str, set[str]]) -> tuple[str, str]:
        """(swap, cleanup) for a table whose chains and sets are ``existing`` (``{"chain": names,
        "set": names}`` as :func:`table_objects` lists them). ``swap`` adds the missing sets and
        a new generation of chains and replaces the base chain's rules (one transaction);
        ``cleanup`` deletes the previous chains and unused sets once no rule refers to them."""
        chains = existing.get("chain", set()) - {"forward"}
        kept = existing.get("set", set())
        new_sets = [line for name, line in self.set_lines.items() if name not in kept]
        if not self.body or "forward" not in existing.get("chain", set()):
            return self.text, ""
        generation = 1 + max((int(m.group(1)) for c in chains if (m := _GEN.search(c))), default=0)
        body = _rename(self.body, self.chain_names, f"_g{generation}")
        body = body.replace(f"  chain forward {{\n    {BASE_CHAIN}\n", "  chain forward {\n", 1)
        swap = (f"flush chain inet {self.table} forward\n"
                f"table inet {self.table} {{\n" + "\n".join([*new_sets, body]) + "\n}\n")
        cleanup = "".join(f"delete chain inet {self.table} {c}\n" for c in sorted(chains))
        cleanup += "".join(f"delete set inet {self.table} {n}\n" for n in sorted(kept - set(self.set_names)))
        return swap, cleanup


_GEN = re.compile(r"_g(\d+)$")


def _rename(body: str, names: list[str], suffix: str) -> str:
    """Every per-pod chain name in ``body`` with ``suffix`` appended (whole names only)."""
    names = [n for n in names if n != "forward"]
    if not names:
        return body
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                         + r")(?![\w])")
    return pattern.sub(lambda m: m.group(1) + suffix, body)


def table_objects(listing_json: str) -> dict[str, set[str]]:
    """Chain and set names in ``nft -j list table`` output (empty when the table is absent)."""
    out: dict[str, set[str]] = {"chain": set(), "set": set()}
    if not listing_json.strip():
        return out
    for item in json.loads(listing_json).get("nftables", []):
        for kind in ("chain", "set"):
            if kind in item:
                out[kind].add(item[kind]["name"])
    return out


def _frame(table: str, set_lines: list[str], body: str) -> str:
    """Create-if-missing (table, base chain), flush the rules, add the sets given, refill the
    chains: one transaction in ``nft -f``. ``flush table`` empties chains, not sets."""
    content = "\n".join([*set_lines, body]) if body else "\n".join(set_lines)
    return (f"table inet {table} {{\n  chain forward {{ {BASE_CHAIN} }}\n}}\n"
            f"flush table inet {table}\n"
            f"table inet {table} {{\n{content}\n}}\n")


def blocking_ruleset(table: str = TABLE_PREFIX) -> Ruleset:
    """A ruleset that forwards nothing: what the lab loads before any interface comes up."""
    check_table(table)
    body = (f"  chain forward {{\n    {BASE_CHAIN}\n"
            f"    counter drop comment {quoted('tierwall: no ruleset loaded yet')}\n  }}")
    return Ruleset(table, _frame(table, [], body), rules=1, body=body)


_POSITIVE_PROTO = re.compile(r"meta l4proto (\w+)")


def _conjunction(parts: tuple[str, ...]) -> str:
    """Match expressions joined into one rule, each ``meta l4proto X`` stated once."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        proto = _POSITIVE_PROTO.match(part)
        if proto and proto.group(0) in out:
            part = part[proto.end():].strip()
        if part:
            out.append(part)
    return " ".join(out)


class _Compiler:
    def __init__(self, cc: CompiledCluster, pods: list[Pod], iface: dict[str, str], table: str, log: bool = False):
        self.cc, self.pods, self.iface, self.table, self.log = cc, pods, iface, table, log
        self.sets: dict[tuple, str | None] = {}
        self.by_content: dict[tuple[str, ...], str] = {}
        self.set_lines: dict[str, str] = {}
        self.chains: list[str] = []
        self.chain_names: list[str] = []
        self.unsupported: dict[tuple, str] = {}
        self.rule_count = 0
        self.entities = EntityCompiler(cc, self.address_set, self._addresses)

    # --- address sets ----------------------------------------------------------------------
    def _addresses(self, res: Resolved) -> list[str] | None:
        """IPv4 intervals of a resolved peer's pods, nodes and nets (``None``: not expressible
        as addresses, e.g. an FQDN); its Service parts are matched apart (``_peer_alternatives``)."""
        if res.unknown:
            return None
        inv = self.cc.inv
        out = [p.ip for p in inv.pods if res.pods >> p.index & 1 and ":" not in p.ip] if res.pods else []
        out += [a for name in sorted(res.hosts) for a in inv.nodes[name].addresses if ":" not in a]
        for part in res.nets:
            if part.net.version != 4:
                continue
            nets = part.addresses()
            if part.outside_only:
                nets = _without(nets, self._in_cluster())
            out += [str(n) for n in ipaddress.collapse_addresses(nets)]
        return out

    def _in_cluster(self) -> list[ipaddress.IPv4Address]:
        """Every pod and node IPv4 address: what an outside-the-cluster CIDR must leave out."""
        inv = self.cc.inv
        ips = {p.ip for p in inv.pods if p.ips} | {a for n in inv.nodes.values() for a in n.addresses}
        return sorted(ipaddress.ip_address(a) for a in ips if a and ":" not in a)

    def address_set(self, addresses: list[str]) -> str:
        """The named interval set holding ``addresses`` (one set per distinct content: policies
        repeat the same peers a lot)."""
        nets = tuple(sorted({str(n) for n in ipaddress.collapse_addresses(ipaddress.ip_network(a) for a in addresses)},
                            key=lambda t: ipaddress.ip_network(t)))
        name = self.by_content.get(nets)
        if name is None:
            digest = hashlib.sha256(",".join(nets).encode()).hexdigest()[:20]
            name = self.by_content[nets] = f"s_{digest}"  # content-named: a reload never refills a set
            elements = f" elements = {{ {', '.join(nets)} }}" if nets else ""
            self.set_lines[name] = f"  set {name} {{ {SET_TYPE}{elements} }}"
        return name

    def _resolved(self, rule: Rule, pod: Pod) -> list[Resolved]:
        return [self.cc.resolve(p, pod.namespace, pod.node) for p in rule.peers]

    def set_for(self, resolved: list[Resolved], rule: Rule, pod: Pod) -> str | None:
        """The address set of a rule's (non-Service) peers seen from ``pod``; one per rule, and
        per namespace / node only for peers relative to them."""
        flags = [self.cc.relativity(p) for p in rule.peers]
        key = (id(rule), pod.namespace if any(ns for ns, _ in flags) else "",
               pod.node if any(node for _, node in flags) else "")
        if key not in self.sets:
            parts = [self._addresses(r) for r in resolved]
            self.sets[key] = None if any(a is None for a in parts) else self.address_set([a for p in parts for a in p])
        return self.sets[key]

    def _service_vips(self, service: tuple[str, str]) -> list[str] | None:
        """The ClusterIPs a client dials for the Service (``None``: tierwall made them up)."""
        svc = self.cc.inv.service(f"{service[0]}/{service[1]}")
        if svc is None or svc.headless:
            return []
        if svc.ip_assigned:
            return None
        return [ip for ip in svc.cluster_ips if ":" not in ip]

    def _peer_alternatives(self, rule: Rule, pod: Pod) -> tuple[Alternatives | None, str]:
        resolved = self._resolved(rule, pod)
        services = sorted({s for r in resolved for s in r.services})
        alts: Alternatives = []
        if any(not r.parts or any(p.kind != "service" for p in r.parts) for r in resolved):
            name = self.set_for(resolved, rule, pod)
            if name is None:
                return None, "an FQDN peer (its addresses are only known from DNS at run time)"
            alts.append(f"ip {'daddr' if rule.direction is Direction.EGRESS else 'saddr'} @{name}")
        if services:
            vips = [self._service_vips(s) for s in services]
            if any(v is None for v in vips):
                return None, "toServices to a Service whose ClusterIP tierwall made up (give spec.clusterIP)"
            addresses = [a for v in vips for a in v]
            if addresses:  # the address the client dialled, before kube-proxy's DNAT
                alts.append(f"ct original ip daddr @{self.address_set(addresses)}")
        return alts, ""

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

    def conditions(self, rule: Rule, pod: Pod) -> tuple[list[Alternatives], list[str]]:
        """Every condition of the rule as alternatives, and what could not be expressed."""
        conds: list[Alternatives] = []
        missing = [rule.undecidable] if rule.undecidable else []
        if rule.peers is not None:
            alts, why = self._peer_alternatives(rule, pod)
            if alts is None:
                missing.append(why)
            else:
                conds.append(alts)
        if rule.ports is not None:
            conds.append([m for pm in rule.ports for m in self._port_matches(pm, rule, pod)])
        if rule.l4 is not None:
            conds += l4_conditions(rule.l4)
        protocol = rule.l4.protocol if rule.l4 is not None else None
        for entity in rule.entities:
            conds += self.entities.conditions(entity, protocol)
        return conds, missing

    def _comment(self, rule: Rule, closed: bool) -> str:
        stage = self.cc.model.stage(rule.stage).name.split(":", 1)[-1]
        name = f' "{rule.name}"' if rule.name else ""
        suffix = "|fail-closed" if closed else ""
        return f"{stage}|{rule.policy.ref}|{rule.direction.value} rule {rule.index}{name}|{rule.action.value}{suffix}"

    def _log_prefix(self, rule: Rule) -> str:
        """A kernel log prefix naming the rule (the kernel keeps 127 bytes)."""
        stage = rule.stage.split(":", 1)[-1]
        return f"tw {stage} {rule.policy.ref} {rule.direction.value[0]}{rule.index} {rule.action.value}: "

    def _omit(self, rule: Rule, missing: list[str], action: Action) -> None:
        how = ("left out: it only allows, so without it the traffic meets the rules after it" if action is Action.ALLOW
               else "left out: it only logs" if action is Action.LOG
               else "enforced as a drop of everything its other conditions match (fails closed)")
        self.unsupported.setdefault((rule.policy.ref, rule.direction, rule.index, rule.stage),
                                    f"{rule.policy.ref} {rule.label}: {'; '.join(missing)} cannot be compiled "
                                    f"to nftables; {how}")

    def rule_lines(self, rule: Rule, pod: Pod, pass_chain: str | None) -> list[str]:
        conds, missing = self.conditions(rule, pod)
        action = rule.action
        if missing:
            self._omit(rule, missing, action)
            if action in (Action.ALLOW, Action.LOG):
                return []
            action = Action.REJECT if action is Action.REJECT else Action.DROP
        if any(not alts for alts in conds):
            return []  # a condition no packet meets (e.g. only named ports nobody declares)
        matches = [_conjunction(combo) for combo in itertools.product(*conds)]
        comment = f"comment {quoted(self._comment(rule, bool(missing)))}"
        logged = f"log prefix {quoted(self._log_prefix(rule), PREFIX_BYTES)} " if self.log and action is not Action.LOG \
            else ""
        if action is Action.ALLOW:
            verdicts = ["return" if rule.direction is Direction.EGRESS else "accept"]
        elif action is Action.DROP:
            verdicts = ["drop"]
        elif action is Action.REJECT:
            verdicts = ["reject with tcp reset", "reject with icmpx type admin-prohibited"]
        elif action is Action.PASS:
            verdicts = [f"goto {pass_chain}" if pass_chain else "return"]
        else:  # LOG
            verdicts = [f"log prefix {quoted('tierwall ' + rule.policy.ref + ' ', PREFIX_BYTES)}"]
        out = []
        for m in matches:
            proto = _POSITIVE_PROTO.search(m)
            for v in verdicts:
                guard = ""
                if v == "reject with tcp reset":
                    if proto and proto.group(1) != "tcp":
                        continue
                    guard = "" if proto else "meta l4proto tcp "
                out.append(f"    {guard}{m + ' ' if m else ''}counter {logged}{v} {comment}")
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
            self.chain_names.append(f"{prefix}_{start}")
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
                    logged = f"log prefix {quoted(f'tw {what} {names}: ', PREFIX_BYTES)} " if self.log else ""
                    lines.append(f"    counter {logged}drop comment {quoted(f'{what}|{names}')}")
                    self.rule_count += 1
                    break
            if direction is Direction.INGRESS:
                lines.append(f"    accept comment {quoted('default|allow')}")
            lines.append("  }")
            self.chains.append("\n".join(lines))
        return f"{prefix}_0"

    def build(self) -> Ruleset:
        egress_map, ingress_map = [], []
        for pod in self.pods:
            iface = quoted(check_ifname(self.iface[pod.key], f"interface of {pod.key}"))
            egress_map.append(f"{iface} : jump {self.chains_for(pod, Direction.EGRESS)}")
            ingress_map.append(f"{iface} : jump {self.chains_for(pod, Direction.INGRESS)}")
        forward = ["  chain forward {", f"    {BASE_CHAIN}",
                   "    ct state established,related accept", "    ct state invalid drop"]
        # one rule per interface, no verdict map: a dispatch that misses would fall through to the
        # base chain's accept, and a freshly created anonymous map was seen to miss while a
        # reload swapped it in (tests/lab/test_lab_failsafe.py)
        for entry in egress_map:
            iface, _, verdict = entry.partition(" : ")
            forward.append(f"    iifname {iface} {verdict}")
        for entry in ingress_map:
            iface, _, verdict = entry.partition(" : ")
            forward.append(f"    oifname {iface} {verdict}")
        forward.append("  }")
        body = "\n".join(self.chains + ["\n".join(forward)])
        set_names = list(self.by_content.values())
        return Ruleset(self.table, _frame(self.table, list(self.set_lines.values()), body),
                       list(self.unsupported.values()), self.rule_count, len(self.by_content), self.chain_names,
                       set_names, dict(self.set_lines), body)


def compile_ruleset(cc: CompiledCluster, iface: dict[str, str], pods: list[Pod] | None = None,
                    table: str = TABLE_PREFIX, log: bool = False) -> Ruleset:
    """The ruleset for ``pods`` (default: every pod with an IPv4 address, no hostNetwork), whose
    interfaces on the forwarding node are ``iface[pod.key]`` (validated: they reach nft).

    ``nft -f`` applies the text as one transaction: the previous ruleset stays in force until
    the new one is complete, or stays entirely when nft refuses the new one.
    """
    check_table(table)
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
