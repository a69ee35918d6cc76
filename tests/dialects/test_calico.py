"""Calico: policy selection, entity rules, tiers and their end-of-tier action, types
defaulting, Kubernetes NetworkPolicies in the default tier, validation."""

import pytest

from helpers import build, errors_of, namespace, pod, run_trace, service, verdict, warnings_of

V3 = "projectcalico.org/v3"


def cluster():
    objs = [namespace("shop", team="red"), namespace("ops", team="blue"), namespace("other")]
    objs += [pod("shop", "web", "10.1.0.1", {"app": "web"}, ports=[("http", 8080, "TCP"), ("dns", 53, "UDP")]),
             pod("shop", "db", "10.1.0.2", {"app": "db", "tier": "data"}, sa="db-sa"),
             pod("ops", "mon", "10.1.1.1", {"app": "mon"}, sa="monitor"),
             pod("other", "x", "10.1.2.1", {"app": "x"})]
    objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "monitor", "namespace": "ops",
                                                                            "labels": {"role": "scraper"}}})
    return objs


def gnp(name, spec, api=V3, kind="GlobalNetworkPolicy", ns=None):
    md = {"name": name, **({"namespace": ns} if ns else {})}
    return {"apiVersion": api, "kind": kind, "metadata": md, "spec": spec}


def cnp(name, ns, spec):
    return gnp(name, spec, kind="NetworkPolicy", ns=ns)


def tier(name, order=None, action=None):
    spec = {}
    if order is not None:
        spec["order"] = order
    if action:
        spec["defaultAction"] = action
    return {"apiVersion": V3, "kind": "Tier", "metadata": {"name": name}, "spec": spec}


def test_namespaced_policy_selects_only_its_namespace_and_rule_selectors_too():
    c = build(cluster() + [cnp("p", "shop", {"selector": "all()", "ingress": [
        {"action": "Allow", "source": {"selector": "app == 'web'"}}]})], cni="calico")
    assert verdict(c, "shop/web", "shop/db") == "Allow"
    assert verdict(c, "ops/mon", "shop/db") == "Drop"         # end of tier default: selected, nothing allowed
    assert verdict(c, "shop/db", "ops/mon") == "Allow"        # ops pods are not selected
    t = run_trace(c, "ops/mon", "shop/db")
    assert t.paths[0].decision.kind == "end-of-tier"


def test_namespace_and_service_account_selectors_use_profile_labels():
    c = build(cluster() + [gnp("p", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"namespaceSelector": "team == 'blue'",
                                       "serviceAccounts": {"selector": "role == 'scraper'"}}}]})], cni="calico")
    assert verdict(c, "ops/mon", "shop/db") == "Allow"
    assert verdict(c, "shop/web", "shop/db") == "Drop"
    plain = build(cluster() + [gnp("p", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"selector": "team == 'blue'"}}]})], cni="calico")
    assert verdict(plain, "ops/mon", "shop/db") == "Drop"    # namespace labels are not pod labels
    pcns = build(cluster() + [gnp("p", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"selector": "pcns.team == 'blue'"}}]})], cni="calico")
    assert verdict(pcns, "ops/mon", "shop/db") == "Allow"


def test_not_selector_alone_in_namespaced_vs_global_policy():
    ns_pol = build(cluster() + [cnp("p", "shop", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"notSelector": "app == 'web'"}}]})], cni="calico")
    assert verdict(ns_pol, "ops/mon", "shop/db") == "Drop"   # must be a shop endpoint not matching
    assert verdict(ns_pol, "203.0.113.1", "shop/db") == "Drop"
    g = build(cluster() + [gnp("p", {"selector": "app == 'db'", "ingress": [
        {"action": "Allow", "source": {"notSelector": "app == 'web'"}}]})], cni="calico")
    assert verdict(g, "ops/mon", "shop/db") == "Allow"
    assert verdict(g, "203.0.113.1", "shop/db") == "Allow"
    assert verdict(g, "shop/web", "shop/db") == "Drop"


def test_ports_ranges_named_not_ports_and_source_ports():
    c = build(cluster() + [gnp("p", {"selector": "app == 'web'", "ingress": [
        {"action": "Deny", "protocol": "TCP", "destination": {"notPorts": ["8000:9000"]}},
        {"action": "Allow", "protocol": 6, "destination": {"ports": ["http"]}},
        {"action": "Allow", "protocol": "UDP", "source": {"ports": [5353]}}]})], cni="calico")
    assert verdict(c, "ops/mon", "shop/web", 8080) == "Allow"
    assert verdict(c, "ops/mon", "shop/web", 8081) == "Drop"
    assert verdict(c, "ops/mon", "shop/web", 80) == "Drop"
    assert verdict(c, "ops/mon", "shop/web", 53, "UDP") == "Unknown"
    assert verdict(c, "ops/mon", "shop/web", 53, "UDP", src_port=5353) == "Allow"


