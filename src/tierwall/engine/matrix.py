"""The connectivity matrix: the vectorised form of the pipeline ``trace`` walks.

1. Endpoints (pods, and chosen external addresses) are grouped into equivalence classes:
   endpoints that every peer, selector, ipBlock, named port and appliedTo treats alike get the
   same verdict in every cell, so one representative decides for all (``_classes``).
2. For each class as subject and each direction, the same ordered stage plan ``trace`` uses is
   walked once over (remote class × port classes), the port axis packed into uint64 words
   (``portsets``): first match decides, Pass jumps, a stage's end drops for isolating policies,
   the default allows (``_Walker``). A rule costs a few word operations per remote class,
   whatever the number of port classes in the cluster.
3. Egress at the source and ingress at the destination combine per cell exactly as in
   ``trace_flow``. Each class pair keeps only an id into a table of distinct verdict rows
   (allowed / rejected / unknown port classes), so memory follows classes², not
   classes² × port classes. Pod-level exceptions (a pod to itself, node-local host traffic)
   are applied when cells are read.

Peers are read in their resolved form (``engine.resolve``); Calico entity and L4 conditions
are vectorised too (``engine.conditionvec``), so every rule is a few word operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..addresses import parse_ip
from ..gcpause import paused
from ..model import Action, Direction, NoMatch, Peer, PortMatch, Rule, Verdict
from .compile import CompiledCluster
from .codes import distinct, distinct_in_place, mix, remap_in_place, row_codes, unique_values
from .conditionvec import ConditionVectors
from .flow import Endpoint, endpoint_for_ip, endpoint_for_pod
from .outside import Outside, outside_endpoints
from .portclasses import PortClass, default_port_classes
from .services import ServiceMatrix, compute_service_matrix
from .portsets import ALLOW_PLANE, PLANES, REJECT_PLANE, UNKNOWN_PLANE, Interner, bit, pack, set_bits, words
from .resolve import Resolved

UNDECIDED, ALLOW, DROP, REJECT, UNKNOWN = 0, 1, 2, 3, 4
VERDICTS = {ALLOW: Verdict.ALLOW, DROP: Verdict.DROP, REJECT: Verdict.REJECT, UNKNOWN: Verdict.UNKNOWN}
PLANE_OF = {Action.ALLOW: ALLOW_PLANE, Action.REJECT: REJECT_PLANE}
ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
HIST_CELLS = 1_000_000
"""Class pairs ``group_hist`` keys at a time (its temporaries are a few times this in bytes)."""


@dataclass
class MatrixResult:
    """Verdicts for every (source, port class, destination), stored per class pair as an id
    into a table of distinct verdict rows."""

    cc: CompiledCluster
    endpoints: list[Endpoint]
    ports: list[PortClass]
    klass: np.ndarray
    """Class index of each endpoint."""
    reps: list[int]
    """Representative endpoint of each class."""
    cells: np.ndarray
    """(classes, classes) int32: source class × destination class → row of ``sets``."""
    sets: np.ndarray
    """(rows, PLANES, words) uint64: allowed / rejected / unknown port classes of a row."""
    overrides: dict[tuple[int, int], int] = field(default_factory=dict)
    """(source endpoint, destination endpoint) → code for every port class, where the class
    verdict does not hold (a pod to itself, node-local host traffic)."""
    names: list[str] = field(default_factory=list)
    """Display name of each endpoint: ``ns/pod``, ``node/NAME``, ``ext:CIDR``, ``internet``."""
    services: ServiceMatrix | None = None
    """Service destinations (source × Service port), when asked for (``engine/services.py``)."""
    _override_ids: dict | None = field(default=None, repr=False)

    def override_ids(self) -> dict[tuple[int, int], int]:
        """(source, destination) → row of ``sets`` for every override (rows added once)."""
        if self._override_ids is None:
            keys = list(self.overrides)
            ids = self.override_rows(np.array([self.overrides[k] for k in keys])) if keys else []
            self._override_ids = {k: int(r) for k, r in zip(keys, ids)}
        return self._override_ids

    @property
    def size(self) -> int:
        return len(self.endpoints)

    def set_codes(self, a: int) -> np.ndarray:
        """The verdict code of port class ``a`` in every row of ``sets`` (int8)."""
        out = np.full(len(self.sets), DROP, np.int8)
        out[bit(self.sets[:, UNKNOWN_PLANE], a)] = UNKNOWN
        out[bit(self.sets[:, REJECT_PLANE], a)] = REJECT
        out[bit(self.sets[:, ALLOW_PLANE], a)] = ALLOW
        return out

    def set_code_table(self) -> np.ndarray:
        """(rows, port classes) int8 codes of every row."""
        if len(self.sets) == 0:
            return np.zeros((0, len(self.ports)), np.int8)
        return np.stack([self.set_codes(a) for a in range(len(self.ports))], axis=1)

    def code(self, i: int, j: int, a: int) -> int:
        override = self.overrides.get((i, j))
        if override is not None:
            return override
        return int(self.set_codes(a)[self.cells[self.klass[i], self.klass[j]]])

    def verdict(self, i: int, j: int, a: int) -> Verdict:
        return VERDICTS[self.code(i, j, a)]

    def class_codes(self, a: int) -> np.ndarray:
        """(classes × classes) verdict codes of port class ``a``."""
        return self.set_codes(a)[self.cells]

    def pod_codes(self, a: int, limit: int | None = None) -> np.ndarray:
        """The (endpoints × endpoints) verdict codes of one port class (the first ``limit``
        endpoints only, for views that show a corner of a large matrix)."""
        klass = self.klass if limit is None else self.klass[:limit]
        out = self.set_codes(a)[self.cells[klass][:, klass]]
        for (i, j), code in self.overrides.items():
            if i < len(klass) and j < len(klass):
                out[i, j] = code
        return out

    def group_hist(self, group_of: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Per (source group, destination group, verdict row): how many pod pairs, as sparse
        arrays ``entries`` (n, 4) int64 = (source group, destination group, row, pairs), and
        per group pair all pairs. Cost: (classes refined by group)², never pods² or port classes."""
        names = sorted(set(group_of))
        index = {g: k for k, g in enumerate(names)}
        gi = np.array([index[g] for g in group_of], dtype=np.int64)
        self.override_ids()  # their rows first: row ids below are final
        n_groups, n_rows = len(names), max(1, len(self.sets))
        # (group, class) order: a source group's refined classes are neighbours, so each chunk below
        # finishes the groups before its last one, whose keys are then final (sorted, disjoint)
        refined, sizes = np.unique(np.stack([gi, self.klass], axis=1), axis=0, return_counts=True)
        r_grp, r_cls, w = refined[:, 0], refined[:, 1], sizes.astype(np.int64)
        span = n_groups * n_rows  # the keys of source group g are [g × span, (g + 1) × span)
        done_k: list[np.ndarray] = []
        done_w: list[np.ndarray] = []
        open_k, open_w = np.zeros(0, np.int64), np.zeros(0)  # the group a chunk boundary splits
        step = max(1, HIST_CELLS // max(1, len(refined)))
        for lo in range(0, len(refined), step):
            rows = slice(lo, lo + step)
            key = ((r_grp[rows, None] * n_groups + r_grp[None, :]) * n_rows + self.cells[r_cls[rows]][:, r_cls]).ravel()
            uniq, inverse = np.unique(key, return_inverse=True)
            weight = np.bincount(inverse.ravel(), weights=(w[rows, None] * w[None, :]).ravel(), minlength=len(uniq))
            del key, inverse
            if len(open_k):
                (uniq,), (weight,) = _merged([open_k, uniq], [open_w, weight])
            cut = np.searchsorted(uniq, r_grp[lo + step] * span) if lo + step < len(refined) else len(uniq)
            done_k.append(uniq[:cut])
            done_w.append(weight[:cut])
            open_k, open_w = uniq[cut:], weight[cut:]
        key = np.concatenate(done_k) if done_k else np.zeros(0, np.int64)
        weight = np.rint(np.concatenate(done_w)).astype(np.int64) if done_w else np.zeros(0, np.int64)
        del done_k, done_w
        if self.overrides:  # pod pairs whose verdict is not their class pair's: move their weight
            pairs_ij = np.array(list(self.overrides.keys()))
            src, dst = pairs_ij[:, 0], pairs_ij[:, 1]
            ids = self.override_ids()
            base = (gi[src] * n_groups + gi[dst]) * n_rows
            # every moved key is there: its class pair was counted with these pods in it
            np.subtract.at(weight, np.searchsorted(key, base + self.cells[self.klass[src], self.klass[dst]]), 1)
            to, n_to = np.unique(base + np.array([ids[k] for k in self.overrides]), return_counts=True)
            at = np.searchsorted(key, to)
            found = key[np.minimum(at, len(key) - 1)] == to if len(key) else np.zeros(len(to), bool)
            np.add.at(weight, at[found], n_to[found])
            key, weight = np.insert(key, at[~found], to[~found]), np.insert(weight, at[~found], n_to[~found])
        keep = weight > 0
        key = key[keep]
        entries = np.empty((len(key), 4), np.int64)  # filled column by column: no (n, 4) temporaries
        entries[:, 3] = weight[keep]
        del weight, keep
        entries[:, 2] = key % n_rows
        key //= n_rows
        entries[:, 1] = key % n_groups
        entries[:, 0] = key // n_groups
        member = np.bincount(gi, minlength=n_groups).astype(np.int64)
        return names, entries, member[:, None] * member[None, :]

    def override_rows(self, codes: np.ndarray) -> np.ndarray:
        """Row ids (added to ``sets`` when missing) for 'this code on every port class'."""
        n_w = self.sets.shape[2] if self.sets.ndim == 3 and len(self.sets) else words(len(self.ports))
        full = pack(np.ones(len(self.ports), bool), n_w)
        out = np.empty(len(codes), np.int64)
        for code in unique_values(codes):
            row = np.zeros((PLANES, n_w), np.uint64)
            if code != DROP:
                row[{ALLOW: ALLOW_PLANE, REJECT: REJECT_PLANE, UNKNOWN: UNKNOWN_PLANE}[int(code)]] = full
            same = np.flatnonzero((self.sets == row).all(axis=(1, 2))) if len(self.sets) else []
            if len(same):
                rid = int(same[0])
            else:
                self.sets = np.concatenate([self.sets.reshape(-1, PLANES, n_w), row[None]])
                rid = len(self.sets) - 1
            out[codes == code] = rid
        return out

    def group_counts(self, group_of: list[str], ports: list[int] | None = None,
                     groups: list[int] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Allowed pod pairs per (source group, port class, destination group), dense, for the
        given port classes and groups only (views that show a corner); and all pairs."""
        names, entries, total = self.group_hist(group_of)
        ports = list(range(len(self.ports))) if ports is None else ports
        groups = list(range(len(names))) if groups is None else groups
        pos = np.full(len(names), -1)
        pos[groups] = np.arange(len(groups))
        e = entries[(pos[entries[:, 0]] >= 0) & (pos[entries[:, 1]] >= 0)]
        allowed = self.set_code_table()[:, ports] == ALLOW  # (rows, ports)
        counts = np.zeros((len(groups), len(ports), len(groups)), np.int64)
        np.add.at(counts, (pos[e[:, 0]][:, None], np.arange(len(ports))[None, :], pos[e[:, 1]][:, None]),
                  allowed[e[:, 2]] * e[:, 3][:, None])
        return [names[g] for g in groups], counts, total[np.ix_(groups, groups)]

    def row_ranges(self) -> list[dict]:
        """Per verdict row: ``{"allow"|"reject"|"unknown": {protocol: ["80", "8000-8080"]}}``
        (dropped ports are the rest); ICMP (echo) is listed as ``["echo"]``."""
        table = self.set_code_table()
        out = []
        for codes in table:
            row: dict = {}
            for code, name in ((ALLOW, "allow"), (REJECT, "reject"), (UNKNOWN, "unknown")):
                chosen = [self.ports[a] for a in np.flatnonzero(codes == code)]
                if chosen:
                    row[name] = port_ranges(chosen)
            out.append(row)
        return out


def _merged(keys: list[np.ndarray], weights: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Keys with their weights summed, as one-element lists (``group_hist``'s running total)."""
    uniq, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return [uniq], [np.bincount(inverse.ravel(), weights=np.concatenate(weights), minlength=len(uniq))]


def port_ranges(classes: list[PortClass]) -> dict[str, list[str]]:
    """protocol → merged inclusive ranges covered by ``classes`` (``echo`` for ICMP)."""
    by_proto: dict[str, list[tuple[int, int]]] = {}
    for pc in classes:
        if pc.protocol == "ICMP":
            by_proto.setdefault("ICMP", [])
        else:
            by_proto.setdefault(pc.protocol, []).extend(pc.ranges or ((pc.port, pc.port),))
    out = {}
    for proto, ranges in by_proto.items():
        if proto == "ICMP":
            out[proto] = ["echo"]
            continue
        merged: list[list[int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        out[proto] = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in merged]
    return out


# --- peer membership vectors --------------------------------------------------------------------

class _Vectors:
    """Which endpoints each peer covers, as (yes, maybe) boolean vectors, computed once."""

    def __init__(self, cc: CompiledCluster, endpoints: list[Endpoint],
                 addressed: list[tuple[str, str] | None] | None = None):
        self.cc = cc
        self.endpoints = endpoints
        self.addressed = addressed
        """Per endpoint, the Service (namespace, name) the flow to it was addressed to, for the
        Service destinations of ``engine/services.py``; ``None``: pod flows, no Service."""
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
        self.outside = np.array([e.pod is None and e.host is None for e in endpoints], dtype=bool)
        """Endpoints that are neither a pod nor a node (what a Cilium CIDR can match)."""

    def restricted(self, index: np.ndarray) -> "_Vectors":
        """The same vectors over the endpoints ``index`` only, with what was computed so far
        carried over. Why: the class step needs every endpoint, the walk only the class
        representatives; its cache of a vector per distinct peer then costs classes, not
        endpoints, each (at 30,000 pods, 140 MB became a quarter of it)."""
        sub = _Vectors(self.cc, [self.endpoints[i] for i in index],
                       None if self.addressed is None else [self.addressed[i] for i in index])
        cut: dict[int, np.ndarray] = {id(self.none): sub.none}

        def project(a: np.ndarray) -> np.ndarray:
            hit = cut.get(id(a))
            if hit is None:
                hit = cut[id(a)] = a[index]
            return hit

        sub.cache = {key: (project(y), project(m)) for key, (y, m) in self.cache.items()}
        return sub

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

    def peer(self, peer: Peer, subject_ns: str | None = None,
             subject_node: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(yes, maybe) of ``peer`` resolved as seen from a subject in ``subject_ns`` on ``subject_node``."""
        key = self.cc.resolution_key(peer, subject_ns, subject_node)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self.resolved(self.cc.resolve(peer, subject_ns, subject_node))
        return hit

    def resolved(self, res: Resolved) -> tuple[np.ndarray, np.ndarray]:
        """(yes, maybe) over the endpoints of a resolved peer. Its Service parts (matched before
        DNAT) cover only the endpoints reached through that Service (``addressed``, for the
        Service destinations of ``engine/services.py``): a pod-to-pod flow never addresses one."""
        yes = self._pod_vector(res.pods) if res.pods else self.none
        if res.hosts:
            yes = yes | np.array([e.host is not None and e.host.name in res.hosts for e in self.endpoints], bool)
        for part in res.nets:
            covered = self._in_net(part.net)
            for ex in part.excepts:
                covered = covered & ~self._in_net(ex)
            if part.outside_only:
                covered = covered & self.outside
            yes = yes | covered
        if res.services and self.addressed is not None:
            yes = yes | np.array([a in res.services for a in self.addressed], bool)
        maybe = ~yes if res.unknown else self.none
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


def _rule_resolved(cc: CompiledCluster, rule: Rule) -> list[tuple[Peer | None, Resolved | None]]:
    """The address conditions of a rule: its peers (``(peer, None)``) and its Calico entity
    address sets (``(None, resolved)``)."""
    out: list = [(peer, None) for peer in rule.peers or ()]
    for e in rule.entities:
        r = cc.resolve_entity(e)
        out += [(None, res) for res in (r.selector, r.not_selector, r.nets, r.not_nets) if res is not None]
    return out


# --- classes ------------------------------------------------------------------------------------

def _classes(cc: CompiledCluster, vec: _Vectors, ports: list[PortClass]) -> tuple[np.ndarray, list[int]]:
    endpoints = vec.endpoints
    columns: list[np.ndarray] = []
    rules = [r for p in cc.model.policies for r in p.rules]
    relative = node_relative = False
    seen: set = set()
    for rule in rules:
        for peer, res in _rule_resolved(cc, rule):
            if peer is not None:
                ns_rel, node_rel = cc.relativity(peer)
                relative, node_relative = relative or ns_rel, node_relative or node_rel
                if ns_rel or node_rel:
                    continue
                if peer in seen:
                    continue
                seen.add(peer)
                yes, maybe = vec.peer(peer)
            else:
                if id(res) in seen:
                    continue
                seen.add(id(res))
                yes, maybe = vec.resolved(res)
            columns.append(yes)
            if maybe.any():
                columns.append(maybe)
        for e in rule.entities:
            backends = cc.resolve_entity(e).backends
            if backends is not None:
                columns.append(np.array([ep.ip in backends for ep in endpoints]))
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
            keys.append(plans.setdefault(id(cc.plan(e.pod, direction)), len(plans)))  # plans are interned
        ints.append(np.array(keys))
    if relative:
        ints.append(np.array([vec.ns_index.get(e.pod.namespace, -1) if e.pod else -1 for e in endpoints]))
    if node_relative:  # a pod's own node vs the others: pods on different nodes differ
        nodes = sorted({e.node_name for e in endpoints})
        ints.append(np.array([nodes.index(e.node_name) for e in endpoints]))
    names = {(pm.named, pm.protocol) for r in rules for pm in (r.ports or ()) if pm.named}
    names |= {(pr.name, None) for r in rules for e in r.entities for pr in (e.ports or ()) + e.not_ports if pr.name}
    port_protocols = sorted({pc.protocol for pc in ports if pc.port is not None})
    for name, proto in sorted(names, key=str):
        for key in sorted({proto or p for p in port_protocols}):
            ints.append(vec.named_port(name, proto, key))
    hosts = sorted({e.host.name for e in endpoints if e.host is not None})
    ints.append(np.array([hosts.index(e.host.name) + 1 if e.host is not None else 0 for e in endpoints]))
    table = np.concatenate([np.stack(ints, axis=1).astype(np.int64), _words(columns, len(endpoints))], axis=1)
    _, first, klass = np.unique(table, axis=0, return_index=True, return_inverse=True)
    return klass.reshape(-1), [int(i) for i in first]


def _words(columns: list[np.ndarray], n: int) -> np.ndarray:
    """The boolean columns as (endpoints × ceil(columns / 64)) 64-bit words, packed 64 columns
    at a time: a 20,000-pod cluster has ~10,000 distinct peers, and stacking them all as bytes
    (then widening each byte to a word) took a few hundred MB for a moment and made the row
    sort that finds the classes eight times wider than the bits."""
    out = np.zeros((n, (len(columns) + 63) // 64), np.int64)
    for w, lo in enumerate(range(0, len(columns), 64)):
        packed = np.zeros((n, 8), np.uint8)
        bits = np.packbits(np.stack(columns[lo:lo + 64], axis=1), axis=1)
        packed[:, :bits.shape[1]] = bits
        out[:, w] = packed.view(np.int64)[:, 0]
    return out


# --- the walk ---------------------------------------------------------------------------------

class _PortAxis:
    """The port classes as arrays, so a port entry becomes a boolean vector in a few numpy
    operations (a cluster may have hundreds of port classes)."""

    def __init__(self, ports: list[PortClass]):
        self.protocol = np.array([pc.protocol for pc in ports])
        self.port = np.array([pc.port if pc.port is not None else -1 for pc in ports], dtype=np.int64)
        self.icmp = self.protocol == "ICMP"
        self.n = len(ports)
        self.of_protocol: dict[str, np.ndarray] = {p: self.protocol == p for p in set(self.protocol.tolist())}
        self.by_port: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        """protocol → (representative ports sorted, their class indexes): a range is two
        binary searches, not a comparison over every class (one policy may name 10,000 ports)."""
        for proto in self.of_protocol:
            idx = np.flatnonzero(self.of_protocol[proto] & (self.port >= 0))
            order = np.argsort(self.port[idx], kind="stable")
            self.by_port[proto] = (self.port[idx][order], idx[order])
        self.lookup: dict[str, np.ndarray] = {}
        for a, pc in enumerate(ports):  # single-port classes, for named ports resolved to numbers
            if pc.port is not None and pc.ranges == ((pc.port, pc.port),) or pc.port is not None and not pc.ranges:
                table = self.lookup.setdefault(pc.protocol, np.full(65537, -1, np.int64))
                table[pc.port] = a

    def entry(self, pm: PortMatch) -> np.ndarray | None:
        """Port classes a numbered (not named) entry matches; ``None`` for a named one."""
        if pm.named:
            return None
        if pm.protocol is None:
            proto = ~self.icmp
        else:
            proto = self.of_protocol.get(pm.protocol)
            if proto is None:
                return np.zeros(self.n, bool)
        if pm.protocol == "ICMP":
            ok = (pm.icmp_type is None or pm.icmp_type == 8) and (pm.icmp_code is None or pm.icmp_code == 0)
            return proto & ok
        if pm.port is None:
            return proto
        end = pm.end_port if pm.end_port is not None else pm.port
        out = np.zeros(self.n, bool)
        for p in ([pm.protocol] if pm.protocol is not None else [p for p in self.by_port if p != "ICMP"]):
            ports, idx = self.by_port.get(p, (None, None))
            if ports is not None:
                out[idx[np.searchsorted(ports, pm.port, "left"):np.searchsorted(ports, end, "right")]] = True
        return out

    def named(self, nums: np.ndarray, protocol: str) -> np.ndarray:
        """(len(nums), classes) bools: the single-port class of each number (none for 0)."""
        out = np.zeros((len(nums), len(self.port)), bool)
        table = self.lookup.get(protocol)
        if table is None:
            return out
        idx = table[np.clip(nums, 0, 65536)]
        rows = np.flatnonzero((idx >= 0) & (nums > 0))
        out[rows, idx[rows]] = True
        return out


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
             unknown: np.ndarray | None, owner: np.ndarray) -> None:
        """Record one rule's step of a walk. Arguments are packed port bits (rows, words);
        ``owner`` (rows, port classes) says which rule took each flow so far and is updated
        here. Work is on the packed words; only set bits are expanded (near-linear in rules)."""
        rid = id(rule)
        self.rules[rid] = rule
        if yes.any():
            self.matched.add(rid)
        if hit.any():
            self.decided.add(rid)
        n = owner.shape[1]
        taken = yes & ~active_before
        if taken.any():
            r, c = set_bits(taken, n)
            self.taken_by.setdefault(rid, set()).update(int(x) for x in unique_values(owner[r, c]) if x != 0)
        mark = hit if unknown is None else hit | unknown
        if mark.any():
            r, c = set_bits(mark, n)
            owner[r, c] = rid


class _Walker:
    """Walks stage plans over (remote class × packed port classes); caches what rules share:
    the remote classes a peer list covers, the port classes a port list covers."""

    def __init__(self, cc: CompiledCluster, vec: _Vectors, ports: list[PortClass], reps: np.ndarray,
                 remotes: list[Endpoint], tracker: Tracker | None):
        self.cc, self.vec, self.ports, self.reps, self.remotes, self.tracker = cc, vec, ports, reps, remotes, tracker
        self.n_c, self.n_a = len(reps), len(ports)
        self.n_w = words(self.n_a)
        self.full = pack(np.ones(self.n_a, bool), self.n_w)  # (words,)
        self.everyone = np.ones(self.n_c, bool)
        self.zero_rows = np.zeros((self.n_c, 1), np.uint64)
        self.peer_cache: dict = {}
        self.port_cache: dict = {}
        self.relative: dict[int, tuple[bool, bool]] = {}
        self.named: dict[int, list[PortMatch]] = {}
        self.plan_info: dict[int, tuple] = {}
        self.axis = _PortAxis(ports)
        self.conditions = ConditionVectors(cc, lambda res: vec.resolved(res)[0][reps], remotes, ports, self.n_w)

    def peer_flags(self, rule: Rule) -> tuple[bool, bool]:
        """Whether the rule's peers depend on the subject's namespace / node."""
        flags = self.relative.get(id(rule.peers))
        if flags is None:
            each = [self.cc.relativity(p) for p in rule.peers]
            flags = self.relative[id(rule.peers)] = (any(ns for ns, _ in each), any(node for _, node in each))
        return flags

    def _peer_key(self, rule: Rule, subject_ns: str, subject_node: str) -> tuple:
        relative, node_relative = self.peer_flags(rule)
        return (id(rule.peers), subject_ns if relative else None, subject_node if node_relative else None)

    def peers(self, rule: Rule, subject_ns: str, subject_node: str = ""):
        """(yes, maybe) as booleans over the remote classes (maybe None when empty), cached per
        distinct peer list (and subject namespace / node where they matter). Booleans, not
        words: thousands of peer lists × classes stay small (1 byte per class)."""
        if rule.peers is None:
            return self.everyone, None
        key = self._peer_key(rule, subject_ns, subject_node)
        hit = self.peer_cache.get(key)
        if hit is None:
            py = np.zeros(len(self.vec.endpoints), bool)
            pm = np.zeros_like(py)
            for peer in rule.peers:
                y, m = self.vec.peer(peer, subject_ns, subject_node)
                py, pm = py | y, pm | m
            py, pm = py[self.reps], (pm & ~py)[self.reps]
            hit = (py, pm if pm.any() else None)
            self.peer_cache[key] = hit
        return hit

    def remote_codes(self, rule: Rule, local: Endpoint, direction: Direction) -> tuple[np.ndarray, int] | None:
        """Per remote class, a small code that is equal for remote classes this rule treats
        alike (same peer membership, same port bits), and the number of codes; ``None`` when
        the rule treats every remote class alike. Remote classes equal under every rule of a
        plan get equal rows, so the walk runs once per such group (:meth:`groups`)."""
        peer = None
        if rule.peers is not None:
            key = ("codes",) + self._peer_key(rule, local.pod.namespace, local.node_name)
            peer = self.peer_cache.get(key)
            if peer is None:
                py, pm = self.peers(rule, local.pod.namespace, local.node_name)
                code = py.astype(np.int8)
                if pm is not None:
                    code += 2 * pm.astype(np.int8)
                peer = self.peer_cache[key] = (code, 3) if code.min() != code.max() else None
        port = None
        if rule.ports is not None:
            qy, qm = self.port_bits(rule, local, direction)
            if qy.shape[0] > 1:
                key = ("codes", id(qy))
                hit = self.port_cache.get(key)
                if hit is None:
                    hit = self.port_cache[key] = (row_codes(qy, qm), qy)  # keep qy alive: its id is the key
                port = hit[0]
        codes = mix(peer, port)
        if rule.entities or rule.l4 is not None:  # entity / L4 conditions on the remote end
            codes = mix(codes, self.conditions.remote_codes(rule, direction))
        return codes

    def groups(self, rules: list[Rule], local: Endpoint, direction: Direction) -> tuple[np.ndarray, np.ndarray]:
        """(rows, inverse): one representative remote class per group of remote classes that
        every rule of ``rules`` treats alike, and each remote class's group."""
        codes = None
        for rule in rules:
            got = self.remote_codes(rule, local, direction)
            if got is not None and got[1] >= self.n_c:  # as fine as the classes themselves
                return np.arange(self.n_c), np.arange(self.n_c)
            codes = mix(codes, got)
        if codes is None:
            return np.zeros(1, np.int64), np.zeros(self.n_c, np.int64)
        _, inverse = distinct(*codes)
        rows = np.empty(int(inverse.max()) + 1, np.int64)
        rows[inverse] = np.arange(len(inverse))  # one member per group (any member will do)
        return rows, inverse

    # ports: (yes, maybe) as (1 or classes, words) uint64; maybe None when empty
    def port_bits(self, rule: Rule, local: Endpoint, direction: Direction):
        if rule.ports is None:
            return self.full[None, :], None
        named = self.named.get(id(rule.ports))
        if named is None:
            named = self.named[id(rule.ports)] = [pm for pm in rule.ports if pm.named]
        local_sig = None
        if named and direction is Direction.INGRESS:
            local_sig = tuple(local.pod.named_port(pm.named, pm.protocol or p) if local.pod else None
                              for pm in named for p in ("TCP", "UDP", "SCTP"))
        key = (id(rule.ports), direction if named else None, local_sig)
        hit = self.port_cache.get(key)
        if hit is not None:
            return hit
        content = (rule.ports, direction if named else None, local_sig)
        hit = self.port_cache.get(content)
        if hit is None:
            hit = self.port_cache[content] = self._port_bits(rule.ports, local, direction)
        self.port_cache[key] = hit
        return hit

    def _port_bits(self, entries, local: Endpoint, direction: Direction):
        rows = self.n_c if direction is Direction.EGRESS and any(pm.named for pm in entries) else 1
        yes = np.zeros((rows, self.n_a), bool)
        maybe = np.zeros_like(yes)
        axis = self.axis
        for pm in entries:
            target = maybe if pm.src_port is not None else yes
            fixed = axis.entry(pm)
            if fixed is not None:
                target |= fixed[None, :]
                continue
            for proto in ([pm.protocol] if pm.protocol else ("TCP", "UDP", "SCTP")):
                if direction is Direction.EGRESS:  # resolved on the destination = the remote side
                    nums = self.vec.named_port(pm.named, pm.protocol, proto)[self.reps]
                else:
                    num = local.pod.named_port(pm.named, proto) if local.pod else None
                    nums = np.array([num or 0])
                target |= axis.named(nums, proto)
        maybe &= ~yes
        return pack(yes, self.n_w), pack(maybe, self.n_w) if maybe.any() else None

    def rule_bits(self, rule: Rule, local: Endpoint, direction: Direction, rows: np.ndarray):
        """(yes, maybe) of one rule over (the remote classes ``rows``, words); maybe may be None."""
        n = len(rows)
        py, pm = self.peers(rule, local.pod.namespace, local.node_name)
        qy, qm = self.port_bits(rule, local, direction)
        py = np.where(py[rows], ALL_ONES, np.uint64(0))[:, None]
        pm = np.where(pm[rows], ALL_ONES, np.uint64(0))[:, None] if pm is not None else None
        if qy.shape[0] > 1:
            qy = qy[rows]
            qm = qm[rows] if qm is not None else None
        yes = py & qy
        if rule.entities or rule.l4 is not None:  # Calico entity / L4 conditions, ANDed
            cy, cm = self.conditions.rule(rule, local, direction, rows)
            possible = (py | (pm if pm is not None else 0)) & (qy | (qm if qm is not None else 0)) & (
                cy | (cm if cm is not None else 0))
            yes = yes & cy
            maybe = possible & ~yes
            maybe = np.broadcast_to(maybe, (n, self.n_w)) if maybe.any() else None
            return np.broadcast_to(yes, (n, self.n_w)), maybe
        if pm is None and qm is None:
            return (np.broadcast_to(yes, (n, self.n_w)) if yes.shape[0] == 1 else yes), None
        maybe = (py | (pm if pm is not None else 0)) & (qy | (qm if qm is not None else 0)) & ~yes
        return np.broadcast_to(yes, (n, self.n_w)), np.broadcast_to(maybe, (n, self.n_w))

    def subject_key(self, local: Endpoint, direction: Direction) -> tuple:
        """What a walk depends on besides the shared caches: the plan, and the subject's
        namespace / node / named ports / what Calico entity and L4 conditions see of its own
        end, only where a rule of the plan looks at them. Subjects with equal keys get equal
        walks (most classes differ only as remotes)."""
        plan = self.cc.plan(local.pod, direction)
        info = self.plan_info.get(id(plan))
        if info is None:
            relative = node_relative = conditional = False
            named: list[PortMatch] = []
            for sp in plan:
                for rule in sp.rules:
                    if rule.peers is not None:
                        r, nr = self.peer_flags(rule)
                        relative, node_relative = relative or r, node_relative or nr
                    conditional = conditional or bool(rule.entities) or rule.l4 is not None
                    if direction is Direction.INGRESS:
                        named.extend(pm for pm in rule.ports or () if pm.named)
            info = self.plan_info[id(plan)] = (relative, node_relative, conditional, tuple(dict.fromkeys(named)))
        relative, node_relative, conditional, named = info
        pod = local.pod
        return (id(plan), direction, pod.namespace if relative else None, local.node_name if node_relative else None,
                self.conditions.local_signature(plan, local, direction) if conditional else None,
                tuple(pod.named_port(pm.named, pm.protocol or p) for pm in named for p in ("TCP", "UDP", "SCTP")))

    def walk(self, local: Endpoint, direction: Direction) -> tuple[np.ndarray, np.ndarray, set]:
        """(groups, PLANES, words) verdict planes of ``local`` for ``direction``, one row per
        group of remote classes the plan treats alike; each remote class's group; and the
        (stage, direction) pairs some flow reached (for the tracker)."""
        plan = self.cc.plan(local.pod, direction)
        rules = [rule for sp in plan for rule in sp.rules if rule.action is not Action.LOG]
        rows, inverse = self.groups(rules, local, direction)
        n = len(rows)
        planes = np.zeros((n, PLANES, self.n_w), np.uint64)
        active = np.broadcast_to(self.full, (n, self.n_w)).copy()
        jumps: dict[int, np.ndarray] = {}
        tracker = self.tracker
        owner = np.zeros((n, self.n_a), np.int64) if tracker is not None else None
        stage_at = {sp.stage.name: i for i, sp in enumerate(plan)}
        reached: set[tuple[str, Direction]] = set()
        for index, sp in enumerate(plan):
            stage = sp.stage
            woken = jumps.pop(index, None)
            if woken is not None:
                active |= woken
            if tracker is not None and active.any():
                reached.add((stage.name, direction))
            if stage.default_verdict is not None:
                planes[:, ALLOW_PLANE] |= active
                active[:] = 0
                break
            for rule in sp.rules:
                if not active.any():
                    break
                if rule.action is Action.LOG:
                    continue
                yes, maybe = self.rule_bits(rule, local, direction, rows)
                if rule.undecidable:
                    maybe, yes = (yes if maybe is None else maybe | yes), np.zeros_like(yes)
                unknown = None
                if maybe is not None:
                    unknown = active & maybe
                    planes[:, UNKNOWN_PLANE] |= unknown
                    active &= ~unknown
                before = active.copy() if tracker is not None else None
                hit = active & yes
                if tracker is not None:
                    tracker.note(rule, yes, hit, before, unknown, owner)
                if not hit.any():
                    continue
                if rule.action is Action.PASS:
                    target = stage_at.get(stage.pass_to, len(plan) - 1)
                    jumps[target] = jumps[target] | hit if target in jumps else hit
                elif rule.action in PLANE_OF:
                    planes[:, PLANE_OF[rule.action]] |= hit
                active &= ~hit  # Drop: neither plane
            if stage.no_match is NoMatch.DROP_IF_SELECTED and sp.isolating:
                if owner is not None:
                    r, c = set_bits(active, self.n_a)
                    owner[r, c] = -(index + 1)  # isolation / end of tier at this stage
                active[:] = 0
        return planes, inverse, reached


def _combine(egress: np.ndarray, ingress: np.ndarray) -> np.ndarray:
    """Egress at the source, then ingress at the destination (as ``trace_flow``): rows of
    (n, PLANES, words)."""
    ea, er, eu = egress[:, ALLOW_PLANE], egress[:, REJECT_PLANE], egress[:, UNKNOWN_PLANE]
    ia, ir, iu = ingress[:, ALLOW_PLANE], ingress[:, REJECT_PLANE], ingress[:, UNKNOWN_PLANE]
    return np.stack([ea & ia, er | (ea & ir), eu | (ea & iu)], axis=1)


@paused()
def compute_matrix(cc: CompiledCluster, ports: list[PortClass] | None = None, externals: list[str] = (),
                   progress=None, tracker: Tracker | None = None,
                   outside: bool | list[Outside] = False, services: bool = False) -> MatrixResult:
    """Verdicts for every ordered pair of pods (and ``externals``) on every port class. With
    ``outside``, also every node and one address per piece of the address space the policies'
    CIDRs cut (``engine.outside``; or the pieces given), so that egress to the node network or
    the internet shows. With ``services``, also every (source, Service port) as ``trace --to
    service/NS/NAME`` sees it (``engine/services.py``, in ``MatrixResult.services``)."""
    inv = cc.inv
    endpoints = [endpoint_for_pod(inv, p) for p in inv.pods if p.ips]
    names = [e.label for e in endpoints]
    for ip in externals:
        endpoints.append(endpoint_for_ip(inv, ip))
        names.append(endpoints[-1].label)
    if outside:
        taken = {e.ip for e in endpoints} | {a for n in inv.nodes.values() for a in n.addresses}
        for node in sorted(inv.nodes.values(), key=lambda n: n.name):
            if node.addresses and f"node/{node.name}" not in names:
                endpoints.append(endpoint_for_ip(inv, node.addresses[0]))
                names.append(f"node/{node.name}")
        pieces = outside if isinstance(outside, list) else outside_endpoints([cc.model], taken)
        for piece in pieces:
            endpoints.append(endpoint_for_ip(inv, piece.ip))
            names.append(piece.label)
    ports = list(ports) if ports else default_port_classes(cc.model, inv)
    vec = _Vectors(cc, endpoints)
    klass, reps = _classes(cc, vec, ports)
    rep_idx = np.array(reps)
    remotes = [endpoints[i] for i in reps]
    n_c = len(reps)
    vec = vec.restricted(rep_idx)  # the walk looks at representatives only
    walker = _Walker(cc, vec, ports, np.arange(n_c), remotes, tracker)
    n_w = walker.n_w
    allow_all = np.zeros((1, PLANES, n_w), np.uint64)
    allow_all[0, ALLOW_PLANE] = walker.full
    eg_rows, in_rows = Interner(n_w), Interner(n_w)
    eg_ids = np.empty((n_c, n_c), np.int32)  # [source class, destination class]
    in_ids = np.empty((n_c, n_c), np.int32)  # [destination class, source class]
    default = None
    # subject key → (the first class walked with it, stages reached): later classes with the same
    # key copy that class's row of ids (keeping a row per key as well took classes² int32 again)
    done: dict[tuple, tuple[int, set]] = {}
    for c, rep in enumerate(reps):
        local = endpoints[rep]
        if local.is_pod:
            for direction, rows, ids in ((Direction.EGRESS, eg_rows, eg_ids), (Direction.INGRESS, in_rows, in_ids)):
                key = walker.subject_key(local, direction)
                hit = done.get(key)
                if hit is None:
                    planes, inverse, reached = walker.walk(local, direction)
                    ids[c] = rows.add(planes)[inverse]
                    hit = done[key] = (c, reached)
                else:
                    ids[c] = ids[hit[0]]
                if tracker is not None:
                    for k in hit[1]:
                        tracker.reached.setdefault(k, set()).add(local.pod.index)
        else:  # no policy applies at a non-pod endpoint
            if default is None:
                default = (eg_rows.add(allow_all)[0], in_rows.add(allow_all)[0])
            eg_ids[c], in_ids[c] = default
        if progress is not None:
            progress(c + 1, n_c)
    del done
    eg_table, in_table = eg_rows.table(), in_rows.table()
    result = MatrixResult(cc, endpoints, ports, klass, reps, None, None, names=names)  # cells: below
    if services:  # first: they read the egress and ingress ids, which the combination overwrites
        def walker_for(targets: list[Endpoint], addressed: list) -> _Walker:
            return _Walker(cc, _Vectors(cc, targets, addressed), ports, np.arange(len(targets)), targets, None)
        result.services = compute_service_matrix(result, walker_for, eg_table, eg_ids, in_table, in_ids)
    n_in = max(1, len(in_table))
    bound = max(1, len(eg_table)) * n_in
    # (egress row, ingress row) codes, in place in the egress ids: classes² int32 each, at most
    # three alive at once (ids, inverse, cells)
    pair = eg_ids if bound < 1 << 31 else eg_ids.astype(np.int64)
    pair *= n_in
    pair += in_ids.T
    del eg_ids, in_ids
    pairs = distinct_in_place(pair, bound)  # pair now holds each cell's index into pairs
    final = Interner(n_w)
    ids = final.add(_combine(eg_table[pairs // n_in], in_table[pairs % n_in]))
    remap_in_place(pair.reshape(-1), ids.astype(pair.dtype, copy=False))  # … and now its row of sets
    result.cells = pair.astype(np.int32, copy=False)
    result.sets = final.table()
    _overrides(result)
    return result


def _overrides(result: MatrixResult) -> None:
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
