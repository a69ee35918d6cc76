"""``tierwall who-can`` on the bundled seed organisation (examples/rbac-tamper)."""

import json
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rbac-tamper"


def _report(*args):
    r = CliRunner().invoke(cli, ["who-can", "-f", str(EXAMPLE), "-o", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _subjects(target, verb):
    return {f"{row['subject']['kind']}/{row['subject']['name']}" for row in target["verbs"].get(verb, [])}


def _find(report, **match):
    found = [t for t in report["targets"] if all(t.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_app_team_with_edit_writes_antrea_policies_in_every_tier_of_its_namespace():
    report = _report("-n", "dev-app")
    for tier in ("emergency", "securityops", "application"):
        t = _find(report, resource="networkpolicies.crd.antrea.io", namespace="dev-app", tier=tier)
        assert "Group/dev-team" in _subjects(t, "create")
        assert "Group/prod-team" not in _subjects(t, "create")
    acnp = _find(report, resource="clusternetworkpolicies.crd.antrea.io", tier="emergency")
    assert _subjects(acnp, "create") == {"Group/security-admins", "Group/system:masters"}
    tier = _find(report, resource="tiers.crd.antrea.io", name="securityops")
    assert "create" not in tier["verbs"] and "Group/dev-team" not in _subjects(tier, "update")


def test_namespace_labels_follow_resource_names():
    report = _report("--dialect", "identity")
    dev = _find(report, resource="namespaces", namespace="dev-app")
    prod = _find(report, resource="namespaces", namespace="prod-app")
    assert "Group/platform" in _subjects(dev, "patch")
    assert "Group/platform" not in _subjects(prod, "patch")
    pods = _find(report, resource="pods", namespace="prod-app")
    assert _subjects(pods, "create") == {"Group/prod-team", "Group/system:masters"}
    svc = _find(report, resource="services", namespace="kube-system", name="kube-dns")
    assert "toServices" in svc["what"]


def test_without_cni_roles_edit_does_not_reach_antrea_policies():
    report = _report("--no-cni-roles", "--subject", "Group/dev-team", "-n", "dev-app", "--tier", "emergency")
    t = _find(report, resource="networkpolicies.crd.antrea.io", namespace="dev-app")
    assert _subjects(t, "create") == set()


def test_text_view_and_bad_subject():
    r = CliRunner().invoke(cli, ["who-can", "-f", str(EXAMPLE), "--tier", "securityops"])
    assert r.exit_code == 0, r.output
    assert "NetworkPolicy in tier securityops" in r.stdout and "Group/dev-team" in r.stdout
    r = CliRunner().invoke(cli, ["who-can", "-f", str(EXAMPLE), "--subject", "Team/x"])
    assert r.exit_code == 2 and "Group/NAME" in r.output


def test_calico_tier_rights_by_tier(tmp_path):
    """Calico's API server: `get` on the tier and the verb on tier.networkpolicies named TIER.*."""
    objs = """
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: app}
spec: {order: 500}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: app-tier}
rules:
- {apiGroups: [projectcalico.org], resources: [tiers], resourceNames: [app], verbs: [get]}
- {apiGroups: [projectcalico.org], resources: [tier.networkpolicies], resourceNames: ["app.*"], verbs: [create, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: app-tier}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: app-tier}
subjects: [{kind: Group, name: app-team}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: no-tier-get}
rules:
- {apiGroups: [projectcalico.org], resources: [tier.networkpolicies], resourceNames: ["security.*"], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: no-tier-get}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: no-tier-get}
subjects: [{kind: Group, name: sneaky}]
"""
    path = tmp_path / "calico.yaml"
    path.write_text(objs)
    r = CliRunner().invoke(cli, ["who-can", "-f", str(path), "-o", "json", "--dialect", "calico"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    app = _find(report, resource="networkpolicies.projectcalico.org", namespace="team", tier="app")
    sec = _find(report, resource="networkpolicies.projectcalico.org", namespace="team", tier="security")
    assert "Group/app-team" in _subjects(app, "create") and "Group/app-team" in _subjects(app, "update")
    assert "Group/app-team" not in _subjects(app, "delete")
    assert "Group/app-team" not in _subjects(sec, "create")
    assert "Group/sneaky" not in _subjects(sec, "create")  # no get on the tier
    grants = {g["role"] for row in app["verbs"]["create"] if row["subject"]["name"] == "app-team"
              for g in row["grants"]}
    assert grants == {"ClusterRole/app-tier", "ClusterRole/calico-tiered-policy-passthrough"}


def test_one_request_like_kubectl_auth_can_i():
    def ask(*args):
        r = CliRunner().invoke(cli, ["who-can", *args, "-f", str(EXAMPLE), "-o", "json"])
        assert r.exit_code == 0, r.output
        return {f"{a['subject']['kind']}/{a['subject']['name']}" for a in json.loads(r.stdout)["allowed"]}

    assert ask("patch", "namespaces/dev-app") == {"Group/platform", "Group/system:masters"}
    assert ask("patch", "namespaces/prod-app") == {"Group/system:masters"}
    assert ask("create", "networkpolicies.crd.antrea.io", "-n", "dev-app") == \
        {"Group/dev-team", "Group/security-admins", "Group/system:masters"}
    assert ask("get", "pods", "-n", "prod-app", "--subresource", "log") == {"Group/prod-team", "Group/system:masters"}
    r = CliRunner().invoke(cli, ["who-can", "create", "pods/x", "-f", str(EXAMPLE)])
    assert r.exit_code == 2 and "has no name" in r.output


def test_cilium_policies_are_write_targets(tmp_path):
    """The Cilium dialect declares its write targets (dialects/cilium/resources.py): who-can
    asks RBAC about CiliumNetworkPolicies per namespace and CiliumClusterwideNetworkPolicies."""
    path = tmp_path / "c.yaml"
    path.write_text("""
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: p, namespace: shop}
spec: {endpointSelector: {}, ingress: [{fromEndpoints: [{}]}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: shop-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: Group, name: shop-team}]
""")
    r = CliRunner().invoke(cli, ["who-can", "-f", str(path), "--dialect", "cilium", "-o", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert {t["resource"] for t in report["targets"]} == {"ciliumnetworkpolicies.cilium.io",
                                                           "ciliumclusterwidenetworkpolicies.cilium.io"}
    cnp = _find(report, resource="ciliumnetworkpolicies.cilium.io", namespace="shop")
    # admin aggregates no Cilium role: only cluster-admin's holders may write Cilium policies
    assert _subjects(cnp, "create") == {"Group/system:masters"}