def test_protocol_icmp_and_not_protocol():
    c = build(cluster() + [gnp("p", {"selector": "app == 'web'", "ingress": [
        {"action": "Allow", "protocol": "ICMP", "icmp": {"type": 8}},
        {"action": "Deny", "notProtocol": "UDP"}]})], cni="calico")
    assert verdict(c, "ops/mon", "shop/web", protocol="ICMP") == "Allow"
    assert verdict(c, "ops/mon", "shop/web", protocol="ICMP", icmp_type=13, icmp_code=0) == "Drop"
    assert verdict(c, "ops/mon", "shop/web", 53, "UDP") == "Drop"   # end of tier, not the Deny rule


def test_log_continues_and_http_is_unknown():
    c = build(cluster() + [gnp("p", {"selector": "app == 'web'", "ingress": [
        {"action": "Log"}, {"action": "Allow", "protocol": "TCP", "http": {"methods": ["GET"]}}]})], cni="calico")
    t = run_trace(c, "ops/mon", "shop/web", 8080)
    assert t.verdict.value == "Unknown" and "HTTP" in t.paths[0].decision.explanation
    assert "logged" in t.paths[0].ingress.stages[-1].rules[0].reason


def test_tiers_order_pass_and_default_action():
    objs = cluster() + [tier("security", 100), tier("team", 5000, "Pass"), tier("last"),
                        gnp("security.quarantine", {"tier": "security", "order": 10, "selector": "app == 'x'",
                                                    "types": ["Ingress", "Egress"], "ingress": [{"action": "Deny"}],
                                                    "egress": [{"action": "Deny"}]}),
                        gnp("security.rest", {"tier": "security", "order": 1000, "selector": "all()",
                                              "ingress": [{"action": "Pass"}]}),
                        gnp("team.only-mon", {"tier": "team", "selector": "app == 'db'", "ingress": [
                            {"action": "Allow", "source": {"selector": "app == 'mon'"}}]}),
                        gnp("last.deny", {"tier": "last", "selector": "app == 'db'", "ingress": [{"action": "Deny"}]})]
    c = build(objs, cni="calico")
    names = [s.name for s in c.model.stages]
    assert names.index("tier:security") < names.index("tier:kube-admin") < names.index("tier:team") < \
        names.index("tier:default") < names.index("tier:kube-baseline") < names.index("tier:last")
    assert verdict(c, "shop/web", "other/x") == "Drop"        # quarantined
    assert verdict(c, "ops/mon", "shop/db") == "Allow"        # passed to team, allowed there
    assert verdict(c, "shop/web", "shop/db") == "Drop"        # team ends in Pass → tier last denies
    assert verdict(c, "ops/mon", "shop/web") == "Allow"       # passed; no later tier selects web → profile


def test_crd_v1_without_types_governs_both_directions_but_v3_defaults():
    raw = gnp("default.deny", {"selector": "app == 'db'"}, api="crd.projectcalico.org/v1")
    v3 = gnp("deny", {"selector": "app == 'db'"})
    assert verdict(build(cluster() + [raw], cni="calico"), "shop/db", "ops/mon") == "Drop"
    assert verdict(build(cluster() + [v3], cni="calico"), "shop/db", "ops/mon") == "Allow"
    assert verdict(build(cluster() + [v3], cni="calico"), "ops/mon", "shop/db") == "Drop"
    egress_only = gnp("e", {"selector": "app == 'db'", "egress": [{"action": "Allow"}]})
    assert [d.value for d in build(cluster() + [egress_only], cni="calico").model.policies[0].isolates] == ["egress"]


def test_kubernetes_networkpolicy_sits_in_default_tier_at_order_1000():
    knp = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow-mon", "namespace": "shop"},
           "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}}
    before = gnp("deny-999", {"order": 999, "selector": "app == 'db'", "ingress": [{"action": "Deny"}]})
    after = gnp("deny-unordered", {"selector": "app == 'db'", "ingress": [{"action": "Deny"}]})
    assert verdict(build(cluster() + [knp, after], cni="calico"), "ops/mon", "shop/db") == "Allow"
    assert verdict(build(cluster() + [knp, before], cni="calico"), "ops/mon", "shop/db") == "Drop"


def test_network_sets_and_global_namespace_selector():
    objs = cluster() + [
        {"apiVersion": V3, "kind": "GlobalNetworkSet", "metadata": {"name": "partners", "labels": {"partner": "yes"}},
         "spec": {"nets": ["203.0.113.0/24"]}},
        {"apiVersion": V3, "kind": "NetworkSet", "metadata": {"name": "office", "namespace": "shop",
                                                              "labels": {"office": "yes"}}, "spec": {"nets": ["198.51.100.0/24"]}},
        cnp("in", "shop", {"selector": "app == 'web'", "ingress": [
            {"action": "Allow", "source": {"namespaceSelector": "global()", "selector": "partner == 'yes'"}},
            {"action": "Allow", "source": {"selector": "office == 'yes'"}}]})]
    c = build(objs, cni="calico")
    assert verdict(c, "203.0.113.5", "shop/web") == "Allow"
    assert verdict(c, "198.51.100.5", "shop/web") == "Allow"
    assert verdict(c, "192.0.2.1", "shop/web") == "Drop"


