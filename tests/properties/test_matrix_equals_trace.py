"""Property: every matrix cell equals ``trace`` for that flow, on random clusters and random
tiered policies (Antrea tiers, Calico tiers, AdminNetworkPolicies, NetworkPolicies, Cilium
policies with entities and CIDRs, with node and outside addresses in the matrix); every Service
cell equals ``trace`` to the Service; and verdicts
do not depend on the order policies were written in."""

import random

from hypothesis import HealthCheck, given, settings

from helpers import build
from strategies import NODES, OUTSIDE, scenario, service_scenario
from tierwall.engine import Flow, Request, trace, trace_flow
from tierwall.engine.matrix import VERDICTS, compute_matrix
from tierwall.engine.services import NOT_APPLICABLE

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cells(cluster, externals=(), outside=False):
    m = compute_matrix(cluster.compiled, externals=list(externals), outside=outside)
    for a, pc in enumerate(m.ports):
        icmp = (8, 0) if pc.protocol == "ICMP" else (None, None)
        for i, src in enumerate(m.endpoints):
            for j, dst in enumerate(m.endpoints):
                yield (src.label, dst.label, pc.label), m.verdict(i, j, a), \
                    trace_flow(cluster.compiled, Flow(src, dst, pc.protocol, pc.port, None, *icmp)).verdict


@SETTINGS
@given(scenario())
def test_matrix_cell_equals_trace(case):
    objs, cni = case
    cluster = build(objs, cni)
    for where, matrix_verdict, trace_verdict in _cells(cluster):
        assert matrix_verdict == trace_verdict, f"{where}: matrix {matrix_verdict}, trace {trace_verdict}\n{objs}"


@SETTINGS
@given(scenario())
def test_verdicts_do_not_depend_on_file_order(case):
    objs, cni = case
    shuffled = list(objs)
    random.Random(7).shuffle(shuffled)
    a = {where: v for where, v, _ in _cells(build(objs, cni))}
    b = {where: v for where, v, _ in _cells(build(shuffled, cni))}
    assert a == b


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(cnis=("cilium",)))
def test_cilium_matrix_cell_equals_trace_with_nodes_and_outside_addresses(case):
    objs, cni = case
    cluster = build(objs, cni)
    for where, matrix_verdict, trace_verdict in _cells(cluster, [ip for _, ip in NODES] + OUTSIDE):
        assert matrix_verdict == trace_verdict, f"{where}: matrix {matrix_verdict}, trace {trace_verdict}\n{objs}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_matrix_cell_equals_trace_for_nodes_cidr_pieces_and_internet(case):
    """The endpoints ``matrix`` and ``diff`` add by default (one per CIDR piece, "internet",
    nodes) and the always-present UDP and ICMP classes agree with trace too."""
    objs, cni = case
    cluster = build(objs, cni)
    seen = set()
    for where, matrix_verdict, trace_verdict in _cells(cluster, outside=True):
        seen.add(where[2].split("/")[0])
        assert matrix_verdict == trace_verdict, f"{where}: matrix {matrix_verdict}, trace {trace_verdict}\n{objs}"
    assert {"TCP", "UDP", "ICMP"} <= seen


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(service_scenario())
def test_service_cells_equal_trace_to_the_service(case):
    """Every (source, Service port) cell is what ``trace --to service/NS/NAME`` says: rules
    naming the Service match, every endpoint is followed (hairpin and node-local included),
    disagreeing endpoints are Unknown, none is Reject. Outside sources read n/a for ClusterIP
    Services (no path) and the trace verdict for NodePort ones."""
    objs, cni = case
    cluster = build(objs, cni)
    m = compute_matrix(cluster.compiled, externals=[ip for _, ip in NODES] + OUTSIDE, outside=True, services=True)
    assert m.services.targets, objs
    for i, src in enumerate(m.endpoints):
        for t, target in enumerate(m.services.targets):
            code = m.services.code(m.klass, i, t)
            if code == NOT_APPLICABLE:
                assert src.kind == "external" and target.service.type == "ClusterIP", (src, target.name)
                continue
            sp = target.port
            want = trace(cluster.compiled, Request(src, None, target.service, sp.protocol, sp.port)).verdict
            assert VERDICTS[code] == want, f"{src.label} -> {target.name} {target.label}: matrix {VERDICTS[code]}, " \
                                           f"trace {want}\n{objs}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_grouped_plan_index_gives_every_pod_the_same_plan(case):
    """Large clusters index plans by hashing each pod's rule set (``_index_grouped``); on the
    same cluster it must give every pod, both directions, exactly the rules the per-pod index
    gives, in the same order — and pods with equal plans share one plan object."""
    import tierwall.engine.compile as compile_module
    from tierwall.engine.compile import compile_cluster
    from tierwall.model import Direction
    objs, cni = case
    cluster = build(objs, cni)
    small = compile_cluster(cluster.compiled.model, cluster.inventory)
    plans = {(pod.index, d): small.plan(pod, d) for pod in cluster.inventory.pods for d in Direction}
    assert small._grouped is None
    saved = compile_module.GROUPED_INDEX_FROM
    compile_module.GROUPED_INDEX_FROM = 0
    try:
        grouped = compile_cluster(cluster.compiled.model, cluster.inventory)
        for pod in cluster.inventory.pods:
            for direction in Direction:
                a, b = plans[(pod.index, direction)], grouped.plan(pod, direction)
                assert [(sp.stage.name, [id(r) for r in sp.rules], [id(p) for p in sp.isolating]) for sp in a] == \
                       [(sp.stage.name, [id(r) for r in sp.rules], [id(p) for p in sp.isolating]) for sp in b]
        assert grouped._grouped is not None
    finally:
        compile_module.GROUPED_INDEX_FROM = saved
