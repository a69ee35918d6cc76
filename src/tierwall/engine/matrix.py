"""The connectivity matrix: the vectorised form of the pipeline ``trace`` walks.

1. Endpoints (pods, and chosen external addresses) are grouped into equivalence classes:
   endpoints that every peer, selector, ipBlock, named port and appliedTo treats alike get the
   same verdict in every cell, so one representative decides for all (``_classes``).
2. For each class as subject and each direction, the same ordered stage plan ``trace`` uses is
   walked once with numpy arrays over (port class × remote class): first match decides, Pass
   jumps, a stage's end drops for isolating policies, the default allows (``_walk``).
3. Egress at the source and ingress at the destination combine per cell exactly as in
   ``trace_flow``; pod-level exceptions (a pod to itself, node-local host traffic) are applied
   when cells are read.

Rules with Calico entity or L4 conditions are evaluated per representative pair with the
scalar matcher (correct, slower); all other rules are fully vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..addresses import parse_ip
from ..model import (Action, Direction, FQDNPeer, GroupPeer, IPBlockPeer, NodePeer, NoMatch, NothingPeer, Peer,
                     PodPeer, PortMatch, Rule, SelectorPeer, ServicePeer, Verdict)
from .compile import CompiledCluster
from .flow import Endpoint, Flow, endpoint_for_ip, endpoint_for_pod, service_endpoints
from .match import Match, rule_matches
from .portclasses import PortClass, default_port_classes

UNDECIDED, ALLOW, DROP, REJECT, UNKNOWN = 0, 1, 2, 3, 4
VERDICTS = {ALLOW: Verdict.ALLOW, DROP: Verdict.DROP, REJECT: Verdict.REJECT, UNKNOWN: Verdict.UNKNOWN}
CODE = {Action.ALLOW: ALLOW, Action.DROP: DROP, Action.REJECT: REJECT}


@dataclass
class MatrixResult:
    """Verdicts for every (source, port class, destination), stored per class pair."""

    cc: CompiledCluster
    endpoints: list[Endpoint]
    ports: list[PortClass]
    klass: np.ndarray
    """Class index of each endpoint."""
    reps: list[int]
    """Representative endpoint of each class."""
    codes: np.ndarray
    """(classes, ports, classes) int8 verdict codes, source class first."""
    overrides: dict[tuple[int, int], int] = field(default_factory=dict)
    """(source endpoint, destination endpoint) → code for every port class, where the class
    verdict does not hold (a pod to itself, node-local host traffic)."""

    @property
    def size(self) -> int:
        return len(self.endpoints)

    def code(self, i: int, j: int, a: int) -> int:
        override = self.overrides.get((i, j))
        if override is not None:
            return override
        return int(self.codes[self.klass[i], a, self.klass[j]])

    def verdict(self, i: int, j: int, a: int) -> Verdict:
        return VERDICTS[self.code(i, j, a)]

    def pod_codes(self, a: int, limit: int | None = None) -> np.ndarray:
        """The (endpoints × endpoints) verdict codes of one port class (the first ``limit``
        endpoints only, for views that show a corner of a large matrix)."""
        klass = self.klass if limit is None else self.klass[:limit]
        out = self.codes[:, a, :][klass][:, klass]
        for (i, j), code in self.overrides.items():
            if i < len(klass) and j < len(klass):
                out[i, j] = code
        return out

    def group_counts(self, group_of: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Per (source group, port class, destination group): allowed pairs and all pairs."""
        names = sorted(set(group_of))
        gi = np.array([names.index(g) for g in group_of])
        n_cls, n_groups = len(self.reps), len(names)
        member = np.zeros((n_groups, n_cls), dtype=np.float64)  # exact for counts below 2**53
        np.add.at(member, (gi, self.klass), 1)
        counts = np.empty((n_groups, len(self.ports), n_groups), dtype=np.int64)
        group_of_class = member.argmax(axis=0)
        sizes = member.sum(axis=0)
        if np.array_equal(member[group_of_class, np.arange(n_cls)], sizes):
            # every class lies inside one group (the usual case): sum class pairs into group
            # pairs with sorted reductions, O(classes²) per port instead of a dense product
            order = np.argsort(group_of_class, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(group_of_class[order]) != 0])
            present = group_of_class[order][starts]
            w = sizes[order].astype(np.int64)
            allowed_sorted = (self.codes == ALLOW)[order][:, :, order]
            for a in range(len(self.ports)):
                cell = allowed_sorted[:, a, :] * w[:, None] * w[None, :]
                reduced = np.add.reduceat(np.add.reduceat(cell, starts, axis=0), starts, axis=1)
                counts[:, a, :] = 0
                counts[np.ix_(present, [a], present)] = reduced[:, None, :]
        else:
            for a in range(len(self.ports)):
                allowed = (self.codes[:, a, :] == ALLOW).astype(np.float64)
                counts[:, a, :] = np.rint(member @ allowed @ member.T).astype(np.int64)
        pairs = np.rint(member.sum(axis=1)[:, None] * member.sum(axis=1)[None, :]).astype(np.int64)
        total = np.repeat(pairs[:, None, :], len(self.ports), axis=1)
        if self.overrides:  # cells whose pod verdict differs from their class verdict, all at once
            pairs_ij = np.array(list(self.overrides.keys()))
            codes = np.array(list(self.overrides.values()))
            src, dst = pairs_ij[:, 0], pairs_ij[:, 1]
            before = self.codes[self.klass[src], :, self.klass[dst]] == ALLOW  # (overrides, ports)
            delta = (codes == ALLOW)[:, None].astype(np.int64) - before.astype(np.int64)
            ports = np.arange(len(self.ports))[None, :]
            np.add.at(counts, (gi[src][:, None], ports, gi[dst][:, None]), delta)
        return names, counts, total


