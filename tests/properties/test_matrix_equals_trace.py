"""Property: every matrix cell equals ``trace`` for that flow, on random clusters and random
tiered policies (Antrea tiers, Calico tiers, AdminNetworkPolicies, NetworkPolicies, Cilium
policies with entities and CIDRs, with node and outside addresses in the matrix); and verdicts
do not depend on the order policies were written in."""

import random

from hypothesis import HealthCheck, given, settings

from helpers import build
from strategies import NODES, OUTSIDE, scenario
from tierwall.engine import Flow, trace_flow
from tierwall.engine.matrix import compute_matrix

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
