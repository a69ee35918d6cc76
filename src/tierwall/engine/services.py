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
    notes = []
    if headless:
        notes.append(f"headless Services have no virtual IP: clients reach their pods directly, which the pod "
                     f"columns show ({_some(headless)})")
    if external_name:
        notes.append(f"ExternalName Services are DNS aliases, not destinations: trace the name they point to "
                     f"({_some(external_name)})")
    return targets, notes


def _some(keys: list[str], n: int = 3) -> str:
    return ", ".join(keys[:n]) + (" …" if len(keys) > n else "")


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
    cc, inv = result.cc, result.cc.inv
    targets, notes = service_targets(inv)
    klass, reps, eps = result.klass, result.reps, result.endpoints
    n_c = len(reps)
    lookup = _PortLookup(result.ports)
    where = {(e.label, e.ip): i for i, e in enumerate(eps)}
    named = addressed_services(cc)
    virtual: list[Endpoint] = []
    virtual_for: list[tuple[str, str] | None] = []
    v_index: dict[tuple, int] = {}

    def virtual_of(key, endpoint: Endpoint, svc: tuple[str, str] | None) -> int:
        v = v_index.get((key, svc))
        if v is None:
            v = v_index[(key, svc)] = len(virtual)
            virtual.append(endpoint)
            virtual_for.append(svc)
        return v

    flows_of: list[list[tuple[_Flow, Endpoint]]] = []
    kept: list[ServiceTarget] = []
    skipped: list[str] = []
    unmapped: list[str] = []
    in_namespace: dict[str, list] = {}
    for pod in inv.pods:
        in_namespace.setdefault(pod.namespace, []).append(pod)
    backends: dict[str, list[Endpoint]] = {}
    for target in targets:
        svc, sp = target.service, target.port
        key = (svc.namespace, svc.name)
        flows: list[tuple[_Flow, Endpoint]] = []
        ok = True
        if svc.key not in backends:
            backends[svc.key] = service_endpoints(inv, svc, in_namespace.get(svc.namespace, []))
        for ep in backends[svc.key]:
            port = sp.target_port if isinstance(sp.target_port, int) else (
                ep.pod.named_port(sp.target_port, sp.protocol) if ep.pod else None)
            if port is None:
                skipped.append(f"{ep} for {target.name} {target.label}")
                continue
            a = lookup(sp.protocol, port)
            if a is None:
                ok = False
                break
            b = where.get((ep.label, ep.ip), -1)
            if b < 0:  # an endpoint address that is not a matrix endpoint: its own virtual destination
                v = virtual_of(("ip", ep.label, ep.ip), ep, key if key in named else None)
            elif key in named:
                v = virtual_of(("class", int(klass[b])), eps[reps[klass[b]]], key)
            else:
                v = -1
            flows.append((_Flow(b, v, a), ep))
        if not ok:
            unmapped.append(f"{target.name} {target.label}")
            continue
        kept.append(target)
        flows_of.append(flows)
    if skipped:
        notes.append(f"Service endpoints that do not declare the named targetPort are skipped, as trace does "
                     f"({_some(skipped)})")
    if unmapped:
        notes.append(f"Service ports left out: their target ports are in none of the port classes shown "
                     f"({_some(unmapped)}; add them with --port)")

    # egress over the virtual destinations, for the source classes whose plan can tell them apart
    v_codes: dict[int, np.ndarray] = {}  # port class → (source classes, virtual) codes
    if virtual:
        walker = walker_for(virtual, virtual_for)
        rows = Interner(walker.n_w)
        v_ids = np.zeros((n_c, len(virtual)), np.int32)
        allow_all = np.zeros((1, 3, walker.n_w), np.uint64)
        allow_all[0, ALLOW_PLANE] = walker.full
        allow_id = int(rows.add(allow_all)[0])
        extras = any(where.get((e.label, e.ip), -1) < 0 for e in virtual)
        done: dict[tuple, np.ndarray] = {}  # subject key → row ids (subjects alike walk once)
        for c, rep in enumerate(reps):
            local = eps[rep]
            if not local.is_pod:
                v_ids[c] = allow_id
            elif extras or _names_a_service(cc, cc.plan(local.pod, Direction.EGRESS)):
                key = walker.subject_key(local, Direction.EGRESS, c)
                if key not in done:
                    planes, inverse, _ = walker.walk(local, Direction.EGRESS)
                    done[key] = rows.add(planes)[inverse]
                v_ids[c] = done[key]
            else:
                v_ids[c] = -1  # the pod flow's egress holds: read from the class walk
        v_table = rows.table()
    main_eg: dict[int, np.ndarray] = {}
    main_in: dict[int, np.ndarray] = {}

    def egress(f: _Flow) -> np.ndarray:
        """(source classes,) egress codes of one flow."""
        if f.a not in main_eg:
            main_eg[f.a] = _codes_at(eg_table, f.a)
        base = main_eg[f.a][eg_ids[:, klass[f.b]]] if f.b >= 0 else None
        if f.v < 0:
            return base
        if f.a not in v_codes:
            v_codes[f.a] = _codes_at(v_table, f.a)
        ids = v_ids[:, f.v]
        own = v_codes[f.a][np.maximum(ids, 0)]
        return own if base is None else np.where(ids >= 0, own, base).astype(np.int8)

    def ingress(f: _Flow) -> np.ndarray:
        if f.b < 0:
            return np.full(n_c, ALLOW, np.int8)  # not a pod: no ingress policy
        if f.a not in main_in:
            main_in[f.a] = _codes_at(in_table, f.a)
        return main_in[f.a][in_ids[klass[f.b], :]]

    outside = np.array([e.pod is None and e.host is None for e in (eps[r] for r in reps)], bool)
    codes = np.zeros((n_c, len(kept)), np.int8)
    overrides: dict[tuple[int, int], int] = {}
    hosts_on: dict[str, list[int]] = {}
    for i, e in enumerate(eps):
        if e.host is not None:
            hosts_on.setdefault(e.host.name, []).append(i)
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # per flow class: (egress, verdict) per source class

    def columns(f: _Flow) -> tuple[np.ndarray, np.ndarray]:
        key = (int(klass[f.b]) if f.b >= 0 else None, f.v, f.a)  # what the columns depend on
        hit = cache.get(key)
        if hit is None:
            eg = egress(f)
            hit = cache[key] = (eg, _then(eg, ingress(f)))
        return hit

    for t, (target, flows) in enumerate(zip(kept, flows_of)):
        cols = [columns(f) for f, _ in flows]
        distinct = list({id(v): v for _, v in cols}.values())
        column = _aggregate(np.stack(distinct, axis=1) if distinct else np.zeros((n_c, 0), np.int8))
        if target.service.type not in OUTSIDE_TYPES:
            column[outside] = NOT_APPLICABLE
        codes[:, t] = column
        # sources that are themselves special for some flow: a backend (hairpin), a node's host
        special: dict[int, dict[int, int]] = {}
        for k, (f, ep) in enumerate(flows):
            if ep.is_pod and f.b >= 0:
                special.setdefault(f.b, {})[k] = int(cols[k][0][klass[f.b]])  # egress decides
            if ep.is_pod and ep.node_name:
                for h in hosts_on.get(ep.node_name, ()):
                    special.setdefault(h, {})[k] = ALLOW  # host side: no egress policy; ingress exempt
        for i, changed in special.items():
            c = klass[i]
            if all(int(cols[k][1][c]) == code for k, code in changed.items()):
                continue  # the exception gives what the class has
            seen = {changed.get(k, int(v[c])) for k, (_, v) in enumerate(cols)}
            code = seen.pop() if len(seen) == 1 else UNKNOWN
            if code != codes[c, t]:
                overrides[(i, t)] = code
    notes.extend(_outside_notes(kept, outside.any()))
    return ServiceMatrix(kept, codes, overrides, notes)


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