# --- peer membership vectors --------------------------------------------------------------------

class _Vectors:
    """Which endpoints each peer covers, as (yes, maybe) boolean vectors, computed once."""

    def __init__(self, cc: CompiledCluster, endpoints: list[Endpoint]):
        self.cc = cc
        self.endpoints = endpoints
        n = len(endpoints)
        self.n = n
        self.pod_index = np.array([e.pod.index if e.is_pod else -1 for e in endpoints])
        self.is_pod = self.pod_index >= 0
        v4 = [parse_ip(e.ip) for e in endpoints]
        self.v4_mask = np.array([a.version == 4 for a in v4], dtype=bool)
        self.v4_int = np.array([int(a) if a.version == 4 else 0 for a in v4], dtype=np.uint64)
        self.addresses = v4
        self.ns_index: dict[str, int] = {name: i for i, name in enumerate(cc.ns_names)}
        self.cache: dict[object, tuple[np.ndarray, np.ndarray]] = {}
        self.none = np.zeros(n, dtype=bool)

    def _pod_vector(self, bits: int) -> np.ndarray:
        n_pods = len(self.cc.inv.pods)
        raw = bits.to_bytes(max(1, (n_pods + 7) // 8), "little")
        by_pod = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:n_pods].astype(bool)
        out = np.zeros(self.n, dtype=bool)
        out[self.is_pod] = by_pod[self.pod_index[self.is_pod]]
        return out

    def _in_net(self, net) -> np.ndarray:
        if net.version == 4:
            lo, hi = int(net.network_address), int(net.broadcast_address)
            return self.v4_mask & (self.v4_int >= lo) & (self.v4_int <= hi)
        return np.array([a.version == 6 and a in net for a in self.addresses], dtype=bool)

    def peer(self, peer: Peer, subject_ns: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        relative = isinstance(peer, PodPeer) and peer.namespaces.relative
        key = (peer, subject_ns) if relative else peer
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        maybe = self.none
        if isinstance(peer, PodPeer):
            yes = self._pod_vector(self.cc.pod_bits(peer, subject_ns))
        elif isinstance(peer, IPBlockPeer):
            yes = self._in_net(peer.cidr)
            for ex in peer.excepts:
                yes = yes & ~self._in_net(ex)
        elif isinstance(peer, NodePeer):
            yes = np.array([e.host is not None and peer.nodes.matches(e.host.labels) for e in self.endpoints])
        elif isinstance(peer, SelectorPeer):
            yes = self._pod_vector(self.cc.expr_bits(peer.selector))
            for aset in self.cc.expr_address_sets(peer.selector):
                for net in aset.nets:
                    yes = yes | self._in_net(net)
        elif isinstance(peer, FQDNPeer):
            yes, maybe = self.none, np.ones(self.n, dtype=bool)
        elif isinstance(peer, (NothingPeer, ServicePeer)):
            yes = self.none  # a pod-to-pod flow never addresses a Service
        elif isinstance(peer, GroupPeer):
            yes, maybe = self.none, self.none
            for member in peer.members:
                y, m = self.peer(member, subject_ns)
                yes, maybe = yes | y, maybe | m
            maybe = maybe & ~yes
        else:  # pragma: no cover
            raise TypeError(peer)
        self.cache[key] = (yes, maybe)
        return yes, maybe

    def named_port(self, name: str, protocol: str | None, port_protocol: str) -> np.ndarray:
        """Per endpoint: the number of its container port ``name`` (0 when none)."""
        key = ("named", name, protocol or port_protocol)
        hit = self.cache.get(key)
        if hit is None:
            vals = np.array([(e.pod.named_port(name, protocol or port_protocol) or 0) if e.pod is not None else 0
                             for e in self.endpoints], dtype=np.int64)
            hit = (vals, vals)
            self.cache[key] = hit
        return hit[0]


def _rule_peers(rule: Rule) -> list[Peer]:
    out: list[Peer] = list(rule.peers or ())
    for e in rule.entities:
        for sel in (e.selector, e.not_selector):
            if sel is not None:
                out.append(SelectorPeer(sel))
        for net in (e.nets or ()) + e.not_nets:
            out.append(IPBlockPeer(net))
    return out


# --- classes ------------------------------------------------------------------------------------

def _classes(cc: CompiledCluster, vec: _Vectors, ports: list[PortClass]) -> tuple[np.ndarray, list[int]]:
    endpoints = vec.endpoints
    columns: list[np.ndarray] = []
    rules = [r for p in cc.model.policies for r in p.rules]
    relative = False
    seen: set = set()
    for rule in rules:
        for peer in _rule_peers(rule):
            if isinstance(peer, PodPeer) and peer.namespaces.relative:
                relative = True
                continue
            if peer in seen:
                continue
            seen.add(peer)
            yes, maybe = vec.peer(peer)
            columns.append(yes)
            if maybe.any():
                columns.append(maybe)
        for e in rule.entities:
            if e.service is not None:
                svc = cc.inv.service(f"{e.service[0]}/{e.service[1]}")
                ips = {b.ip for b in service_endpoints(cc.inv, svc)} if svc else set()
                columns.append(np.array([ep.ip in ips for ep in endpoints]))
    ints: list[np.ndarray] = [np.array([{"pod": 0, "hostNetwork pod": 1, "node": 2, "external": 3}[e.kind]
                                        for e in endpoints]),
                              np.array([a.version for a in vec.addresses])]
    plans: dict[tuple, int] = {}
    for direction in Direction:
        keys = []
        for e in endpoints:
            if not e.is_pod:
                keys.append(-1)
                continue
            plan = cc.plan(e.pod, direction)
            key = tuple((tuple(id(r) for r in sp.rules), tuple(id(p) for p in sp.isolating)) for sp in plan)
            keys.append(plans.setdefault(key, len(plans)))
        ints.append(np.array(keys))
    if relative:
        ints.append(np.array([vec.ns_index.get(e.pod.namespace, -1) if e.pod else -1 for e in endpoints]))
    names = {(pm.named, pm.protocol) for r in rules for pm in (r.ports or ()) if pm.named}
    names |= {(pr.name, None) for r in rules for e in r.entities for pr in (e.ports or ()) + e.not_ports if pr.name}
    for name, proto in sorted(names, key=str):
        for pc in ports:
            if pc.port is not None:
                ints.append(vec.named_port(name, proto, pc.protocol))
    hosts = sorted({e.host.name for e in endpoints if e.host is not None})
    ints.append(np.array([hosts.index(e.host.name) + 1 if e.host is not None else 0 for e in endpoints]))
    parts = [np.stack(ints, axis=1).astype(np.int64)]
    if columns:
        parts.append(np.packbits(np.stack(columns, axis=1), axis=1).astype(np.int64))
    table = np.concatenate(parts, axis=1)
    _, first, klass = np.unique(table, axis=0, return_index=True, return_inverse=True)
    return klass.reshape(-1), [int(i) for i in first]


# --- the walk ---------------------------------------------------------------------------------

def _and(y1, m1, y2, m2):
    yes = y1 & y2
    return yes, (y1 | m1) & (y2 | m2) & ~yes


def _ports_arrays(rule: Rule, ports: list[PortClass], vec: _Vectors, reps: np.ndarray, local: Endpoint,
                  direction: Direction) -> tuple[np.ndarray, np.ndarray]:
    n_a, n_c = len(ports), len(reps)
    if rule.ports is None:
        return np.ones((n_a, n_c), bool), np.zeros((n_a, n_c), bool)
    yes = np.zeros((n_a, n_c), bool)
    maybe = np.zeros((n_a, n_c), bool)
    for a, pc in enumerate(ports):
        for pm in rule.ports:
            hit = _port_entry(pm, pc, vec, reps, local, direction)
            if hit is None:
                continue
            if pm.src_port is not None:
                maybe[a] |= hit
            else:
                yes[a] |= hit
    return yes, maybe & ~yes


def _port_entry(pm: PortMatch, pc: PortClass, vec: _Vectors, reps, local: Endpoint, direction) -> np.ndarray | None:
    if pm.protocol is None:
        if pc.protocol == "ICMP":
            return None
    elif pm.protocol != pc.protocol:
        return None
    if pc.protocol == "ICMP":
        ok = (pm.icmp_type is None or pm.icmp_type == 8) and (pm.icmp_code is None or pm.icmp_code == 0)
        return np.full(len(reps), ok)
    if pm.named:
        if direction is Direction.EGRESS:  # resolved on the destination = the remote side
            return vec.named_port(pm.named, pm.protocol, pc.protocol)[reps] == pc.port
        num = local.pod.named_port(pm.named, pm.protocol or pc.protocol) if local.pod else None
        return np.full(len(reps), num == pc.port)
    if pm.port is None:
        return np.ones(len(reps), bool)
    end = pm.end_port if pm.end_port is not None else pm.port
    return np.full(len(reps), pm.port <= pc.port <= end)


def _scalar_rule(cc: CompiledCluster, rule: Rule, local: Endpoint, remotes: list[Endpoint], ports: list[PortClass],
                 direction: Direction) -> tuple[np.ndarray, np.ndarray]:
    """Entity/L4 rules: the trace matcher on each representative pair."""
    yes = np.zeros((len(ports), len(remotes)), bool)
    maybe = np.zeros_like(yes)
    for a, pc in enumerate(ports):
        for c, remote in enumerate(remotes):
            src, dst = (local, remote) if direction is Direction.EGRESS else (remote, local)
            icmp = (8, 0) if pc.protocol == "ICMP" else (None, None)
            m, _ = rule_matches(cc, rule, Flow(src, dst, pc.protocol, pc.port, None, *icmp))
            yes[a, c] = m is Match.YES
            maybe[a, c] = m is Match.MAYBE
    return yes, maybe


@dataclass
class Tracker:
    """What the walk saw, for analyses (lint): per rule, whether it matched any flow, whether it
    decided any, and which rules had already taken the flows it matched; per stage, the
    subjects for which some flow reached it."""

    rules: dict[int, Rule] = field(default_factory=dict)
    matched: set[int] = field(default_factory=set)
    decided: set[int] = field(default_factory=set)
    taken_by: dict[int, set[int]] = field(default_factory=dict)
    reached: dict[tuple[str, Direction], set[int]] = field(default_factory=dict)

    def note(self, rule: Rule, yes: np.ndarray, hit: np.ndarray, active_before: np.ndarray,
             owner: np.ndarray) -> None:
        rid = id(rule)
        self.rules[rid] = rule
        if yes.any():
            self.matched.add(rid)
        if hit.any():
            self.decided.add(rid)
        taken = yes & ~active_before
        if taken.any():
            self.taken_by.setdefault(rid, set()).update(int(x) for x in np.unique(owner[taken]) if x != 0)


def _walk(cc: CompiledCluster, vec: _Vectors, local: Endpoint, direction: Direction, ports: list[PortClass],
          reps: np.ndarray, remotes: list[Endpoint], tracker: Tracker | None = None) -> np.ndarray:
    n_a, n_c = len(ports), len(reps)
    result = np.zeros((n_a, n_c), np.int8)
    active = np.ones((n_a, n_c), bool)
    jump = np.full((n_a, n_c), -1, np.int16)
    owner = np.zeros((n_a, n_c), np.int64) if tracker is not None else None
    plan = cc.plan(local.pod, direction)
    stage_at = {sp.stage.name: i for i, sp in enumerate(plan)}
    subject_ns = local.pod.namespace
    for index, sp in enumerate(plan):
        stage = sp.stage
        waiting = jump >= 0
        if waiting.any():
            wake = jump == index
            active |= wake
            jump[wake] = -1
        if tracker is not None and active.any():
            tracker.reached.setdefault((stage.name, direction), set()).add(local.pod.index)
        if stage.default_verdict is not None:
            result[active] = ALLOW
            break
        for rule in sp.rules:
            if not active.any():
                break
            if rule.entities or rule.l4 is not None:
                yes, maybe = _scalar_rule(cc, rule, local, remotes, ports, direction)
            else:
                if rule.peers is None:
                    py, pm_ = np.ones(n_c, bool), np.zeros(n_c, bool)
                else:
                    py, pm_ = np.zeros(n_c, bool), np.zeros(n_c, bool)
                    for peer in rule.peers:
                        y, m = vec.peer(peer, subject_ns)
                        py, pm_ = py | y[reps], pm_ | m[reps]
                    pm_ = pm_ & ~py
                qy, qm = _ports_arrays(rule, ports, vec, reps, local, direction)
                yes, maybe = _and(np.broadcast_to(py, (n_a, n_c)), np.broadcast_to(pm_, (n_a, n_c)), qy, qm)
            if rule.action is Action.LOG:
                continue
            if rule.undecidable:
                maybe, yes = maybe | yes, np.zeros_like(yes)
            unknown = active & maybe
            result[unknown] = UNKNOWN
            active &= ~unknown
            hit = active & yes
            if tracker is not None:
                tracker.note(rule, yes, hit, active | hit, owner)
                owner[hit | unknown] = id(rule)
            if not hit.any():
                continue
            if rule.action is Action.PASS:
                target = stage_at.get(stage.pass_to, len(plan) - 1)
                jump[hit] = target
            else:
                result[hit] = CODE[rule.action]
            active &= ~hit
        if stage.no_match is NoMatch.DROP_IF_SELECTED and sp.isolating:
            result[active] = DROP
            if owner is not None:
                owner[active] = -(index + 1)  # isolation / end of tier at this stage
            active[:] = False
    return result


def compute_matrix(cc: CompiledCluster, ports: list[PortClass] | None = None, externals: list[str] = (),
                   progress=None, tracker: Tracker | None = None) -> MatrixResult:
    """Verdicts for every ordered pair of pods (and ``externals``) on every port class."""
    inv = cc.inv
    endpoints = [endpoint_for_pod(inv, p) for p in inv.pods if p.ips]
    endpoints += [endpoint_for_ip(inv, ip) for ip in externals]
    ports = list(ports) if ports else default_port_classes(cc.model, inv)
    vec = _Vectors(cc, endpoints)
    klass, reps = _classes(cc, vec, ports)
    rep_idx = np.array(reps)
    remotes = [endpoints[i] for i in reps]
    n_c, n_a = len(reps), len(ports)
    egress = np.full((n_c, n_a, n_c), ALLOW, np.int8)
    ingress = np.full((n_c, n_a, n_c), ALLOW, np.int8)
    for c, rep in enumerate(reps):
        local = endpoints[rep]
        if local.is_pod:
            egress[c] = _walk(cc, vec, local, Direction.EGRESS, ports, rep_idx, remotes, tracker)
            ingress[c] = _walk(cc, vec, local, Direction.INGRESS, ports, rep_idx, remotes, tracker)
        if progress is not None:
            progress(c + 1, n_c)
    codes = np.where(egress == ALLOW, ingress.transpose(2, 1, 0), egress).astype(np.int8)
    result = MatrixResult(cc, endpoints, ports, klass, reps, codes)
    _overrides(result, egress)
    return result


def _overrides(result: MatrixResult, egress: np.ndarray) -> None:
    """Cells the class verdict does not cover: a pod to itself (always allowed: the packet never
    leaves the pod) and a node's host (or hostNetwork pod) to a pod on that node (ingress exempt)."""
    eps = result.endpoints
    for i, e in enumerate(eps):
        if e.is_pod:
            result.overrides[(i, i)] = ALLOW
    hosts = [i for i, e in enumerate(eps) if e.host is not None]
    if not hosts:
        return
    by_node: dict[str, list[int]] = {}
    for j, e in enumerate(eps):
        if e.is_pod and e.node_name:
            by_node.setdefault(e.node_name, []).append(j)
    for i in hosts:
        for j in by_node.get(eps[i].host.name, []):
            if (i, j) not in result.overrides:
                result.overrides[(i, j)] = ALLOW  # the host side has no egress policy

