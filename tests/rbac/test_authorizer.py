"""The RBAC authorizer against a table of `kubectl auth can-i --as` answers.

Each row is a case the Kubernetes RBAC documentation states
(https://kubernetes.io/docs/reference/access-authn-authz/rbac/): Role vs ClusterRole,
RoleBinding to a ClusterRole scoped to its namespace, resourceNames (and that they never
allow create or list), subresources (including ``*/scale``), the core group ``""``, wildcards,
aggregation by label selectors, ServiceAccount and group subjects, and the default roles
(admin, edit, view — with Antrea's shipped aggregation roles, and without them).
"""

from dataclasses import dataclass

import pytest

from tierwall.errors import Diagnostics
from tierwall.load import load_text
from tierwall.rbac import Identity, Request, Subject, authorize, read_rbac
from tierwall.rbac.builtin import antrea_shipped, kubernetes_defaults

DOCS_OBJECTS = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: default, name: pod-reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, watch, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: default}
subjects: [{kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, watch, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: development}
subjects: [{kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read-secrets-global}
subjects: [{kind: Group, name: manager, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: default, name: configmap-updater}
rules:
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [my-configmap]
  verbs: [update, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: default, name: pod-and-pod-logs-reader}
rules:
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get, list]
- apiGroups: [""]
  resources: ["*/scale"]
  verbs: [update]
- apiGroups: [""]
  resources: [deployments]
  verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: cm-and-logs, namespace: default}
subjects: [{kind: User, name: carol}]
roleRef: {kind: Role, name: configmap-updater, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: logs, namespace: default}
subjects: [{kind: User, name: carol}]
roleRef: {kind: Role, name: pod-and-pod-logs-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [delete]   # replaced by the controller: an aggregated role's own rules do not count
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- apiGroups: [""]
  resources: [services, endpointslices, pods]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
subjects: [{kind: ServiceAccount, name: prometheus, namespace: monitoring}]
roleRef: {kind: ClusterRole, name: monitoring, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: qa-sa-view, namespace: qa}
subjects: [{kind: Group, name: "system:serviceaccounts:qa", apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder, namespace: ci}
subjects: [{kind: ServiceAccount, name: builder}]   # no namespace: the binding's
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-edit, namespace: dev}
subjects: [{kind: Group, name: dev-team}]
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-admin, namespace: dev}
subjects: [{kind: User, name: lead}]
roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: own-namespace-labels, namespace: dev}
rules:
- apiGroups: [""]
  resources: [namespaces]
  verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: own-namespace-labels, namespace: dev}
