"""Property: matrix == trace for the conditions the matrix evaluates from the resolved form
beyond peer-and-port — Calico EntityRules (selector, notSelector, serviceAccounts, nets,
notNets, ports, notPorts, services, NetworkSets) and L4 criteria (protocol, notProtocol, icmp,
notICMP, ipVersion) — and Cilium peers (entities host/remote-node/world, CIDR with except,
toServices), with node and outside addresses in the matrix."""

from hypothesis import HealthCheck, given, settings

from condition_strategies import calico_conditions, cilium_with_services
from helpers import build
from strategies import NODES, OUTSIDE
from tierwall.engine import Flow, trace_flow
from tierwall.engine.matrix import compute_matrix

EXTERNALS = [ip for _, ip in NODES] + OUTSIDE + ["10.0.0.1", "203.0.113.200"]


def _mismatches(cluster):
    m = compute_matrix(cluster.compiled, externals=[ip for ip in EXTERNALS
                                                    if ip not in {p.ip for p in cluster.inventory.pods}])
    for a, pc in enumerate(m.ports):
        icmp = (8, 0) if pc.protocol == "ICMP" else (None, None)
        for i, src in enumerate(m.endpoints):
            for j, dst in enumerate(m.endpoints):
                got = m.verdict(i, j, a)
                want = trace_flow(cluster.compiled, Flow(src, dst, pc.protocol, pc.port, None, *icmp)).verdict
                if got != want:
                    yield f"{src.label} -> {dst.label} {pc.label}: matrix {got}, trace {want}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calico_conditions())
def test_matrix_equals_trace_for_calico_entity_and_l4_rules(case):
    objs, cni = case
    bad = list(_mismatches(build(objs, cni)))
    assert not bad, "\n".join(bad[:5]) + f"\n{objs}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cilium_with_services())
def test_matrix_equals_trace_for_cilium_peers_and_services(case):
    objs, cni = case
    bad = list(_mismatches(build(objs, cni)))
    assert not bad, "\n".join(bad[:5]) + f"\n{objs}"
