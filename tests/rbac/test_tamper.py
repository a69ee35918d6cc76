"""Each tamper route, with its witness: the search finds it only when re-loading the cluster
with the witness really flips the case, and a correct setup reports no path."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import build, world

from tierwall.cli.main import cli
from tierwall.errors import Diagnostics
from tierwall.expect import parse_tests, run_cases
from tierwall.rbac import analyse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rbac-tamper"
RBAC = "rbac.authorization.k8s.io/v1"


def cluster_role(name, *rules):
    return {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name},
            "rules": [dict(zip(("apiGroups", "resources", "verbs", "resourceNames"), r)) for r in rules]}


def role(ns, name, *rules):
    return {**cluster_role(name, *rules), "kind": "Role", "metadata": {"name": name, "namespace": ns}}


def bind(group, role_name, ns=None, kind="ClusterRole"):
    md = {"name": f"{group}-{role_name}"}
    if ns:
        md["namespace"] = ns
    return {"apiVersion": RBAC, "kind": "RoleBinding" if ns else "ClusterRoleBinding", "metadata": md,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
            "subjects": [{"kind": "Group", "name": group}]}


def connectivity_test(expect, group, src="x/a", dst="y/b", port=80):
    return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "t"},
            "spec": {"cases": [{"name": "protected", "from": src, "to": dst, "port": port, "expect": expect,
                                "protectedFrom": [{"kind": "Group", "name": group}]}]}}


def search(objs, cni=None):
    cluster = build(objs, cni)
    diags = Diagnostics()
    report = run_cases(cluster.compiled, parse_tests(cluster.tests, diags), diags)
    assert not diags.has_errors() and not report.failed, (diags.items, report.to_dict())
    tamper = analyse(cluster, report, diags)
    assert len(tamper.outcomes) == 1
    return tamper.outcomes[0]


def isolate_ingress(ns):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def acnp_drop_x_to_y(peer=None):
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "sec"},
            "spec": {"tier": "securityops", "priority": 1,
                     "appliedTo": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
                     "ingress": [{"action": "Drop", "from": [peer or {"namespaceSelector": {"matchLabels": {"ns": "x"}}}]}]}}


def assert_witness(outcome, route, verdict):
    assert outcome.finding is not None, outcome.to_dict()
    f = outcome.finding
    assert f.witness.route == route, outcome.to_dict()
    assert f.result.verdict == verdict
    assert f.witness.yaml().strip() and f.grants
    return f


# --- Kubernetes NetworkPolicy in one's own namespace ----------------------------------------

def test_networkpolicy_isolation_drops_an_allowed_flow():
    objs = world() + [bind("team-y", "edit", ns="y"), connectivity_test("Allow", "team-y")]
    f = assert_witness(search(objs, "generic"), "networkpolicy", "Drop")
    assert f.witness.changes[0].obj["metadata"]["namespace"] == "y"
    assert f.result.decision.kind == "isolation"


def test_networkpolicy_route_only_where_it_can_decide():
    """Under Antrea a security-tier Drop comes before every NetworkPolicy: an app team with
    NetworkPolicy rights only cannot open it (no path)."""
    objs = world() + [acnp_drop_x_to_y(),
                      role("y", "np-writer", ([["networking.k8s.io"], ["networkpolicies"], ["create"]])),
                      bind("team-y", "np-writer", ns="y", kind="Role"), connectivity_test("Drop", "team-y")]
    outcome = search(objs, "antrea")
    assert outcome.finding is None
    assert outcome.tried["networkpolicy"].get("no-flip")


def test_delete_the_deciding_policy():
    objs = world() + [isolate_ingress("y"), role("y", "janitor", ([["networking.k8s.io"], ["networkpolicies"], ["delete"]])),
                      bind("janitor", "janitor", ns="y", kind="Role"), connectivity_test("Drop", "janitor")]
    f = assert_witness(search(objs, "generic"), "delete-policy", "Allow")
    assert f.witness.changes[0].verb == "delete" and f.witness.changes[0].name == "deny"


def test_adminnetworkpolicy_create():
    objs = world() + [cluster_role("anp", ([["policy.networking.k8s.io"], ["adminnetworkpolicies"], ["create"]])),
                      bind("netops", "anp"), connectivity_test("Allow", "netops")]
    f = assert_witness(search(objs, "generic"), "adminnetworkpolicy", "Drop")
    assert f.witness.changes[0].obj["spec"]["priority"] == 0


# --- Antrea ---------------------------------------------------------------------------------

def test_antrea_namespaced_policy_in_the_emergency_tier():
    objs = world() + [acnp_drop_x_to_y(), bind("team-y", "edit", ns="y"), connectivity_test("Drop", "team-y")]
    f = assert_witness(search(objs, "antrea"), "antrea-tier", "Allow")
    obj = f.witness.changes[0].obj
    assert obj["kind"] == "NetworkPolicy" and obj["spec"]["tier"] == "emergency"
    assert "emergency" in f.result.decision.explanation or f.result.decision.stage.name == "tier:emergency"


def test_antrea_cluster_policy():
    objs = world() + [acnp_drop_x_to_y(), cluster_role("acnp", ([["crd.antrea.io"], ["clusternetworkpolicies"], ["create"]])),
                      bind("netops", "acnp"), connectivity_test("Drop", "netops")]
    f = assert_witness(search(objs, "antrea"), "antrea-cluster", "Allow")
    assert f.witness.changes[0].obj["kind"] == "ClusterNetworkPolicy"


def test_antrea_new_tier_gets_around_a_deny_list_guard():
    """A guard that lists forbidden tiers by name misses a Tier created ahead of them."""
    deny_list = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
                 "metadata": {"name": "no-security-tiers"},
                 "spec": {"matchConstraints": {"resourceRules": [{"apiGroups": ["crd.antrea.io"], "apiVersions": ["*"],
                                                                  "operations": ["CREATE", "UPDATE"],
                                                                  "resources": ["networkpolicies"]}]},
                          "validations": [{"expression": "!has(object.spec.tier) || !(object.spec.tier in "
                                                         "['emergency', 'securityops', 'networkops', 'platform'])"}]}}
    binding = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": "no-security-tiers"},
               "spec": {"policyName": "no-security-tiers", "validationActions": ["Deny"]}}
    objs = world() + [acnp_drop_x_to_y(), deny_list, binding, bind("team-y", "edit", ns="y"),
                      cluster_role("tiers", ([["crd.antrea.io"], ["tiers"], ["create"]])), bind("team-y", "tiers"),
                      connectivity_test("Drop", "team-y")]
    outcome = search(objs, "antrea")
    f = assert_witness(outcome, "antrea-new-tier", "Allow")
    assert outcome.tried["antrea-tier"]["guard-denied"] >= 1
    assert f.witness.changes[0].obj["kind"] == "Tier" and f.witness.changes[0].obj["spec"]["priority"] == 49


def test_antrea_clustergroup_edit():
    group = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterGroup", "metadata": {"name": "untrusted"},
             "spec": {"namespaceSelector": {"matchLabels": {"ns": "x"}}}}
    objs = world() + [group, acnp_drop_x_to_y({"group": "untrusted"}),
                      cluster_role("groups", ([["crd.antrea.io"], ["clustergroups"], ["update"]])),
                      bind("netops", "groups"), connectivity_test("Drop", "netops")]
    f = assert_witness(search(objs, "antrea"), "antrea-group", "Allow")
    assert f.witness.changes[0].verb == "update" and f.witness.changes[0].name == "untrusted"


# --- Calico tier-scoped RBAC ----------------------------------------------------------------

def calico_objects(tier_rights):
    tiers = [{"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": n}, "spec": {"order": o}}
             for n, o in (("security", 100), ("app", 500))]
    gnp = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "security.x-to-y"},
           "spec": {"tier": "security", "order": 10, "selector": "projectcalico.org/namespace == 'y'",
                    "types": ["Ingress"],
                    "ingress": [{"action": "Deny", "source": {"namespaceSelector": "ns == 'x'"}}, {"action": "Pass"}]}}
    rights = [cluster_role("tier-get", ([["projectcalico.org"], ["tiers"], ["get"], [tier_rights]])),
              bind("team-y", "tier-get"),
              role("y", "tier-policies", ([["projectcalico.org"], ["tier.networkpolicies"], ["create"],
                                          [f"{tier_rights}.*"]])),
              bind("team-y", "tier-policies", ns="y", kind="Role")]
    return world() + tiers + [gnp] + rights + [connectivity_test("Drop", "team-y")]


def test_calico_policy_in_a_tier_the_team_may_write():
    f = assert_witness(search(calico_objects("security"), "calico"), "calico-tier", "Allow")
    obj = f.witness.changes[0].obj
    assert obj["spec"]["tier"] == "security" and obj["metadata"]["name"] == "security.tierwall-witness"
    assert {g.role.name for g in f.grants} >= {"tier-get", "tier-policies", "calico-tiered-policy-passthrough"}


def test_calico_tier_rights_below_security_give_no_path():
    outcome = search(calico_objects("app"), "calico")
    assert outcome.finding is None
    # the team may write in tier app only (in y), and a policy there comes after security's Deny
    assert outcome.tried["calico-tier"]["no-flip"] == 1 and outcome.tried["calico-tier"]["rbac-denied"] >= 1


# --- the seed organisation, before and after the guard (CLI) --------------------------------

def _check(*paths):
    r = CliRunner().invoke(cli, ["check", *[a for p in paths for a in ("-f", str(p))], "-o", "json"])
    return r.exit_code, json.loads(r.stdout)


def test_example_before_the_guard_has_paths_with_witnesses():
    code, doc = _check(*(EXAMPLE / f for f in ("cluster.yaml", "policies.yaml", "roles.yaml", "tests.yaml")))
    assert code == 1 and doc["summary"]["failed"] == 0
    found = {(o["case"], o["subject"]): o["witness"]["route"] for o in doc["tamper"]["outcomes"] if o["path"]}
    assert found[("production cannot reach dev", "Group/dev-team")] == "antrea-tier"
    assert found[("production cannot reach dev", "Group/platform")] == "namespace-labels"
    assert found[("dev cannot reach the production database", "Group/dev-team")] == "pod-labels"
    assert ("the operators' toolbox reaches the production database", "Group/dev-team") not in found
    witness = next(o["witness"] for o in doc["tamper"]["outcomes"] if o["path"])
    assert witness["after"]["trace"]["verdict"] == witness["after"]["verdict"]
    assert "kind:" in witness["yaml"] and witness["grants"][0]["binding"]


def test_example_with_the_guard_has_no_path():
    code, doc = _check(EXAMPLE)
    assert code == 0, doc["tamper"]
    assert doc["tamper"]["summary"] == {"searched": 10, "paths": 0}
    assert len(doc["tamper"]["guards"]) >= 4
    blocked = [b for o in doc["tamper"]["outcomes"] for b in o["guardBlocked"]]
    assert any("tierwall-antrea-policy-tier" in b for b in blocked)
    assert any("tierwall-pod-identity" in b for b in blocked)
    assert any("tierwall-namespace-identity" in b for b in blocked)


def test_committed_guard_is_what_tierwall_generates():
    r = CliRunner().invoke(cli, ["guard", "-f", str(EXAMPLE / "cluster.yaml"), "-f", str(EXAMPLE / "policies.yaml"),
                                 "--admin-group", "security-admins"])
    assert r.exit_code == 0, r.output
    assert r.stdout == (EXAMPLE / "guard" / "guard.yaml").read_text()


@pytest.mark.parametrize("entry, message", [
    ({"kind": "ServiceAccount", "name": "ci"}, "needs its namespace"),
    ({"kind": "Team", "name": "x"}, "is not one of Group, User, ServiceAccount"),
    ("dev-team", "a protectedFrom entry is a subject"),
])
def test_bad_protected_from_is_an_error_naming_the_field(entry, message):
    doc = connectivity_test("Allow", "g")
    doc["spec"]["cases"][0]["protectedFrom"] = [entry]
    r = CliRunner().invoke(cli, ["check", "-f", "-"], input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                        "items": world() + [doc]}))
    assert r.exit_code == 2 and message in r.output and "protectedFrom[0]" in r.output, r.output


def test_service_selector_behind_a_service_reference():
    """A ClusterGroup made of a Service's endpoints trusts whoever may edit that Service."""
    from helpers import service
    group = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterGroup", "metadata": {"name": "api-clients"},
             "spec": {"serviceReference": {"name": "api", "namespace": "x"}}}
    acnp = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "sec"},
            "spec": {"tier": "securityops", "priority": 1,
                     "appliedTo": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
                     "ingress": [{"action": "Allow", "from": [{"group": "api-clients"}]},
                                 {"action": "Drop", "from": [{"namespaceSelector": {}}]}]}}
    objs = world() + [service("x", "api", {"app": "c"}, [(80, 80, "TCP")]), group, acnp,
                      bind("team-x", "edit", ns="x"), connectivity_test("Drop", "team-x")]
    f = assert_witness(search(objs, "antrea"), "service-selector", "Allow")
    assert f.witness.changes[0].obj["spec"]["selector"] == {"pod": "a", "app": "a"}


def test_protected_cases_without_rbac_objects_warn():
    doc = connectivity_test("Allow", "team-y")
    r = CliRunner().invoke(cli, ["check", "-f", "-"], input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                        "items": world() + [doc]}))
    assert r.exit_code == 0, r.output
    assert "TW262" in r.output and "no path for Group/team-y" in r.output


def test_junit_carries_the_tamper_search():
    import xml.etree.ElementTree as ET
    paths = [str(EXAMPLE / f) for f in ("cluster.yaml", "policies.yaml", "roles.yaml", "tests.yaml")]
    r = CliRunner().invoke(cli, ["check", *[a for p in paths for a in ("-f", p)], "-o", "junit"])
    assert r.exit_code == 1
    root = ET.fromstring(r.stdout)
    suite = next(s for s in root if s.get("name") == "tamper")
    assert suite.get("tests") == "10" and int(suite.get("failures")) >= 3
    failures = [c.find("failure") for c in suite if c.find("failure") is not None]
    assert all(f.get("type") == "TamperPath" and "kind:" in f.text for f in failures)
    assert int(root.get("failures")) == int(suite.get("failures"))
