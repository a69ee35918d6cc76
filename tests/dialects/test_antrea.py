"""Antrea: tiers, ordering, Pass, baseline, groups, peers, ports, webhook validation."""

import pytest

from helpers import build, errors_of, node, pod, run_trace, service, verdict, warnings_of, world

V1B1 = "crd.antrea.io/v1beta1"


def acnp(name, spec, api=V1B1):
    return {"apiVersion": api, "kind": "ClusterNetworkPolicy", "metadata": {"name": name}, "spec": spec}


def annp(name, ns, spec):
    return {"apiVersion": V1B1, "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def tier(name, priority):
    return {"apiVersion": V1B1, "kind": "Tier", "metadata": {"name": name}, "spec": {"priority": priority}}


def cg(name, spec, kind="ClusterGroup", ns=None):
    md = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": V1B1, "kind": kind, "metadata": md, "spec": spec}


def k8s_np(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


NS = lambda n: {"namespaceSelector": {"matchLabels": {"ns": n}}}  # noqa: E731
POD = lambda p: {"podSelector": {"matchLabels": {"pod": p}}}  # noqa: E731
TO_X = {"appliedTo": [NS("x")]}


def rule(action, peers=None, ports=None, direction="ingress", **extra):
    r = {"action": action, **extra}
    if peers is not None:
        r["from" if direction == "ingress" else "to"] = peers
    if ports is not None:
        r["ports"] = ports
    return r


def test_native_allow_never_isolates():
    c = build(world() + [acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Allow", [NS("y")])]})])
    assert verdict(c, "z/a", "x/a") == "Allow"


def test_tier_order_beats_policy_priority():
    c = build(world() + [
        acnp("low", {"priority": 1, "tier": "application", **TO_X, "ingress": [rule("Drop", [NS("z")])]}),
        acnp("high", {"priority": 10, "tier": "securityops", **TO_X, "ingress": [rule("Allow", [NS("z")])]})])
    t = run_trace(c, "z/a", "x/a")
    assert t.verdict.value == "Allow"
    assert t.paths[0].decision.rule.policy.name == "high"


def test_custom_and_nsx_tiers_order_with_system_tiers():
    c = build(world() + [tier("nsx-category-emergency", 1), tier("team", 240),
                         acnp("nsx", {"priority": 1.0000000177635693, "tier": "nsx-category-emergency", **TO_X,
                                      "ingress": [rule("Drop", [NS("z")])]}),
                         acnp("em", {"priority": 1, "tier": "Emergency", **TO_X,
                                     "ingress": [rule("Allow", [NS("z")])]})])
    assert [s.name for s in c.model.stages][:3] == ["tier:nsx-category-emergency", "tier:emergency", "tier:securityops"]
    assert "tier:team" in [s.name for s in c.model.stages]
    assert verdict(c, "z/a", "x/a") == "Drop"


def test_same_priority_rules_interleave_by_index_and_ties_break_by_name():
    c = build(world() + [
        acnp("b-allow", {"priority": 5, **TO_X, "egress": [rule("Allow", [NS("z")], direction="egress"),
                                                            rule("Allow", [NS("y")], direction="egress")]}),
        acnp("a-deny", {"priority": 5, **TO_X, "egress": [rule("Drop", [NS("y")], direction="egress"),
                                                           rule("Drop", [NS("z")], direction="egress")]}),
        acnp("c-deny", {"priority": 5, **TO_X, "egress": [rule("Drop", [NS("z")], direction="egress")]})])
    assert verdict(c, "x/a", "y/a") == "Drop"      # a-deny rule 0 beats b-allow rule 1
    t = run_trace(c, "x/a", "z/a")                  # b-allow rule 0 vs c-deny rule 0: name order
    assert t.verdict.value == "Allow"
    assert "tie" in t.paths[0].decision.tie_note and "c-deny" in t.paths[0].decision.tie_note


def test_pass_skips_all_native_tiers_to_networkpolicy_then_baseline():
    policies = [
        acnp("pass", {"priority": 1, "tier": "securityops", **TO_X, "ingress": [rule("Pass", [NS("y")])]}),
        acnp("later-drop", {"priority": 1, "tier": "application", **TO_X, "ingress": [rule("Drop", [NS("y")])]}),
        acnp("base", {"priority": 1, "tier": "baseline", **TO_X, "ingress": [rule("Reject", [NS("y")])]}),
    ]
    c = build(world() + policies)
    t = run_trace(c, "y/a", "x/a")
    assert t.verdict.value == "Reject"
    stages = {s.stage.name: s.outcome for s in t.paths[0].ingress.stages}
    assert stages["tier:securityops"] == "pass" and stages["tier:application"] == "skipped"
    # a NetworkPolicy that isolates x decides before baseline, either way
    allow_np = k8s_np("allow-y", "x", {"podSelector": {}, "ingress": [{"from": [NS("y")]}]})
    assert verdict(build(world() + policies + [allow_np]), "y/a", "x/a") == "Allow"
    deny_np = k8s_np("deny", "x", {"podSelector": {}, "policyTypes": ["Ingress"]})
    t = run_trace(build(world() + policies + [deny_np]), "y/a", "x/a")
    assert t.verdict.value == "Drop" and t.paths[0].decision.kind == "isolation"
    assert "NetworkPolicy/x/deny" in t.paths[0].decision.explanation


def test_egress_allow_does_not_override_ingress_drop():
    c = build(world() + [
        acnp("e", {"priority": 1, "tier": "emergency", "appliedTo": [NS("y")],
                   "egress": [rule("Allow", [NS("x")], direction="egress")]}),
        acnp("i", {"priority": 1, **TO_X, "ingress": [rule("Drop", [NS("y")])]})])
    t = run_trace(c, "y/a", "x/a")
    assert t.verdict.value == "Drop" and t.paths[0].decision.side == "ingress"


def test_self_and_same_labels_namespaces():
    objs = world()
    for o in objs:
        if o["kind"] == "Namespace":
            o["metadata"]["labels"]["team"] = {"x": "red", "y": "red", "z": "blue"}[o["metadata"]["name"]]
    c = build(objs + [acnp("iso", {"priority": 1, "appliedTo": [{"namespaceSelector": {}}], "ingress": [
        rule("Allow", [{"namespaces": {"sameLabels": ["team"]}}]), rule("Drop", [{"namespaceSelector": {}}])]})])
    assert [verdict(c, s, "x/a") for s in ("x/b", "y/b", "z/b")] == ["Allow", "Allow", "Drop"]
    c = build(world() + [acnp("iso", {"priority": 1, "appliedTo": [{"namespaceSelector": {}}], "ingress": [
        rule("Allow", [{"namespaces": {"match": "Self"}}]), rule("Drop", [{"namespaceSelector": {}}])]})])
    assert [verdict(c, s, "y/a") for s in ("y/b", "x/b")] == ["Allow", "Drop"]


def test_same_labels_missing_key_gets_no_rule():
    c = build(world() + [acnp("iso", {"priority": 1, "appliedTo": [{"namespaceSelector": {}}], "ingress": [
        rule("Allow", [{"namespaces": {"sameLabels": ["absent"]}}]), rule("Drop", [{"namespaceSelector": {}}])]})])
    assert verdict(c, "x/b", "x/a") == "Drop"


def test_annp_pod_selector_is_namespace_local_acnp_is_cluster_wide():
    c = build(world() + [annp("n", "x", {"priority": 1, "appliedTo": [POD("a")], "ingress": [rule("Drop", [POD("b")])]})])
    assert [verdict(c, s, "x/a") for s in ("x/b", "y/b")] == ["Drop", "Allow"]
    c = build(world() + [acnp("c", {"priority": 1, "appliedTo": [POD("a")], "ingress": [rule("Drop", [POD("b")])]})])
    assert [verdict(c, s, t) for s, t in (("x/b", "x/a"), ("y/b", "x/a"), ("x/b", "z/a"))] == ["Drop"] * 3


def test_service_account_and_node_selector_peers():
    objs = world()
    objs.append(pod("x", "robot", "10.10.1.19", {"pod": "robot"}, sa="deployer"))
    c = build(objs + [acnp("sa", {"priority": 1, **TO_X, "ingress": [
        rule("Allow", [{"serviceAccount": {"name": "deployer", "namespace": "x"}}]),
        rule("Drop", [{"namespaceSelector": {}}])]}),
        acnp("api", {"priority": 2, "appliedTo": [{"namespaceSelector": {}}], "egress": [
            rule("Drop", [{"nodeSelector": {"matchLabels": {"role": "control-plane"}}}], [{"port": 6443}],
                 direction="egress")]})])
    assert verdict(c, "x/robot", "x/a") == "Allow"
    assert verdict(c, "x/b", "x/a") == "Drop"
    assert verdict(c, "y/a", "172.18.0.2", 6443) == "Drop"
    assert verdict(c, "y/a", "172.18.0.3", 6443) == "Allow"


def test_icmp_type_and_reject():
    c = build(world() + [acnp("icmp", {"priority": 1, "appliedTo": [NS("y")], "egress": [
        rule("Reject", [NS("x")], direction="egress", protocols=[{"icmp": {"icmpType": 8, "icmpCode": 0}}])]})])
    assert verdict(c, "y/a", "x/a", protocol="ICMP") == "Reject"
    assert verdict(c, "y/a", "x/a", protocol="ICMP", icmp_type=13, icmp_code=0) == "Allow"
    assert verdict(c, "y/a", "x/a") == "Allow"


def test_source_port_unknown_without_a_source_port():
    c = build(world() + [acnp("sp", {"priority": 1, **TO_X, "ingress": [
        rule("Drop", [NS("y")], [{"protocol": "TCP", "sourcePort": 32768, "sourceEndPort": 60999}])]})])
    assert verdict(c, "y/a", "x/a") == "Unknown"
    assert verdict(c, "y/a", "x/a", src_port=40000) == "Drop"
    assert verdict(c, "y/a", "x/a", src_port=1000) == "Allow"


def test_fqdn_and_l7_rules_make_unknown_when_reached():
    c = build(world() + [acnp("fqdn", {"priority": 1, "appliedTo": [NS("y")], "egress": [
        rule("Allow", [{"fqdn": "*.example.com"}], direction="egress"),
        rule("Drop", None, [{"port": 443}], direction="egress")]}),
        acnp("l7", {"priority": 2, **TO_X, "ingress": [rule("Allow", None, [{"port": 8080}],
                                                              l7Protocols=[{"http": {"path": "/api"}}])]})])
    t = run_trace(c, "y/a", "93.184.216.34", 443)
    assert t.verdict.value == "Unknown" and "fqdn *.example.com" in t.paths[0].decision.explanation
    assert verdict(c, "z/a", "x/a", 8080) == "Unknown"
    assert verdict(c, "z/a", "x/a", 80) == "Allow"


def test_to_services_matches_the_service_not_its_endpoints():
    objs = world() + [service("x", "web", {"pod": "a"}, [(8000, "serve-81", "TCP")], cluster_ip="10.96.0.10")]
    c = build(objs + [acnp("ts", {"priority": 1, "appliedTo": [NS("y")], "egress": [
        rule("Drop", direction="egress", toServices=[{"name": "web", "namespace": "x"}])]})])
    t = run_trace(c, "y/a", "service/x/web", 8000)
    assert t.verdict.value == "Drop"
    assert t.paths[0].flow.port == 81  # named targetPort resolved on the endpoint
    assert verdict(c, "y/a", "10.96.0.10", 8000) == "Drop"  # a ClusterIP is the Service
    assert verdict(c, "y/a", "x/a", 81) == "Allow"  # direct pod access is not covered


def test_service_traffic_is_evaluated_after_dnat():
    objs = world() + [service("x", "web", {"pod": "a"}, [(8000, 80, "TCP")])]
    c = build(objs + [acnp("d", {"priority": 1, **TO_X, "ingress": [rule("Drop", [NS("y")], [{"port": 80}])]})])
    assert verdict(c, "y/a", "service/x/web", 8000) == "Drop"
    assert verdict(c, "z/a", "service/x/web", 8000) == "Allow"


def test_special_flows():
    objs = world() + [pod("x", "host", "172.18.0.3", {"pod": "host"}, host_network=True),
                      service("x", "self", {"pod": "a"}, [(80, 80, "TCP")])]
    drop_all = acnp("all", {"priority": 1, "appliedTo": [{"namespaceSelector": {}}],
                            "ingress": [rule("Drop")], "egress": [rule("Drop", direction="egress")]})
    c = build(objs + [drop_all])
    assert verdict(c, "x/a", "x/a") == "Allow"             # own IP
    assert verdict(c, "x/host", "x/a") == "Allow"          # node-local host to a local pod
    assert verdict(c, "x/a", "x/host") == "Drop"           # egress of x/a still applies
    assert verdict(c, "172.18.0.2", "x/a") == "Drop"       # a remote node is subject to ingress
    t = run_trace(c, "x/a", "service/x/self")
    assert t.verdict.value == "Drop" and t.paths[0].decision.side == "egress"


def test_groups_child_groups_and_nesting():
    objs = world() + [
        cg("child-a", {"podSelector": {"matchLabels": {"pod": "a"}}}),
        cg("child-ip", {"ipBlocks": [{"cidr": "10.10.1.12/32"}]}),
        cg("parent", {"childGroups": ["child-a", "child-ip", "missing"]}),
        cg("grand", {"childGroups": ["parent"]}),
    ]
    c = build(objs + [acnp("g", {"priority": 1, "appliedTo": [NS("z")], "ingress": [rule("Drop", [{"group": "parent"}])]}),
                      acnp("n", {"priority": 1, "appliedTo": [NS("y")], "ingress": [rule("Drop", [{"group": "grand"}])]})])
    assert [verdict(c, s, "z/c") for s in ("x/a", "y/a", "x/b", "x/c")] == ["Drop", "Drop", "Drop", "Allow"]
    assert verdict(c, "x/a", "y/c") == "Allow"  # nested twice: no members
    warnings = warnings_of(objs + [acnp("g", {"priority": 1, "appliedTo": [NS("z")], "ingress": [rule("Drop", [{"group": "parent"}])]})])
    assert any("child ClusterGroup missing does not exist" in w for w in warnings)


def test_old_api_groups_are_read():
    old = acnp("old", {"priority": 1, "tier": "SecurityOps", **TO_X, "ingress": [rule("Drop", [NS("y")])]},
               api="security.antrea.tanzu.vmware.com/v1alpha1")
    grp = cg("g", {"podSelector": {"matchLabels": {"pod": "b"}}})
    grp["apiVersion"] = "core.antrea.tanzu.vmware.com/v1alpha2"
    c = build(world() + [old, grp, acnp("v1a1", {"priority": 2, "appliedTo": [{"group": "g"}],
                                                 "ingress": [rule("Drop", [NS("z")])]}, api="crd.antrea.io/v1alpha1")])
    assert verdict(c, "y/a", "x/a") == "Drop"
    assert verdict(c, "z/a", "y/b") == "Drop"


@pytest.mark.parametrize("objs,message", [
    ([acnp("p", {"priority": 1, "tier": "nope", **TO_X, "ingress": [rule("Drop")]})], "tier nope does not exist"),
    ([acnp("p", {"priority": 0.5, **TO_X, "ingress": [rule("Drop")]})], "priority 0.5 is out of range [1, 10000]"),
    ([acnp("p", {"priority": 1, "tier": "baseline", **TO_X, "ingress": [rule("Pass")]})],
     "`Pass` action should not be set for Baseline Tier"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop", name="r"), rule("Allow", name="r")]})],
     "rules names must be unique"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop", appliedTo=[NS("y")])]})],
     "appliedTo should not be set in both spec and rules"),
    ([acnp("p", {"priority": 1, "ingress": [rule("Drop")]})], "appliedTo needs to be set in either spec or rules"),
    ([acnp("p", {"priority": 1, "ingress": [rule("Drop", appliedTo=[NS("y")]), rule("Drop")]})],
     "appliedTo field should either be set in all rules or in none of them"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Deny")]})], "action 'Deny' is not one of"),
    ([acnp("p", {"priority": 1, "appliedTo": [{"group": "g", **POD("a")}], "ingress": [rule("Drop")]})],
     "group cannot be set with other peers in appliedTo"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop", [{"ipBlock": {"cidr": "10.0.0.0/8"}, **NS("y")}])]})],
     "ipBlock cannot be set with other peers in rules"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop", [{"namespaces": {"match": "Self"}, **NS("y")}])]})],
     "namespaces and namespaceSelector cannot be set at the same time"),
    ([acnp("p", {"priority": 1, **TO_X, "egress": [rule("Drop", [{"fqdn": "bad_name!"}], direction="egress")]})],
     "invalid characters in egress rule fqdn field"),
    ([acnp("p", {"priority": 1, **TO_X, "egress": [rule("Drop", None, [{"port": 80}], direction="egress",
                                                       toServices=[{"name": "s", "namespace": "x"}])]})],
     "`toServices` cannot be used with `to`, `ports` or `protocols`"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop", None, [{"sourceEndPort": 9}])]})],
     "if `sourceEndPort` is specified `sourcePort` must be specified"),
    ([acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop", l7Protocols=[{"http": {}}])]})],
     "layer 7 protocols only support Allow"),
    ([annp("p", "x", {"priority": 1, "appliedTo": [POD("a")], "ingress": [rule("Drop", [{"namespaces": {"match": "Self"}}])]})],
     "namespaces is only valid in a ClusterNetworkPolicy"),
    ([tier("t", 251)], "tier t priority 251 is reserved"),
    ([tier("t", 100)], "overlaps with existing Tier securityops"),
    ([tier("t", 300)], "priority 300 is out of range [0, 255]"),
    ([cg("g", {"podSelector": {}, "ipBlocks": [{"cidr": "10.0.0.0/8"}]})], "At most one of"),
    ([cg("g", {"childGroups": ["g"]})], "as its own childGroup"),
    ([cg("g", {"serviceReference": {"name": "nosuch", "namespace": "x"}})], "Service x/nosuch, which is not in the input"),
])
def test_webhook_errors(objs, message):
    errors = errors_of(world() + objs)
    assert any(message in e for e in errors), errors


def test_more_than_twenty_tiers_is_refused():
    tiers = [tier(f"t{i}", i) for i in range(1, 16)]
    errors = errors_of(world() + tiers)
    assert sum("maximum number of Tiers supported: 20" in e for e in errors) == 1


def test_generic_cni_refuses_antrea_objects():
    errors = errors_of(world() + [acnp("p", {"priority": 1, **TO_X, "ingress": [rule("Drop")]})], cni="generic")
    assert any("use --cni antrea" in e for e in errors)


def test_unsupported_features_warn_and_match_nothing():
    objs = world() + [acnp("p", {"priority": 1, "appliedTo": [{"nodeSelector": {}}], "ingress": [rule("Drop")]}),
                      acnp("q", {"priority": 1, **TO_X, "ingress": [rule("Drop", [{"externalEntitySelector": {}}])]})]
    warnings = warnings_of(objs)
    assert any("Node NetworkPolicy" in w for w in warnings)
    assert any("externalEntitySelector is not modelled" in w for w in warnings)
    assert verdict(build(objs), "y/a", "x/a") == "Allow"


def test_nsx_managed_policy_is_reported_as_such():
    p = acnp("8f3c", {"priority": 1, **TO_X, "ingress": [rule("Drop", [NS("y")], name="2025")]})
    p["metadata"]["labels"] = {"ccp-adapter.antrea.tanzu.vmware.com/managedBy": "ccp-adapter"}
    p["metadata"]["annotations"] = {"ccp-adapter.antrea.tanzu.vmware.com/display-name": "Block dev"}
    t = run_trace(build(world() + [p]), "y/a", "x/a")
    assert t.paths[0].decision.rule.policy.managed_by == "NSX (ccp-adapter): Block dev"
    assert t.paths[0].decision.rule.name == "2025"


def test_more_nodes_do_not_change_verdicts():
    c = build(world() + [node("node-2", "172.18.0.4")])
    assert verdict(c, "x/a", "y/a") == "Allow"