def test_services_match_endpoints_and_target_ports():
    objs = cluster() + [service("shop", "web", {"app": "web"}, [(80, "http", "TCP")]),
                        gnp("p", {"selector": "app == 'mon'", "egress": [
                            {"action": "Allow", "destination": {"services": {"name": "web", "namespace": "shop"}}},
                            {"action": "Deny"}]})]
    c = build(objs, cni="calico")
    assert verdict(c, "ops/mon", "service/shop/web", 80) == "Allow"
    assert verdict(c, "ops/mon", "shop/web", 8080) == "Allow"     # post-DNAT it is the same packet
    assert verdict(c, "ops/mon", "shop/web", 53, "UDP") == "Drop"


def test_admin_policies_in_calico_tiers():
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
           "spec": {"priority": 1, "subject": {"namespaces": {"matchLabels": {"team": "red"}}},
                    "ingress": [{"action": "Pass", "from": [{"namespaces": {}}]}]}}
    objs = cluster() + [anp, tier("between", 5000),
                        gnp("between.deny", {"tier": "between", "selector": "app == 'db'", "ingress": [{"action": "Deny"}]})]
    t = run_trace(build(objs, cni="calico"), "ops/mon", "shop/db")
    assert t.verdict.value == "Drop" and t.paths[0].decision.stage.name == "tier:between"


@pytest.mark.parametrize("obj,message", [
    (gnp("p", {"selector": "app = 'x'"}), "invalid selector \"app = 'x'\": unexpected '=' (did you mean '=='?) at column 5"),
    (gnp("p", {"selector": "global()"}), "global() is only valid alone as a rule's namespaceSelector"),
    (gnp("p", {"tier": "nope", "selector": "all()"}), "tier nope does not exist"),
    (gnp("p", {"ingress": [{"action": "allow"}]}), "action 'allow' is not one of Allow, Deny, Pass, Log"),
    (gnp("p", {"ingress": [{"action": "Allow", "destination": {"ports": [80]}}]}), "numeric ports need protocol"),
    (gnp("p", {"ingress": [{"action": "Allow", "protocol": "tcp"}]}), "protocol 'tcp' is not one of"),
    (gnp("p", {"ingress": [{"action": "Allow", "protocol": "TCP", "icmp": {"type": 8}}]}), "icmp and notICMP need protocol"),
    (gnp("p", {"ingress": [{"action": "Allow", "source": {"nets": ["10.0.0.0/8", "fd00::/8"]}}]}), "may not mix IPv4"),
    (gnp("p", {"ingress": [{"action": "Allow", "source": {"notNets": ["0.0.0.0/0"]}}]}), "notNets may not contain"),
    (gnp("p", {"ingress": [{"action": "Allow", "source": {"nets": ["10.0.0.0/33"]}}]}), "is not a CIDR"),
    (gnp("p", {"ingress": [{"action": "Allow", "source": {"namespaceSelector": "global() && a == 'b'"}}]}),
     "global() must be used alone"),
    (gnp("p", {"egress": [{"action": "Allow", "destination": {"services": {"name": "s", "namespace": "x"},
                                                               "selector": "a == 'b'"}}]}), "services cannot be combined"),
    (gnp("p", {"ingress": [{"action": "Deny", "http": {"methods": ["GET"]}}]}), "http matches are only valid on Allow"),
    (gnp("p", {"types": ["Sideways"]}), "types ['Sideways'] must list only"),
    (tier("default", 5), "default tier order must be 1000000"),
    (tier("t", action="Allow"), "defaultAction 'Allow' is not one of Deny, Pass"),
])
def test_validation(obj, message):
    errors = errors_of(cluster() + [obj], cni="calico")
    assert any(message in e for e in errors), errors


def test_staged_hostendpoint_and_host_flags():
    staged = gnp("s", {"selector": "all()", "ingress": [{"action": "Deny"}]}, kind="StagedGlobalNetworkPolicy")
    hep = {"apiVersion": V3, "kind": "HostEndpoint", "metadata": {"name": "h"}, "spec": {"node": "n"}}
    flags = gnp("f", {"selector": "all()", "doNotTrack": True, "applyOnForward": True})
    assert verdict(build(cluster() + [staged], cni="calico"), "ops/mon", "shop/db") == "Allow"
    warnings = warnings_of(cluster() + [hep, flags], cni="calico")
    assert any("host endpoints" in w for w in warnings) and any("doNotTrack" in w for w in warnings)


def test_calico_objects_need_the_calico_profile():
    errors = errors_of(cluster() + [gnp("p", {"selector": "all()"})], cni="antrea")
    assert any("use --cni calico" in e for e in errors)
    assert build(cluster() + [gnp("p", {"selector": "all()"})]).cni == "calico"  # inferred
