"""AdminNetworkPolicy, BaselineAdminNetworkPolicy, v1alpha2 ClusterNetworkPolicy: order per CNI,
peers, ports, validation."""

import pytest

from helpers import build, errors_of, pod, run_trace, verdict, warnings_of, world

NSX = lambda n: {"matchLabels": {"ns": n}}  # noqa: E731


def anp(name, priority, subject, ingress=None, egress=None):
    spec = {"priority": priority, "subject": subject}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def banp(subject, ingress=None, egress=None, name="default"):
    spec = {"subject": subject, **({"ingress": ingress} if ingress else {}), **({"egress": egress} if egress else {})}
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def cnp(name, tier, priority, subject, ingress=None, egress=None):
    spec = {"tier": tier, "priority": priority, "subject": subject}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def np_allow_all(ns):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow", "namespace": ns},
            "spec": {"podSelector": {}, "ingress": [{}]}}


def np_deny(ns):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


X = {"namespaces": NSX("x")}
FROM_Y = [{"namespaces": NSX("y")}]


def test_generic_order_admin_then_networkpolicy_then_baseline():
    deny_y = banp(X, ingress=[{"action": "Deny", "from": FROM_Y}])
    pass_y = anp("p", 10, X, ingress=[{"action": "Pass", "from": FROM_Y}])
    assert verdict(build(world() + [deny_y]), "y/a", "x/a") == "Drop"
    assert verdict(build(world() + [deny_y, pass_y]), "y/a", "x/a") == "Drop"       # Pass falls to BANP
    assert verdict(build(world() + [deny_y, pass_y, np_allow_all("x")]), "y/a", "x/a") == "Allow"  # NP decides
    t = run_trace(build(world() + [deny_y, np_deny("x")] + [anp("a", 1, X, ingress=[{"action": "Allow", "from": FROM_Y}])]),
                  "y/a", "x/a")
    assert t.verdict.value == "Allow" and t.paths[0].decision.rule.policy.kind == "AdminNetworkPolicy"


def test_lower_priority_number_first_and_equal_priorities_are_reported():
    objs = world() + [anp("b-deny", 5, X, ingress=[{"action": "Deny", "from": FROM_Y}]),
                      anp("a-allow", 5, X, ingress=[{"action": "Allow", "from": FROM_Y}]),
                      anp("z-first", 1, X, ingress=[{"action": "Deny", "from": [{"namespaces": NSX("z")}]}])]
    c = build(objs)
    t = run_trace(c, "y/a", "x/a")
    assert t.verdict.value == "Allow" and "AdminNetworkPolicy/b-deny" in t.paths[0].decision.tie_note
    assert verdict(c, "z/a", "x/a") == "Drop"


