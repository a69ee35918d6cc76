"""Services as matrix destinations: what ``trace --to service/NS/NAME`` says, for every source.

A flow addressed to a Service is evaluated as ``trace`` evaluates it (``engine/flow.py``
``resolve_flows``): one concrete flow per endpoint (backend) on that endpoint's target port
(named targetPorts resolved per backend; a backend that does not declare the name is
skipped), each carrying the Service it was addressed to, so that rules naming the Service
(Antrea ``toServices``: resolved peers with a ``service`` part) match it before DNAT, while every other
rule sees the backend (Calico ``destination.services`` included: it names the backends).
The cell of (source, Service port) aggregates its flows exactly as :class:`TraceResult`
does: every flow's verdict when they agree, ``Unknown`` when they differ (a mixed Service),
``Reject`` when there is no flow at all (no endpoints: kube-proxy / Antrea Proxy reject).

The work reuses the class matrix (``engine/matrix.py``): a flow (source class ``c`` → backend
``b`` on port ``p``) gets the same egress verdict as the pod flow ``c → class(b)`` on the port
class of ``p`` unless a rule names the addressed Service, and always the same ingress
verdict. So only two things are computed anew:

* for Services some rule names (and backends outside the matrix endpoints), one egress walk
  per source class whose plan holds such a rule, over "virtual" destinations = (backend class,
  addressed Service); ``_Vectors`` is told which Service each virtual destination was
  addressed to, which is all a resolved ``service`` part looks at;
* pod-level exceptions, as ``trace_flow`` has them: hairpin (a backend reaching its own
  Service: egress decides, ingress is exempt) and a node's host reaching a backend on that node
  (ingress exempt).

Cells are per source *class* × Service port (one verdict, not a port-class row: the port is
the Service's), plus a few per-endpoint overrides. Sources outside the cluster (``ext:``
pieces, ``internet``, ``--external`` addresses) reach a Service only through a node port or a
load balancer: their cells to ClusterIP Services are ``n/a``; to NodePort / LoadBalancer
Services they are the trace verdict with the client address preserved up to the backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..inventory import Inventory, Service, ServicePort
from ..model import Direction
from .flow import Endpoint, service_endpoints
from .portclasses import PortClass
from .portsets import ALLOW_PLANE, REJECT_PLANE, UNKNOWN_PLANE, Interner, bit

ALLOW, DROP, REJECT, UNKNOWN = 1, 2, 3, 4  # the codes of engine/matrix.py
NOT_APPLICABLE = 0
"""An external source and a ClusterIP Service: no path exists (the ClusterIP is not routed
outside the cluster)."""
OUTSIDE_TYPES = ("NodePort", "LoadBalancer")


@dataclass(frozen=True)
class ServiceTarget:
    """One Service destination column: a Service and one of its ports."""

    service: Service
    port: ServicePort

    @property
    def name(self) -> str:
        return f"svc:{self.service.key}"

    @property
    def label(self) -> str:
        return f"{self.port.protocol}/{self.port.port}"

    def to_dict(self) -> dict:
        sp = self.port
        return {"name": self.name, "service": self.service.key, "type": self.service.type or "ClusterIP",
                "clusterIP": self.service.cluster_ips[0] if self.service.cluster_ips else None,
                "port": self.label, "portName": sp.name or None, "targetPort": sp.target_port}


@dataclass
class ServiceMatrix:
    """Verdict codes of every (source, Service port): per source class, plus exceptions."""

    targets: list[ServiceTarget]
    codes: np.ndarray
    """(source classes, targets) int8: ALLOW/DROP/REJECT/UNKNOWN, or NOT_APPLICABLE."""
    overrides: dict[tuple[int, int], int] = field(default_factory=dict)
    """(source endpoint, target) → code where the class verdict does not hold (hairpin, a
    node's host to a backend on that node)."""
    notes: list[str] = field(default_factory=list)
    """What the Service columns leave out or assume, for the legend."""

    def row(self, klass: np.ndarray, i: int) -> np.ndarray:
        """The codes of endpoint ``i`` for every target."""
        out = self.codes[klass[i]].copy()
        for t, code in self._by_src().get(i, ()):
            out[t] = code
        return out

    def code(self, klass: np.ndarray, i: int, t: int) -> int:
        override = self.overrides.get((i, t))
        return int(self.codes[klass[i], t]) if override is None else override

    def _by_src(self) -> dict[int, list[tuple[int, int]]]:
        if not hasattr(self, "_src_index"):
            index: dict[int, list[tuple[int, int]]] = {}
            for (i, t), code in self.overrides.items():
                index.setdefault(i, []).append((t, code))
            self._src_index = index
        return self._src_index


def addressed_services(cc) -> set[tuple[str, str]]:
    """(namespace, name) of every Service a rule's peer names as addressed (pre-DNAT match:
    the ``service`` parts of the resolved peers, e.g. Antrea toServices)."""
    return {svc for policy in cc.model.policies for rule in policy.rules for peer in rule.peers or ()
            for svc in cc.resolve(peer).services}


def service_targets(inv: Inventory) -> tuple[list[ServiceTarget], list[str]]:
    """The Service ports that become destinations, and what is not one (said in the notes)."""
    targets, headless, external_name = [], [], []
    for svc in sorted(inv.services.values(), key=lambda s: s.key):
        if svc.type == "ExternalName":
            external_name.append(svc.key)
        elif svc.headless:
            headless.append(svc.key)
        else:
            targets.extend(ServiceTarget(svc, sp) for sp in svc.ports)
    return targets, _notes(
        (headless, "headless Services have no virtual IP: clients reach their pods directly, which the pod "
                   "columns show ({})"),
        (external_name, "ExternalName Services are DNS aliases, not destinations: trace the name they point to "
                        "({})"))


def _some(keys: list[str], n: int = 3) -> str:
    return ", ".join(keys[:n]) + (" …" if len(keys) > n else "")


def _notes(*cases: tuple[list[str], str]) -> list[str]:
    """A legend sentence per non-empty list, naming its first few items at ``{}``."""
    return [text.format(_some(items)) for items, text in cases if items]


class _PortLookup:
    """Port number → index of the port class holding it (``None`` when no class does)."""

    def __init__(self, ports: list[PortClass]):
        self.seen: dict[tuple[str, int], int | None] = {}
        self.ranges: dict[str, list[tuple[int, int, int]]] = {}
        for a, pc in enumerate(ports):
            if pc.port is None:
                continue
            for lo, hi in pc.ranges or ((pc.port, pc.port),):
                self.ranges.setdefault(pc.protocol, []).append((lo, hi, a))

    def __call__(self, protocol: str, port: int) -> int | None:
        key = (protocol, port)
        if key not in self.seen:
            self.seen[key] = next((a for lo, hi, a in self.ranges.get(protocol, ()) if lo <= port <= hi), None)
        return self.seen[key]


def _codes_at(table: np.ndarray, a: int) -> np.ndarray:
    """The verdict code of port class ``a`` in every row of a (rows, PLANES, words) table."""
    out = np.full(len(table), DROP, np.int8)
    if len(table):
        out[bit(table[:, UNKNOWN_PLANE], a)] = UNKNOWN
        out[bit(table[:, REJECT_PLANE], a)] = REJECT
        out[bit(table[:, ALLOW_PLANE], a)] = ALLOW
    return out


def _then(egress: np.ndarray, ingress: np.ndarray) -> np.ndarray:
    """Egress, then ingress, as ``trace_flow``: ingress decides only what egress allowed."""
    return np.where(egress == ALLOW, ingress, egress).astype(np.int8)


def _aggregate(columns: np.ndarray) -> np.ndarray:
    """(rows, flows) codes → per row: the flows' code when they agree, else UNKNOWN (as
    ``TraceResult.verdict``); REJECT when there is no flow (a Service without endpoints)."""
    if columns.shape[1] == 0:
        return np.full(columns.shape[0], REJECT, np.int8)
    first = columns[:, 0]
    same = (columns == first[:, None]).all(axis=1)
    return np.where(same, first, UNKNOWN).astype(np.int8)


@dataclass(frozen=True)
class _Flow:
    """One concrete flow of a target: to backend ``b`` (an endpoint of the matrix, or -1) or
    virtual destination ``v`` (-1 when the pod flow's egress holds), on port class ``a``."""

    b: int
    v: int
    a: int


def compute_service_matrix(result, walker_for, eg_table, eg_ids, in_table, in_ids) -> ServiceMatrix:
    """The Service columns of a computed matrix. ``walker_for(endpoints, addressed)`` builds a
    walker over virtual destinations (``engine/matrix.py``); the tables and ids are the egress
    and ingress verdict rows of the class walk ([source class, destination class] and
    [destination class, source class])."""
    return _Columns(result, eg_table, eg_ids, in_table, in_ids).compute(walker_for)


class _Columns:
    """One computation of the Service columns (the steps of ``compute_service_matrix``)."""

    def __init__(self, result, eg_table, eg_ids, in_table, in_ids):
        self.result, self.cc = result, result.cc
        self.klass, self.reps, self.eps = result.klass, result.reps, result.endpoints
        self.n_c = len(self.reps)
        self.eg_table, self.eg_ids, self.in_table, self.in_ids = eg_table, eg_ids, in_table, in_ids
        self.where = {(e.label, e.ip): i for i, e in enumerate(self.eps)}
        self.virtual: list[Endpoint] = []
        """Destinations the egress walk must see anew: (endpoint class, addressed Service) for
        Services some rule names, and endpoint addresses that are no matrix endpoint."""
        self.virtual_for: list[tuple[str, str] | None] = []
        self.v_index: dict[tuple, int] = {}
        self.v_ids: np.ndarray | None = None
        self.v_table: np.ndarray | None = None
        self.code_cache: dict[tuple[str, int], np.ndarray] = {}
        self.cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def compute(self, walker_for) -> ServiceMatrix:
        targets, notes = service_targets(self.cc.inv)
        kept, flows_of, more = self.flows(targets)
        notes.extend(more)
        if self.virtual:
            self.walk_virtual(walker_for(self.virtual, self.virtual_for))
        outside = np.array([e.pod is None and e.host is None for e in (self.eps[r] for r in self.reps)], bool)
        codes = np.zeros((self.n_c, len(kept)), np.int8)
        overrides: dict[tuple[int, int], int] = {}
        hosts_on: dict[str, list[int]] = {}
        for i, e in enumerate(self.eps):
            if e.host is not None:
                hosts_on.setdefault(e.host.name, []).append(i)
        for t, (target, flows) in enumerate(zip(kept, flows_of)):
            cols = [self.columns(f) for f, _ in flows]
            distinct = list({id(v): v for _, v in cols}.values())
            column = _aggregate(np.stack(distinct, axis=1) if distinct else np.zeros((self.n_c, 0), np.int8))
            if target.service.type not in OUTSIDE_TYPES:
                column[outside] = NOT_APPLICABLE
            codes[:, t] = column
            for i, code in self.exceptions(flows, cols, hosts_on):
                if code != codes[self.klass[i], t]:
                    overrides[(i, t)] = code
        notes.extend(_outside_notes(kept, outside.any()))
        return ServiceMatrix(kept, codes, overrides, notes)

    def flows(self, targets: list[ServiceTarget]):
        """Per Service port kept: its concrete flows (one per endpoint, on the endpoint's target
        port's class) as trace's ``resolve_flows`` makes them; and notes on what was left out."""
        inv, klass, eps = self.cc.inv, self.klass, self.eps
        lookup = _PortLookup(self.result.ports)
        named = addressed_services(self.cc)
        in_namespace: dict[str, list] = {}
        for pod in inv.pods:
            in_namespace.setdefault(pod.namespace, []).append(pod)
        backends: dict[str, list[Endpoint]] = {}
        kept, flows_of, skipped, unmapped = [], [], [], []
        for target in targets:
            svc, sp = target.service, target.port
            key = (svc.namespace, svc.name)
            if svc.key not in backends:
                backends[svc.key] = service_endpoints(inv, svc, in_namespace.get(svc.namespace, []))
            flows: list[tuple[_Flow, Endpoint]] = []
            for ep in backends[svc.key]:
                port = sp.target_port if isinstance(sp.target_port, int) else (
                    ep.pod.named_port(sp.target_port, sp.protocol) if ep.pod else None)
                if port is None:
                    skipped.append(f"{ep} for {target.name} {target.label}")
                    continue
                a = lookup(sp.protocol, port)
                if a is None:
                    unmapped.append(f"{target.name} {target.label}")
                    break
                b = self.where.get((ep.label, ep.ip), -1)
                if b < 0:  # an endpoint address that is not a matrix endpoint: its own virtual destination
                    v = self.virtual_of(("ip", ep.label, ep.ip), ep, key if key in named else None)
                elif key in named:
                    v = self.virtual_of(("class", int(klass[b])), eps[self.reps[klass[b]]], key)
                else:
                    v = -1
                flows.append((_Flow(b, v, a), ep))
            else:
                kept.append(target)
                flows_of.append(flows)
        return kept, flows_of, _notes(
            (skipped, "Service endpoints that do not declare the named targetPort are skipped, as trace does ({})"),
            (unmapped, "Service ports left out: their target ports are in none of the port classes shown "
                       "({}; add them with --port)"))

    def virtual_of(self, key, endpoint: Endpoint, svc: tuple[str, str] | None) -> int:
        v = self.v_index.get((key, svc))
        if v is None:
            v = self.v_index[(key, svc)] = len(self.virtual)
            self.virtual.append(endpoint)
            self.virtual_for.append(svc)
        return v

    def walk_virtual(self, walker) -> None:
        """Egress of every source class to the virtual destinations, for the classes whose
        egress plan can tell them from the pod flows (a rule naming a Service), each distinct
        subject walked once; ``v_ids`` -1 where the pod flow's egress holds."""
        rows = Interner(walker.n_w)
        self.v_ids = np.zeros((self.n_c, len(self.virtual)), np.int32)
        allow_all = np.zeros((1, 3, walker.n_w), np.uint64)
        allow_all[0, ALLOW_PLANE] = walker.full
        allow_id = int(rows.add(allow_all)[0])
        extras = any(self.where.get((e.label, e.ip), -1) < 0 for e in self.virtual)
        done: dict[tuple, np.ndarray] = {}
        for c, rep in enumerate(self.reps):
            local = self.eps[rep]
            if not local.is_pod:
                self.v_ids[c] = allow_id
            elif extras or _names_a_service(self.cc, self.cc.plan(local.pod, Direction.EGRESS)):
                key = walker.subject_key(local, Direction.EGRESS)
                if key not in done:
                    planes, inverse, _ = walker.walk(local, Direction.EGRESS)
                    done[key] = rows.add(planes)[inverse]
                self.v_ids[c] = done[key]
            else:
                self.v_ids[c] = -1
        self.v_table = rows.table()

    def _codes(self, which: str, table: np.ndarray, a: int) -> np.ndarray:
        hit = self.code_cache.get((which, a))
        if hit is None:
            hit = self.code_cache[(which, a)] = _codes_at(table, a)
        return hit

    def egress(self, f: _Flow) -> np.ndarray:
        """(source classes,) egress codes of one flow."""
        base = self._codes("eg", self.eg_table, f.a)[self.eg_ids[:, self.klass[f.b]]] if f.b >= 0 else None
        if f.v < 0:
            return base
        ids = self.v_ids[:, f.v]
        own = self._codes("virtual", self.v_table, f.a)[np.maximum(ids, 0)]
        return own if base is None else np.where(ids >= 0, own, base).astype(np.int8)

    def ingress(self, f: _Flow) -> np.ndarray:
        """(source classes,) ingress codes at the flow's endpoint."""
        if f.b < 0:
            return np.full(self.n_c, ALLOW, np.int8)  # not a pod: no ingress policy
        return self._codes("in", self.in_table, f.a)[self.in_ids[self.klass[f.b], :]]

    def columns(self, f: _Flow) -> tuple[np.ndarray, np.ndarray]:
        """(egress, verdict) per source class of a flow, cached per what they depend on."""
        key = (int(self.klass[f.b]) if f.b >= 0 else None, f.v, f.a)
        hit = self.cache.get(key)
        if hit is None:
            eg = self.egress(f)
            hit = self.cache[key] = (eg, _then(eg, self.ingress(f)))
        return hit

    def exceptions(self, flows, cols, hosts_on):
        """(source endpoint, code) for sources special to some flow of a target, as
        ``trace_flow`` has them: a backend reaching its own Service (hairpin: egress decides,
        ingress exempt), a node's host reaching a backend on that node (ingress exempt)."""
        klass = self.klass
        special: dict[int, dict[int, int]] = {}
        for k, (f, ep) in enumerate(flows):
            if ep.is_pod and f.b >= 0:
                special.setdefault(f.b, {})[k] = int(cols[k][0][klass[f.b]])
            if ep.is_pod and ep.node_name:
                for h in hosts_on.get(ep.node_name, ()):
                    special.setdefault(h, {})[k] = ALLOW  # host side: no egress policy
        for i, changed in special.items():
            c = klass[i]
            if all(int(cols[k][1][c]) == code for k, code in changed.items()):
                continue  # the exception gives what the class has
            seen = {changed.get(k, int(v[c])) for k, (_, v) in enumerate(cols)}
            yield i, (seen.pop() if len(seen) == 1 else UNKNOWN)


def _names_a_service(cc, plan) -> bool:
    """Whether some rule of the plan has a peer that matches an addressed Service."""
    return any(cc.resolve(p).services for sp in plan for rule in sp.rules for p in rule.peers or ())


def _outside_notes(targets: list[ServiceTarget], has_outside: bool) -> list[str]:
    if not targets:
        return []
    out = ["a Service destination (svc:NS/NAME, one column per Service port) is the flow addressed to the Service, "
           "followed to every endpoint on its target port, as trace --to service/NS/NAME: rules naming the Service "
           "(toServices) match it; the cell is the endpoints' verdict when they agree, Unknown when they differ, "
           "Reject when there is none"]
    if has_outside and any(t.service.type in OUTSIDE_TYPES for t in targets):
        out.append("outside sources reach NodePort/LoadBalancer Services with their address preserved "
                   "(externalTrafficPolicy: Local); with Cluster, kube-proxy may SNAT them to a node address, "
                   "which tierwall does not model; to ClusterIP Services they read n/a")
    elif has_outside:
        out.append("outside sources cannot reach ClusterIP Services: those cells read n/a")
    return out
