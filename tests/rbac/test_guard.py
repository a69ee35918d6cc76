"""The generated guard's CEL, evaluated by cel-python on admission requests, and the reading
of ValidatingAdmissionPolicies (bindings, failure policy, what tierwall cannot evaluate)."""

from pathlib import Path

import celpy
import pytest
import yaml

from tierwall.cluster import load_cluster
from tierwall.errors import Diagnostics
from tierwall.load import load_text
from tierwall.rbac.evaluate import Identity
from tierwall.rbac.guard import admit, read_guards
from tierwall.rbac.guardgen import generate_guard
from tierwall.rbac.model import Subject
from tierwall.rbac.witness import Change

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rbac-tamper"
GUARD = generate_guard(load_cluster([str(EXAMPLE / "cluster.yaml"), str(EXAMPLE / "policies.yaml")]),
                       ["security-admins"])
POLICIES = {d["metadata"]["name"]: d for d in GUARD if d["kind"] == "ValidatingAdmissionPolicy"}


def allowed(policy: str, obj, groups, old=None, operation="CREATE") -> bool:
    """Evaluate one generated policy as the API server would: matchConditions, then every
    validation, on an admission request with object / oldObject / request.userInfo."""
    spec = POLICIES[policy]["spec"]
    env = celpy.Environment()
    activation = {"object": celpy.json_to_cel(obj), "oldObject": celpy.json_to_cel(old),
                  "request": celpy.json_to_cel({"operation": operation,
                                                "userInfo": {"username": "u", "groups": groups}})}
    run = [env.program(env.compile(e["expression"])) for e in spec["matchConditions"]]
    if not all(p.evaluate(activation) for p in run):
        return True
    return all(env.program(env.compile(v["expression"])).evaluate(activation) for v in spec["validations"])


def antrea_np(tier=None):
    spec = {"priority": 1, "appliedTo": [{"podSelector": {}}]}
    if tier is not None:
        spec["tier"] = tier
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": "dev-app"}, "spec": spec}


@pytest.mark.parametrize("tier, groups, ok", [
    ("emergency", ["dev-team", "system:authenticated"], False),
    ("securityops", ["dev-team"], False),
    ("Emergency", ["dev-team"], False),
    ("application", ["dev-team"], True),
    ("Application", ["dev-team"], True),
    ("baseline", ["dev-team"], True),
    (None, ["dev-team"], True),
    ("emergency", ["security-admins"], True),
    ("emergency", ["system:masters"], True),
])
def test_policy_tier_guard(tier, groups, ok):
    assert allowed("tierwall-antrea-policy-tier", antrea_np(tier), groups) is ok


@pytest.mark.parametrize("priority, groups, ok", [(10, ["dev-team"], False), (249, ["platform"], False),
                                                  (250, ["dev-team"], True), (10, ["security-admins"], True)])
def test_tier_priority_guard(priority, groups, ok):
    tier = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "Tier", "metadata": {"name": "t"},
            "spec": {"priority": priority}}
    assert allowed("tierwall-antrea-tier-priority", tier, groups) is ok


def pod(labels):
    md = {"name": "p", "namespace": "dev-app"}
    if labels is not None:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": {"containers": [{"name": "c"}]}}


@pytest.mark.parametrize("labels, groups, ok", [
    ({"app": "web", "role": "db-operator"}, ["dev-team"], False),
    ({"role": "db-operator"}, ["dev-team"], False),
    ({"role": "viewer"}, ["dev-team"], True),
    ({"app": "web"}, ["dev-team"], True),
    (None, ["dev-team"], True),
    ({"role": "db-operator"}, ["security-admins"], True),
    ({"role": "db-operator"}, ["system:serviceaccounts", "system:serviceaccounts:kube-system"], True),
])
def test_pod_identity_guard(labels, groups, ok):
    assert allowed("tierwall-pod-identity-pods", pod(labels), groups) is ok