def test_networks_match_pods_nodes_match_node_addresses_and_hostnetwork_pods():
    objs = world() + [pod("x", "h", "172.18.0.3", {"pod": "h"}, host_network=True)]
    c = build(objs + [anp("e", 1, {"namespaces": NSX("y")}, egress=[
        {"action": "Allow", "to": [{"pods": {"namespaceSelector": NSX("z"), "podSelector": {}}}]},
        {"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "control-plane"}}}]},
        {"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}])])
    assert verdict(c, "y/a", "z/a") == "Allow"
    assert verdict(c, "y/a", "x/a") == "Drop"          # networks 0.0.0.0/0 covers pods too
    assert verdict(c, "y/a", "172.18.0.2", 6443) == "Drop"
    t = run_trace(c, "y/a", "x/h", 80)                  # hostNetwork pod = its node's address
    assert t.verdict.value == "Drop" and t.paths[0].flow.dst.ip == "172.18.0.3"


def test_ports_named_range_and_cnp_protocols():
    c = build(world() + [anp("p", 1, X, ingress=[
        {"action": "Allow", "from": FROM_Y, "ports": [{"namedPort": "dns"}]},
        {"action": "Allow", "from": FROM_Y, "ports": [{"portRange": {"protocol": "TCP", "start": 8000, "end": 8100}}]},
        {"action": "Deny", "from": FROM_Y}])])
    assert verdict(c, "y/a", "x/a", 53, "UDP") == "Allow"   # named port takes the container port's protocol
    assert verdict(c, "y/a", "x/a", 53, "TCP") == "Drop"
    assert verdict(c, "y/a", "x/a", 8100) == "Allow"
    c = build(world() + [cnp("c", "Admin", 1, X, ingress=[
        {"action": "Accept", "from": FROM_Y, "protocols": [{"udp": {}}, {"tcp": {"destinationPort": {"number": 81}}}]},
        {"action": "Deny", "from": FROM_Y}])])
    assert [verdict(c, "y/a", "x/a", p, proto) for p, proto in ((9, "UDP"), (81, "TCP"), (80, "TCP"))] == \
        ["Allow", "Allow", "Drop"]


def test_cnp_baseline_pass_continues_and_banp_comes_last_in_baseline():
    objs = world() + [cnp("base", "Baseline", 5, X, ingress=[{"action": "Pass", "from": FROM_Y}]),
                      banp(X, ingress=[{"action": "Deny", "from": FROM_Y}])]
    t = run_trace(build(objs), "y/a", "x/a")
    assert t.verdict.value == "Allow" and t.paths[0].decision.kind == "default"


def test_antrea_placement():
    tiered = lambda tier, action: {  # noqa: E731
        "apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": f"{tier}-{action}"},
        "spec": {"tier": tier, "priority": 1, "appliedTo": [{"namespaceSelector": NSX("x")}],
                 "ingress": [{"action": action, "from": [{"namespaceSelector": NSX("y")}]}]}}
    allow_anp = anp("a", 1, X, ingress=[{"action": "Allow", "from": FROM_Y}])
    deny_anp = anp("d", 1, X, ingress=[{"action": "Deny", "from": FROM_Y}])
    # native application tier (250) beats ANP (251); ANP beats NetworkPolicy and native baseline
    assert verdict(build(world() + [tiered("application", "Drop"), allow_anp]), "y/a", "x/a") == "Drop"
    assert verdict(build(world() + [deny_anp, np_allow_all("x")]), "y/a", "x/a") == "Drop"
    assert verdict(build(world() + [allow_anp, tiered("baseline", "Drop")]), "y/a", "x/a") == "Allow"
    # CNP Admin (220) sits between platform (200) and application (250)
    admin_allow = cnp("adm", "Admin", 1, X, ingress=[{"action": "Accept", "from": FROM_Y}])
    assert verdict(build(world() + [tiered("platform", "Drop"), admin_allow]), "y/a", "x/a") == "Drop"
    assert verdict(build(world() + [tiered("application", "Drop"), admin_allow]), "y/a", "x/a") == "Allow"
    # native baseline (253) before BANP (254)
    c = build(world() + [tiered("baseline", "Allow"), banp(X, ingress=[{"action": "Deny", "from": FROM_Y}])])
    assert verdict(c, "y/a", "x/a") == "Allow"
    names = [s.name for s in c.model.stages]
    assert names.index("tier:baseline") < names.index("baseline-admin")


def test_unknown_peer_fails_closed():
    objs = world() + [anp("p", 1, X, ingress=[{"action": "Deny", "from": [{"futurePeer": {}}]}])]
    assert any("failing closed" in w for w in warnings_of(objs))
    assert verdict(build(objs), "y/a", "x/a") == "Drop"
    objs = world() + [anp("p", 1, X, ingress=[{"action": "Allow", "from": [{"futurePeer": {}}]}]), np_deny("x")]
    assert verdict(build(objs), "y/a", "x/a") == "Drop"


def test_domain_names_are_unknown_when_reached():
    c = build(world() + [anp("p", 1, {"namespaces": NSX("y")}, egress=[
        {"action": "Allow", "to": [{"domainNames": ["*.example.com"]}]},
        {"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}])])
    assert verdict(c, "y/a", "203.0.113.9", 443) == "Unknown"


@pytest.mark.parametrize("obj,message", [
    (anp("p", 1001, X), "priority 1001 is out of range [0, 1000]"),
    (banp(X, name="other"), "its name must be 'default'"),
    (anp("p", 1, {"namespaces": {}, "pods": {"podSelector": {}, "namespaceSelector": {}}}),
     "subject must set exactly one of namespaces, pods"),
    (anp("p", 1, {"pods": {"podSelector": {}}}), "namespaceSelector is required"),
    (anp("p", 1, X, ingress=[{"action": "Accept", "from": FROM_Y}]), "action 'Accept' is not one of Allow, Deny, Pass"),
    (banp(X, ingress=[{"action": "Pass", "from": FROM_Y}]), "action 'Pass' is not one of Allow, Deny"),
    (cnp("c", "Admin", 1, X, ingress=[{"action": "Allow", "from": FROM_Y}]), "action 'Allow' is not one of Accept"),
    (cnp("c", "Middle", 1, X), "tier 'Middle' is not one of Admin, Baseline"),
    (anp("p", 1, X, ingress=[{"action": "Deny"}]), "from must list at least one peer"),
    (anp("p", 1, X, ingress=[{"action": "Deny", "from": FROM_Y}] * 101), "at most 100 ingress rules"),
    (cnp("c", "Admin", 1, X, ingress=[{"action": "Deny", "from": FROM_Y}] * 26), "at most 25 ingress rules"),
    (anp("p", 1, X, egress=[{"action": "Allow", "to": [{"networks": ["10.0.0.0/8"]}], "ports": [{"namedPort": "web"}]}]),
     "cannot be set with namedPorts"),
    (anp("p", 1, X, egress=[{"action": "Deny", "to": [{"domainNames": ["a.example.com"]}]}]),
     "domainNames may only be used in Allow rules"),
    (anp("p", 1, X, ingress=[{"action": "Deny", "from": FROM_Y, "ports": [{"portRange": {"start": 9, "end": 9}}]}]),
     "Start port must be less than End port"),
    (anp("p", 1, X, ingress=[{"action": "Deny", "from": [{"namespaces": NSX("y"), "pods": {}}]}]),
     "a peer must set exactly one of namespaces, pods"),
    ({"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy", "metadata": {"name": "m"},
      "spec": {"priority": 1, "appliedTo": [{"podSelector": {}}]}}, "looks like an Antrea ClusterNetworkPolicy"),
    ({"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "m"},
      "spec": {"tier": "Admin", "priority": 1, "subject": X}}, "looks like the upstream ClusterNetworkPolicy"),
])
def test_validation(obj, message):
    errors = errors_of(world() + [obj])
    assert any(message in e for e in errors), errors


def test_two_banps_are_refused():
    a = banp(X, ingress=[{"action": "Deny", "from": FROM_Y}])
    assert any("singleton" in e for e in errors_of(world() + [a, dict(a, metadata={"name": "default", "x": 1})]))


def test_antrea_tier_at_220_blocks_cluster_network_policies():
    tier = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "Tier", "metadata": {"name": "t220"}, "spec": {"priority": 220}}
    errors = errors_of(world() + [tier, cnp("c", "Admin", 1, X, ingress=[{"action": "Deny", "from": FROM_Y}])])
    assert any("ClusterNetworkPolicy creation is blocked" in e for e in errors)
    assert not errors_of(world() + [tier])
