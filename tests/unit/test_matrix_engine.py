"""The matrix engine on hand-made clusters: default port classes, compact verdict rows."""

from helpers import build, namespace, pod, verdict
from tierwall.engine.matrix import compute_matrix


def _np(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def _cell(m, src, dst, label):
    keys = [e.label for e in m.endpoints]
    a = [p.label for p in m.ports].index(label)
    return m.verdict(keys.index(src), keys.index(dst), a).value


def test_icmp_and_udp_are_port_classes_even_when_no_rule_names_a_port():
    objs = [namespace("a"), pod("a", "client", "10.0.0.1"), pod("a", "server", "10.0.0.2"),
            _np("deny-in", "a", {"podSelector": {"matchLabels": {"pod": "server"}}, "policyTypes": ["Ingress"]})]
    cluster = build(objs)
    m = compute_matrix(cluster.compiled)
    assert [p.label for p in m.ports] == ["TCP/other", "UDP/other", "ICMP"]
    for label, proto, port in (("TCP/other", "TCP", 80), ("UDP/other", "UDP", 53), ("ICMP", "ICMP", None)):
        assert _cell(m, "a/client", "a/server", label) == "Drop"
        assert _cell(m, "a/server", "a/client", label) == "Allow"
        assert verdict(cluster, "a/client", "a/server", port=port, protocol=proto) == "Drop"


def test_udp_only_egress_drops_ping():
    objs = [namespace("a"), pod("a", "client", "10.0.0.1"), pod("a", "server", "10.0.0.2"),
            _np("udp-out", "a", {"podSelector": {"matchLabels": {"pod": "client"}}, "policyTypes": ["Egress"],
                                 "egress": [{"ports": [{"protocol": "UDP"}]}]})]
    m = compute_matrix(build(objs).compiled)
    assert _cell(m, "a/client", "a/server", "UDP/other") == "Allow"
    assert _cell(m, "a/client", "a/server", "ICMP") == "Drop"
    assert _cell(m, "a/client", "a/server", "TCP/other") == "Drop"


def test_many_port_ranges_share_few_verdict_rows():
    """Port classes cut by 150 distinct ranges still store one row per distinct verdict."""
    objs = [namespace("a")] + [pod("a", f"p{i}", f"10.0.0.{i + 1}", {"app": f"x{i % 3}"}) for i in range(6)]
    for i in range(150):
        objs.append(_np(f"r{i}", "a", {"podSelector": {"matchLabels": {"app": f"x{i % 3}"}},
                                       "policyTypes": ["Ingress"],
                                       "ingress": [{"ports": [{"port": 1000 + 10 * i, "endPort": 1005 + 10 * i}]}]}))
    m = compute_matrix(build(objs).compiled)
    assert len(m.ports) > 150
    assert len(m.sets) <= 4  # x0, x1, x2 targets each allow their own 50 ranges (+ nothing)
    assert _cell(m, "a/p0", "a/p1", "TCP/1010-1015") == "Allow"   # p1 is x1: range i=1
    assert _cell(m, "a/p0", "a/p1", "TCP/1000-1005") == "Drop"


def test_legend_says_service_traffic_is_not_covered_when_toservices_rules_exist():
    from helpers import service, world
    from tierwall.render.matrix import notes
    rule = {"action": "Drop", "toServices": [{"name": "web", "namespace": "x"}]}
    objs = world() + [service("x", "web", {"pod": "a"}, [(8000, "serve-81", "TCP")], cluster_ip="10.96.0.10"),
                      {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "ts"},
                       "spec": {"priority": 1, "appliedTo": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
                                "egress": [rule]}}]
    said = notes(compute_matrix(build(objs, "antrea").compiled))
    assert any("Service" in n and "not covered" in n and "ClusterNetworkPolicy" in n for n in said), said
    assert not any("not covered" in n for n in notes(compute_matrix(build(world(), "antrea").compiled)))


def test_legend_says_which_cells_rest_on_an_invented_address():
    from tierwall.render.matrix import notes
    unscheduled = pod("a", "new", None)
    del unscheduled["status"]["podIP"]
    objs = [namespace("a"), pod("a", "client", "10.0.0.1"), unscheduled,
            _np("to-pods", "a", {"podSelector": {"matchLabels": {"pod": "client"}}, "policyTypes": ["Egress"],
                                 "egress": [{"to": [{"ipBlock": {"cidr": "10.244.0.0/16"}}]}]})]
    said = notes(compute_matrix(build(objs).compiled))
    assert any("invented address" in n and "a/new" in n and "NetworkPolicy/a/to-pods" in n for n in said), said
    objs[-1]["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"] = "192.168.0.0/16"
    assert not any("invented" in n for n in notes(compute_matrix(build(objs).compiled)))


def test_port_classes_match_a_brute_force_cut_of_overlapping_ranges():
    """The sweep that finds which segments some rule mentions (linear in mentions, was a scan of
    every mention per segment) agrees with checking every port of a small space one by one."""
    import random

    from tierwall.engine.portclasses import MAX_PORT, default_port_classes
    rnd = random.Random(7)
    for _ in range(30):
        objs = [namespace("a"), pod("a", "p", "10.0.0.1")]
        mentioned = set()
        ports = []
        for _ in range(rnd.randint(1, 8)):
            start = rnd.choice([1, 2, 50, 80, 81, 100, 1000, MAX_PORT - 1, MAX_PORT])
            end = min(MAX_PORT, start + rnd.choice([0, 0, 1, 5, 30, 2000]))
            ports.append({"port": start, "endPort": end} if end > start else {"port": start})
            mentioned.update(range(start, end + 1))
        objs.append(_np("r", "a", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": ports}]}))
        classes = [c for c in default_port_classes(build(objs).compiled.model, build(objs).compiled.inv)
                   if c.protocol == "TCP"]
        named = {p for c in classes if c.label != "TCP/other" for lo, hi in c.ranges for p in range(lo, hi + 1)}
        assert named == mentioned
        other = [c for c in classes if c.label == "TCP/other"]
        rest = {p for c in other for lo, hi in c.ranges for p in range(lo, hi + 1)}
        assert rest == set(range(1, MAX_PORT + 1)) - mentioned