def test_workload_templates_are_guarded_too():
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "dev-app"},
              "spec": {"selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web", "role": "db-operator"}}, "spec": {}}}}
    assert not allowed("tierwall-pod-identity-workloads", deploy, ["dev-team"])
    deploy["spec"]["template"]["metadata"]["labels"] = {"app": "web"}
    assert allowed("tierwall-pod-identity-workloads", deploy, ["dev-team"])
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "dev-app"},
            "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"role": "db-operator"}}}}}}}
    assert not allowed("tierwall-pod-identity-cronjobs", cron, ["dev-team"])


def ns(labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev-app", "labels": labels}}


@pytest.mark.parametrize("old, new, ok", [
    ({"env": "dev"}, {"env": "dev", "team": "blue"}, True),
    ({"env": "dev"}, {"env": "prod"}, False),
    ({"env": "dev"}, {}, False),
    ({"env": "dev"}, {"env": "dev", "system": "true"}, False),
])
def test_namespace_identity_guard(old, new, ok):
    assert allowed("tierwall-namespace-identity", ns(new), ["platform"], old=ns(old), operation="UPDATE") is ok
    assert allowed("tierwall-namespace-identity", ns(new), ["security-admins"], old=ns(old), operation="UPDATE")


# --- reading and applying guards (admit) ----------------------------------------------------

def guards_of(text):
    diags = Diagnostics()
    return read_guards(load_text(text, "g.yaml", diags), diags), diags


def test_admit_matches_resources_and_bindings():
    guards, _ = guards_of(yaml.safe_dump_all(GUARD))
    dev = Identity.of(Subject("Group", "dev-team"))
    verdict = admit(guards, Change("create", antrea_np("emergency")), dev, {"env": "dev"})
    assert not verdict.allowed and verdict.guard == "tierwall-antrea-policy-tier"
    assert admit(guards, Change("create", antrea_np("application")), dev, {}).allowed
    k8s_np = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "n", "namespace": "dev-app"}, "spec": {"podSelector": {}}}
    assert admit(guards, Change("create", k8s_np), dev, {}).allowed  # no rule matches networking.k8s.io


def test_unbound_param_and_failing_guards():
    text = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: unbound}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: ["*"], operations: ["*"], resources: ["*"]}]}
  validations: [{expression: "false"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: params}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: ["*"], operations: ["*"], resources: ["*"]}]}
  validations: [{expression: "false"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: params}
spec: {policyName: params, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: ["*"], operations: ["CREATE"], resources: [pods]}]}
  variables: [{name: tier, expression: "object.spec.nothere"}]
  validations: [{expression: "variables.tier == 'x'"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: broken}
spec: {policyName: broken, validationActions: [Warn, Deny]}
"""
    guards, diags = guards_of(text)
    assert [g.name for g in guards] == ["params", "broken"]
    assert any(d.code == "TW305" and "unbound" in d.message for d in diags.items)
    assert any(d.code == "TW261" and "paramKind" in d.message for d in diags.items)
    who = Identity.of(Subject("User", "alice"))
    verdict = admit(guards, Change("create", pod({"a": "b"})), who, {})
    assert not verdict.allowed and verdict.guard == "broken" and verdict.error  # failurePolicy Fail


def test_an_implied_namespace_is_admitted_against_its_implied_labels():
    """A namespace tierwall only implied has no object; admission still sees an oldObject."""
    guards, _ = guards_of(yaml.safe_dump_all(GUARD))
    platform = Identity.of(Subject("Group", "platform"))
    before = ns({"kubernetes.io/metadata.name": "dev-app"})
    keep = Change("update", ns({"kubernetes.io/metadata.name": "dev-app", "team": "blue"}), None, before)
    relabel = Change("update", ns({"kubernetes.io/metadata.name": "dev-app", "system": "true"}), None, before)
    assert admit(guards, keep, platform, None).allowed
    verdict = admit(guards, relabel, platform, None)
    assert not verdict.allowed and not verdict.error and verdict.guard == "tierwall-namespace-identity"
