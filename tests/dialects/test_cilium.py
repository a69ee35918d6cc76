"""Cilium: CNP/CCNP namespace rules, entities, CIDRs, ports, deny-before-allow, default deny,
Unknown for L7/FQDN/toServices, `specs` lists, validation."""

from helpers import build, errors_of, namespace, node, pod, verdict, warnings_of

V2 = "cilium.io/v2"


def cluster():
    objs = [node("n1", "172.18.0.2"), node("n2", "172.18.0.3"),
            namespace("x", team="blue"), namespace("y", team="red")]
    objs += [pod("x", "a", "10.0.1.1", {"app": "a"}, node="n1", ports=[("http", 8080, "TCP")]),
             pod("x", "b", "10.0.1.2", {"app": "b"}, node="n1"),
             pod("x", "c", "10.0.2.3", {"app": "c"}, node="n2", sa="robot"),
             pod("y", "a", "10.0.2.4", {"app": "a"}, node="n2")]
    return objs


def cnp(name, spec, ns="x"):
    return {"apiVersion": V2, "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def ccnp(name, spec):
    return {"apiVersion": V2, "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": name}, "spec": spec}


A = {"matchLabels": {"app": "a"}}


def test_cni_is_inferred_and_l4_only_rule_admits_every_peer_on_its_ports():
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "ingress": [
        {"toPorts": [{"ports": [{"port": "80"}]}]}]})])
    assert c.model.cni == "cilium"
    assert verdict(c, "y/a", "x/a", 80) == "Allow"
    assert verdict(c, "y/a", "x/a", 80, "UDP") == "Allow"      # protocol left out = ANY = TCP and UDP
    assert verdict(c, "203.0.113.9", "x/a", 80) == "Allow"     # world included
    assert verdict(c, "y/a", "x/a", 81) == "Drop"
    assert verdict(c, "x/b", "x/a", protocol="ICMP") == "Drop"  # only L4 allowed: ICMP blocked


def test_port_ranges_named_ports_and_icmp_fields():
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "ingress": [
        {"fromEndpoints": [{}], "toPorts": [{"ports": [{"port": "9000", "endPort": 9010, "protocol": "TCP"},
                                                        {"port": "http", "protocol": "TCP"}]}]},
        {"fromEndpoints": [{}], "icmps": [{"fields": [{"type": "EchoRequest", "family": "IPv4"}]}]}]})])
    assert verdict(c, "x/b", "x/a", 9010) == "Allow"
    assert verdict(c, "x/b", "x/a", 9011) == "Drop"
    assert verdict(c, "x/b", "x/a", 8080) == "Allow"
    assert verdict(c, "x/b", "x/a", protocol="ICMP") == "Allow"
    assert verdict(c, "x/b", "x/a", protocol="ICMP", icmp_type=13) == "Drop"


def test_cidr_rules_never_match_pods_or_nodes_and_except_removes_a_hole():
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "egress": [
        {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["203.0.113.0/24"]}]}]})])
    assert verdict(c, "x/a", "198.51.100.1") == "Allow"
    assert verdict(c, "x/a", "203.0.113.5") == "Drop"
    assert verdict(c, "x/a", "x/b") == "Drop"                  # a pod is never matched by a CIDR
    assert verdict(c, "x/a", "172.18.0.3") == "Drop"           # nor is a node


def test_host_and_remote_node_entities_depend_on_the_pods_node():
    host = build(cluster() + [ccnp("p", {"endpointSelector": A, "egress": [{"toEntities": ["host"]}]})])
    assert verdict(host, "x/a", "172.18.0.2") == "Allow"       # x/a runs on n1
    assert verdict(host, "x/a", "172.18.0.3") == "Drop"
    assert verdict(host, "y/a", "172.18.0.3") == "Allow"       # y/a runs on n2
    assert verdict(host, "y/a", "172.18.0.2") == "Drop"
    remote = build(cluster() + [ccnp("p", {"endpointSelector": A, "ingress": [{"fromEntities": ["remote-node"]}]})])
    assert verdict(remote, "172.18.0.3", "x/a") == "Allow"
    assert verdict(remote, "172.18.0.2", "x/a") == "Allow"     # own node: always allowed (allow-localhost)
    assert verdict(remote, "172.18.0.2", "y/a") == "Allow"
    assert verdict(remote, "x/b", "x/a") == "Drop"