subjects: [{kind: User, name: lead}]
roleRef: {kind: Role, name: own-namespace-labels, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: anything-in-crd-antrea}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: star-in-sec, namespace: sec}
subjects: [{kind: Group, name: "system:authenticated"}]
roleRef: {kind: ClusterRole, name: anything-in-crd-antrea, apiGroup: rbac.authorization.k8s.io}
"""


@dataclass(frozen=True)
class Case:
    who: str
    verb: str
    resource: str
    namespace: str = ""
    name: str = ""
    sub: str = ""
    allowed: bool = True
    cni_roles: bool = True

    def __str__(self):
        res = self.resource + (f"/{self.name}" if self.name else "") + (f" --subresource {self.sub}" if self.sub else "")
        return f"{self.who} {self.verb} {res} -n {self.namespace or '-'} → {'yes' if self.allowed else 'no'}" + \
            ("" if self.cni_roles else " (no CNI roles)")


CASES = [
    # Role + RoleBinding: only in the Role's namespace, only the listed verbs
    Case("User/jane", "get", "pods", "default"),
    Case("User/jane", "list", "pods", "default"),
    Case("User/jane", "get", "pods", "kube-system", allowed=False),
    Case("User/jane", "create", "pods", "default", allowed=False),
    # RoleBinding to a ClusterRole: scoped to the binding's namespace
    Case("User/dave", "get", "secrets", "development"),
    Case("User/dave", "get", "secrets", "default", allowed=False),
    # ClusterRoleBinding: every namespace
    Case("Group/manager", "get", "secrets", "default"),
    Case("Group/manager", "get", "secrets", "kube-system"),
    Case("Group/manager", "delete", "secrets", "default", allowed=False),
    # resourceNames: that name only; never create (no name yet) nor list
    Case("User/carol", "update", "configmaps", "default", name="my-configmap"),
    Case("User/carol", "update", "configmaps", "default", name="other", allowed=False),
    Case("User/carol", "create", "configmaps", "default", allowed=False),
    Case("User/carol", "list", "configmaps", "default", allowed=False),
    # subresources, */scale, the core group is not apps
    Case("User/carol", "get", "pods", "default", name="web", sub="log"),
    Case("User/carol", "get", "pods", "default", name="web", allowed=False),
    Case("User/carol", "update", "replicationcontrollers", "default", name="rc", sub="scale"),
    Case("User/carol", "update", "replicationcontrollers", "default", name="rc", allowed=False),
    Case("User/carol", "create", "deployments", "default"),
    Case("User/carol", "create", "deployments.apps", "default", allowed=False),
    # aggregation: the selected roles' rules, not the aggregated role's own
    Case("ServiceAccount/monitoring/prometheus", "list", "endpointslices", "any"),
    Case("ServiceAccount/monitoring/prometheus", "get", "services", "kube-system"),
    Case("ServiceAccount/monitoring/prometheus", "delete", "nodes", allowed=False),
    # ServiceAccount group subjects, and an SA subject without namespace
    Case("ServiceAccount/qa/runner", "get", "pods", "qa"),
    Case("ServiceAccount/qa/runner", "get", "pods", "default", allowed=False),
    Case("ServiceAccount/qa/runner", "create", "pods", "qa", allowed=False),
    Case("ServiceAccount/ci/builder", "create", "deployments.apps", "ci"),
    Case("ServiceAccount/other/builder", "create", "deployments.apps", "ci", allowed=False),
    # default roles: edit (pods, workloads, networkpolicies; no namespaces, no rolebindings)
    Case("Group/dev-team", "create", "pods", "dev"),
    Case("Group/dev-team", "patch", "pods", "dev"),
    Case("Group/dev-team", "create", "networkpolicies.networking.k8s.io", "dev"),
    Case("Group/dev-team", "create", "cronjobs.batch", "dev"),
    Case("Group/dev-team", "get", "secrets", "dev"),
    Case("Group/dev-team", "patch", "namespaces", "dev", name="dev", allowed=False),
    Case("Group/dev-team", "create", "rolebindings.rbac.authorization.k8s.io", "dev", allowed=False),
    Case("Group/dev-team", "create", "pods", "prod", allowed=False),
    # edit gets Antrea's policies only through Antrea's aggregate-to-edit roles
    Case("Group/dev-team", "create", "networkpolicies.crd.antrea.io", "dev"),
    Case("Group/dev-team", "create", "networkpolicies.crd.antrea.io", "dev", cni_roles=False, allowed=False),
    Case("Group/dev-team", "create", "tiers.crd.antrea.io", allowed=False),
    Case("Group/dev-team", "create", "groups.crd.antrea.io", "dev", allowed=False),
    # a RoleBinding grants nothing cluster-scoped, even with a ClusterRole that names it
    Case("Group/dev-team", "create", "clusternetworkpolicies.crd.antrea.io", allowed=False),
    Case("Group/dev-team", "update", "clustergroups.crd.antrea.io", name="x", allowed=False),
    # admin: rolebindings too
    Case("User/lead", "create", "rolebindings.rbac.authorization.k8s.io", "dev"),
    Case("User/lead", "create", "clusterroles.rbac.authorization.k8s.io", allowed=False),
    # a request on a Namespace object carries its own namespace: a RoleBinding there grants it
    Case("User/lead", "patch", "namespaces", "dev", name="dev"),
    Case("User/lead", "patch", "namespaces", "prod", name="prod", allowed=False),
    # wildcards, bound to every authenticated user in one namespace
    Case("User/anyone", "delete", "anything.example.com", "sec", name="x"),
    Case("User/anyone", "delete", "anything.example.com", "other", name="x", allowed=False),
    # the system:masters group holds cluster-admin
    Case("Group/system:masters", "create", "tiers.crd.antrea.io"),
    Case("Group/nobody", "get", "pods", "default", allowed=False),
]


def _subject(text: str) -> Subject:
    kind, _, rest = text.partition("/")
    if kind == "ServiceAccount":
        ns, name = rest.split("/")
        return Subject(kind, name, ns)
    return Subject(kind, rest)


def _rbac(cni_roles: bool):
    diags = Diagnostics()
    raws = load_text(DOCS_OBJECTS, "docs.yaml", diags)
    rbac = read_rbac(raws, diags, kubernetes_defaults() + (antrea_shipped() if cni_roles else ()))
    assert not diags.has_errors(), diags.items
    return rbac


RBAC = {True: _rbac(True), False: _rbac(False)}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_can_i(case: Case):
    resource, _, group = case.resource.partition(".")
    req = Request(case.verb, group, resource, case.namespace, case.name, case.sub)
    grant = authorize(RBAC[case.cni_roles], Identity.of(_subject(case.who)), req)
    assert (grant is not None) == case.allowed, f"{case}: {grant.text if grant else 'denied'}"


def test_aggregation_chain_view_edit_admin():
    """view ⊂ edit ⊂ admin by their aggregate-to-* labels (bootstrappolicy): admin can list
    networkpolicies (from view) and create pods (from edit)."""
    rbac = RBAC[True]
    admin = rbac.roles[("", "admin")]
    assert any("networkpolicies" in r.resources and "list" in r.verbs for r in admin.rules)
    assert any("pods" in r.resources and "create" in r.verbs for r in admin.rules)
    assert not any("namespaces" in r.resources and "patch" in r.verbs for r in admin.rules)


def test_bad_binding_is_a_diagnostic_naming_the_field():
    diags = Diagnostics()
    raws = load_text("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\n"
                     "roleRef: {kind: Role, name: r}\nsubjects: [{kind: Robot, name: x}]\n", "bad.yaml", diags)
    read_rbac(raws, diags)
    messages = [(str(d.origin), d.message) for d in diags.errors]
    assert any("roleRef.kind" in o and "'Role' is not one of ClusterRole" in m for o, m in messages), messages
