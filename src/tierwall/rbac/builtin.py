"""Roles and bindings that exist without being declared: Kubernetes' defaults and the CNIs'.

Kubernetes creates ``cluster-admin``, ``admin``, ``edit`` and ``view`` at start-up
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go; its rendering is
testdata/cluster-roles.yaml). ``admin``, ``edit`` and ``view`` hold no rules of their own:
they aggregate every ClusterRole labelled ``rbac.authorization.k8s.io/aggregate-to-<role>:
"true"``, which is how the ``system:aggregate-to-*`` roles below (and a CRD vendor's roles)
reach them. A CRD's resources are therefore in ``edit`` only when some installed ClusterRole
carries that label — tierwall assumes the roles each CNI ships with its manifests, as the
CNI's dialect declares them (``shipped_roles`` in ``dialects/<name>/resources.py``, with the
upstream source: Antrea's chart aggregates its policies and ClusterGroups to admin/edit;
Calico's operator binds a tiered-policy passthrough role to every authenticated user).

Only resource rules are kept: non-resource URLs change no object.
"""

from __future__ import annotations

from ..dialects import AntreaDialect, Dialect, native_dialect
from ..origin import BUILTIN, Origin
from ..selectors import LabelSelector, Requirement
from .model import Binding, Role, Rule, Subject

AGG = "rbac.authorization.k8s.io/aggregate-to-"
"""Label prefix of the aggregation convention (aggregate-to-admin / -edit / -view)."""

_RW = ("create", "delete", "deletecollection", "patch", "update")
_RO = ("get", "list", "watch")


def _origin(kind: str, name: str) -> Origin:
    return Origin(file=BUILTIN.file, kind=kind, name=name, api_version="rbac.authorization.k8s.io/v1")


def _rules(role: str, spec) -> list[Rule]:
    return [Rule(tuple(verbs), tuple(groups), tuple(resources), tuple(names),
                 _origin("ClusterRole", role).at(f"rules[{i}]")) for i, (groups, resources, verbs, *rest) in
            enumerate(spec) for names in [rest[0] if rest else ()]]


def _cluster_role(name: str, shipped_by: str, spec=(), labels=(), aggregate_from: str | None = None) -> Role:
    aggregation = [LabelSelector((Requirement(AGG + aggregate_from, "In", ("true",)),))] if aggregate_from else None
    return Role("ClusterRole", name, "", _rules(name, spec), {AGG + lbl: "true" for lbl in labels},
                _origin("ClusterRole", name), aggregation,
                shipped_by=shipped_by)


_K8S_EDIT = (
    ([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], _RO),
    ([""], ["serviceaccounts"], ["impersonate"]),
    ([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], _RW),
    ([""], ["pods/eviction"], ["create"]),
    ([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
            "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], _RW),
    ([""], ["serviceaccounts/token"], ["create"]),
    (["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                "replicasets/scale", "statefulsets", "statefulsets/scale"], _RW),
    (["autoscaling"], ["horizontalpodautoscalers"], _RW),
    (["batch"], ["cronjobs", "jobs"], _RW),
    (["extensions"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses",
                      "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"], _RW),
    (["policy"], ["poddisruptionbudgets"], _RW),
    (["networking.k8s.io"], ["ingresses", "networkpolicies"], _RW),
    (["coordination.k8s.io"], ["leases"], _RW + _RO),
)
_K8S_VIEW = (
    ([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
            "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
            "services/status"], _RO),
    ([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
            "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], _RO),
    ([""], ["namespaces"], _RO),
    (["discovery.k8s.io"], ["endpointslices"], _RO),
    (["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
                "statefulsets/scale", "statefulsets/status"], _RO),
    (["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], _RO),
    (["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], _RO),
    (["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], _RO),
    (["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], _RO),
)


def kubernetes_defaults() -> tuple[Role | Binding, ...]:
    """The bootstrap ClusterRoles that matter for writes, and the ``cluster-admin`` binding of
    group ``system:masters`` (testdata/cluster-role-bindings.yaml)."""
    roles = (
        _cluster_role("cluster-admin", "kubernetes", ((["*"], ["*"], ["*"]),)),
        _cluster_role("admin", "kubernetes", aggregate_from="admin"),
        _cluster_role("edit", "kubernetes", labels=("admin",), aggregate_from="edit"),
        _cluster_role("view", "kubernetes", labels=("edit",), aggregate_from="view"),
        _cluster_role("system:aggregate-to-admin", "kubernetes", (
            (["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
            (["rbac.authorization.k8s.io"], ["rolebindings", "roles"], _RW + _RO)), labels=("admin",)),
        _cluster_role("system:aggregate-to-edit", "kubernetes", _K8S_EDIT, labels=("edit",)),
        _cluster_role("system:aggregate-to-view", "kubernetes", _K8S_VIEW, labels=("view",)),
    )
    masters = Binding("ClusterRoleBinding", "cluster-admin", "", "ClusterRole", "cluster-admin",
                      [Subject("Group", "system:masters")], _origin("ClusterRoleBinding", "cluster-admin"),
                      shipped_by="kubernetes")
    return roles + (masters,)


def _shipped(dialect: type[Dialect]) -> tuple[Role | Binding, ...]:
    """The roles (and bindings) ``dialect``'s CNI ships, as its ``resources.py`` declares them."""
    out: list[Role | Binding] = []
    for decl in dialect.shipped_roles:
        out.append(_cluster_role(decl.name, dialect.name, decl.rules, decl.aggregate_to))
        if decl.bound_to:
            out.append(Binding("ClusterRoleBinding", decl.name, "", "ClusterRole", decl.name,
                               [Subject("Group", g) for g in decl.bound_to], _origin("ClusterRoleBinding", decl.name),
                               shipped_by=dialect.name))
    return tuple(out)


def antrea_shipped() -> tuple[Role | Binding, ...]:
    """The aggregation ClusterRoles of Antrea's chart (crds-rbac/clusterroles.yaml)."""
    return _shipped(AntreaDialect)


def assumed_for(cni: str, cni_roles: bool = True) -> tuple[Role | Binding, ...]:
    """Everything tierwall assumes exists in a cluster running ``cni``: Kubernetes' defaults,
    and (unless ``cni_roles`` is off) what the CNI's native dialect declares it ships."""
    out = kubernetes_defaults()
    native = native_dialect(cni)
    if cni_roles and native is not None:
        out += _shipped(native)
    return out