def test_world_and_cluster_entities():
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "egress": [{"toEntities": ["world"]}]})])
    assert verdict(c, "x/a", "203.0.113.1") == "Allow"
    assert verdict(c, "x/a", "y/a") == "Drop"
    assert verdict(c, "x/a", "172.18.0.3") == "Drop"           # a node is remote-node, not world
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "egress": [{"toEntities": ["cluster"]}]})])
    assert verdict(c, "x/a", "y/a") == "Allow"
    assert verdict(c, "x/a", "172.18.0.3") == "Allow"
    assert verdict(c, "x/a", "203.0.113.1") == "Drop"


def test_namespace_labels_service_account_and_match_expressions_in_peers():
    c = build(cluster() + [ccnp("p", {"endpointSelector": A, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.team": "blue"}}]}]})])
    assert verdict(c, "x/b", "y/a") == "Allow"
    assert verdict(c, "y/a", "x/a") == "Drop"
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "robot"}}]}]})])
    assert verdict(c, "x/c", "x/a") == "Allow"
    assert verdict(c, "x/b", "x/a") == "Drop"
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "ingress": [{"fromEndpoints": [{"matchExpressions": [
        {"key": "k8s:io.kubernetes.pod.namespace", "operator": "In", "values": ["y"]}]}]}]})])
    assert verdict(c, "y/a", "x/a") == "Allow"
    assert verdict(c, "x/b", "x/a") == "Drop"


def test_specs_list_each_rule_set_selects_its_own_pods():
    c = build(cluster() + [{"apiVersion": V2, "kind": "CiliumNetworkPolicy", "metadata": {"name": "m", "namespace": "x"},
                            "specs": [{"endpointSelector": A, "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "b"}}]}]},
                                      {"endpointSelector": {"matchLabels": {"app": "b"}}, "ingress": [{}]}]}])
    assert verdict(c, "x/b", "x/a") == "Allow"
    assert verdict(c, "x/c", "x/a") == "Drop"
    assert verdict(c, "x/a", "x/b") == "Drop"
    assert {p.ref.name for p in c.model.policies} == {"m[0]", "m[1]"}


def test_l7_fqdn_and_to_services_are_unknown_but_decided_rules_still_decide():
    c = build(cluster() + [cnp("p", {"endpointSelector": A, "egress": [
        {"toEndpoints": [{"matchLabels": {"app": "b"}}], "toPorts": [{"ports": [{"port": "80"}],
                                                                      "rules": {"http": [{"method": "GET"}]}}]},
        {"toFQDNs": [{"matchName": "example.com"}]},
        {"toEndpoints": [{"matchLabels": {"app": "c"}}]}]})])
    assert verdict(c, "x/a", "x/b", 80) == "Unknown"
    assert verdict(c, "x/a", "203.0.113.1", 443) == "Unknown"
    assert verdict(c, "x/a", "x/c", 80) == "Allow"
    s = build(cluster() + [cnp("p", {"endpointSelector": A, "egress": [
        {"toServices": [{"k8sService": {"serviceName": "s", "namespace": "x"}}]}]})])
    assert verdict(s, "x/a", "x/b") == "Unknown"


def test_deny_wins_even_inside_a_default_allow_policy_and_admin_policies_are_not_enforced():
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "deny"}, "spec": {"priority": 1, "subject": {"namespaces": {}},
                                                   "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}}
    objs = cluster() + [ccnp("d", {"endpointSelector": {}, "enableDefaultDeny": {"egress": False},
                                   "egressDeny": [{"toEntities": ["world"], "toPorts": [{"ports": [{"port": "25"}]}]}]}),
                        anp]
    c = build(objs, cni="cilium")
    assert verdict(c, "x/a", "203.0.113.1", 25) == "Drop"
    assert verdict(c, "x/a", "203.0.113.1", 443) == "Allow"
    assert verdict(c, "x/b", "y/a", 80) == "Allow"             # the ANP has no effect under Cilium
    assert any("not enforced by cilium" in w for w in warnings_of(objs, cni="cilium"))


def test_validation_errors_name_the_field():
    bad_entity = errors_of(cluster() + [cnp("p", {"endpointSelector": A, "ingress": [{"fromEntities": ["moon"]}]})])
    assert any("spec.ingress[0].fromEntities[0]" in e and "moon" in e for e in bad_entity)
    bad_range = errors_of(cluster() + [cnp("p", {"endpointSelector": A, "ingress": [
        {"toPorts": [{"ports": [{"port": "90", "endPort": 80}]}]}]})])
    assert any("endPort" in e for e in bad_range)
    no_selector = errors_of(cluster() + [cnp("p", {"ingress": [{}]})])
    assert any("endpointSelector" in e for e in no_selector)
    wrong_cni = errors_of(cluster() + [cnp("p", {"endpointSelector": A})], cni="antrea")
    assert any("--cni cilium" in e for e in wrong_cni)
