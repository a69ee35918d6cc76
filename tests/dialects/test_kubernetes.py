"""Kubernetes NetworkPolicy: defaulting, empty vs missing, peers, ports, validation errors."""

import pytest

from helpers import build, errors_of, verdict, warnings_of, world


def np(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def test_policy_types_default_ingress_only_without_egress_rules():
    c = build(world() + [np("p", "x", {"podSelector": {"matchLabels": {"pod": "a"}}, "egress": []})])
    (policy,) = c.model.policies
    assert [d.value for d in policy.isolates] == ["ingress"]
    assert verdict(c, "y/a", "x/a") == "Drop"
    assert verdict(c, "x/a", "y/a") == "Allow"


def test_policy_types_default_adds_egress_with_egress_rules():
    c = build(world() + [np("p", "x", {"podSelector": {"matchLabels": {"pod": "a"}},
                                       "egress": [{"to": [{"podSelector": {}}]}]})])
    assert sorted(d.value for d in c.model.policies[0].isolates) == ["egress", "ingress"]
    assert verdict(c, "x/a", "x/b") == "Allow"
    assert verdict(c, "x/a", "y/a") == "Drop"
    assert verdict(c, "x/b", "x/a") == "Drop"  # isolated for ingress, no ingress rules


def test_empty_rule_allows_all_but_empty_list_allows_nothing():
    allow = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{}]})])
    deny = build(world() + [np("p", "x", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []})])
    assert verdict(allow, "y/a", "x/a", 9999, "UDP") == "Allow"
    assert verdict(deny, "y/a", "x/a") == "Drop"


def test_and_vs_or_peers():
    anded = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": {"matchLabels": {"pod": "a"}}}]}]})])
    ored = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"ns": "y"}}}, {"podSelector": {"matchLabels": {"pod": "a"}}}]}]})])
    assert [verdict(anded, s, "x/b") for s in ("y/a", "y/b", "x/a")] == ["Allow", "Drop", "Drop"]
    assert [verdict(ored, s, "x/b") for s in ("y/a", "y/b", "x/a", "z/a")] == ["Allow", "Allow", "Allow", "Drop"]


def test_named_port_is_protocol_aware_and_resolved_on_destination():
    c = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"ports": [{"port": "dns", "protocol": "UDP"}]}]})])
    assert verdict(c, "y/a", "x/a", 53, "UDP") == "Allow"
    assert verdict(c, "y/a", "x/a", 53, "TCP") == "Drop"
    tcp_name = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"ports": [{"port": "dns"}]}]})])
    assert verdict(tcp_name, "y/a", "x/a", 53, "UDP") == "Drop"  # dns is UDP; the rule says TCP


def test_protocol_only_port_and_endport_and_sctp_isolation():
    c = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"ports": [
        {"protocol": "SCTP"}, {"protocol": "TCP", "port": 8000, "endPort": 8010}]}]})])
    assert verdict(c, "y/a", "x/a", 5, "SCTP") == "Allow"
    assert verdict(c, "y/a", "x/a", 8010) == "Allow"
    assert verdict(c, "y/a", "x/a", 8011) == "Drop"
    assert verdict(c, "y/a", "x/a", 80, "UDP") == "Drop"


def test_icmp_is_dropped_by_isolation_unless_a_rule_has_no_ports():
    ports = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]})])
    any_port = build(world() + [np("p", "x", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})])
    assert verdict(ports, "x/b", "x/a", protocol="ICMP") == "Drop"
    assert verdict(any_port, "x/b", "x/a", protocol="ICMP") == "Allow"


def test_ipblock_except_and_external_addresses():
    c = build(world() + [np("p", "x", {"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
                                       "egress": [{"to": [{"ipBlock": {"cidr": "10.10.0.0/16",
                                                                        "except": ["10.10.1.20/30"]}}]}]})])
    assert verdict(c, "x/a", "z/a") == "Allow"  # 10.10.1.31: in the cidr, outside the except
    assert verdict(c, "x/a", "y/c") == "Drop"   # 10.10.1.23: inside the except .20-.23
    assert verdict(c, "x/a", "y/a") == "Drop"   # 10.10.1.21
    assert verdict(c, "x/a", "8.8.8.8") == "Drop"
    assert verdict(c, "8.8.8.8", "x/a") == "Allow"  # from outside: only the destination's ingress


@pytest.mark.parametrize("spec,message", [
    ({"podSelector": {}, "policyTypes": ["Sideways"]}, "policyTypes ['Sideways'] must list only Ingress and/or Egress"),
    ({"podSelector": {}, "ingress": [{"from": [{}]}]}, "a peer must set at least one of"),
    ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
     "ipBlock cannot be combined"),
    ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}]}, "is not a valid CIDR"),
    ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}]},
     "is not a strict subset"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": 80, "endPort": 79}]}]}, "`endPort` should be greater"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": "http", "endPort": 90}]}]}, "if `port` is a string"),
    ({"podSelector": {}, "ingress": [{"ports": [{"port": 70000}]}]}, "out of range"),
    ({"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP"}]}]}, "protocol 'ICMP' is not one of"),
    ({"podSelector": {"matchExpressions": [{"key": "a", "operator": "Has"}]}}, "unknown operator 'Has'"),
])
def test_validation_errors_name_the_field(spec, message):
    errors = errors_of(world() + [np("bad", "x", spec)])
    assert any(message in e for e in errors), errors
    assert all(e.split(":")[0].startswith("spec") for e in errors)


def test_one_bad_policy_does_not_hide_another():
    errors = errors_of(world() + [np("a", "x", {"podSelector": {}, "policyTypes": ["Nope"]}),
                                  np("b", "x", {"podSelector": {}, "ingress": [{"ports": [{"port": 0}]}]})])
    assert len(errors) == 2


def test_unknown_fields_warn():
    warnings = warnings_of(world() + [np("p", "x", {"podSelector": {}, "ingres": [{}]})])
    assert any("spec.ingres" in w for w in warnings)
