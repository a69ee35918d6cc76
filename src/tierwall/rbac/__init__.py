"""Who can change which tier: RBAC, write targets, tamper routes with witnesses, guards.

``read_cluster_rbac`` reads the Roles and bindings among a cluster's inputs (plus the roles
Kubernetes and the CNI ship); ``evaluate`` is the RBAC authorizer; ``targets`` lists the
writes that decide traffic (``tierwall who-can``); ``routes`` turns a subject's rights into
concrete witness objects; ``tamper`` re-loads the cluster with each witness and re-runs the
protected ConnectivityTest cases; ``guard`` generates and evaluates ValidatingAdmissionPolicies.
"""

from __future__ import annotations

from ..cluster import Cluster
from ..errors import Diagnostics
from ..expect import CheckReport
from .builtin import assumed_for
from .evaluate import Grant, Identity, Request, authorize, who_can
from .model import Binding, Rbac, Role, Rule, Subject, read_rbac


def read_cluster_rbac(cluster: Cluster, diags: Diagnostics, cni_roles: bool = True) -> Rbac:
    """The RBAC objects of ``cluster``'s inputs, with Kubernetes' defaults (and, unless
    ``cni_roles`` is off, the aggregation roles its CNI ships) filled in."""
    raws = cluster.objects.by_dialect.get("rbac", []) if cluster.objects else []
    return read_rbac(raws, diags, assumed_for(cluster.model.cni, cni_roles))


def analyse(cluster: Cluster, report: CheckReport, diags: Diagnostics, cni_roles: bool = True,
            pod_cidr: str | None = None):
    """The tamper search over ``report``'s protected cases, with the cluster's RBAC and the
    admission guards among its inputs (a :class:`~tierwall.rbac.tamper.TamperReport`)."""
    from .guard import read_guards
    from .tamper import search
    rbac = read_cluster_rbac(cluster, diags, cni_roles)
    if not any(b for b in rbac.bindings if not b.shipped_by):
        from ..origin import Origin
        diags.warning(Origin(file="<inputs>"), "cases are protectedFrom subjects, but the input holds no RoleBinding or "
                                               "ClusterRoleBinding: only the built-in bindings are known, so every "
                                               "other subject can write nothing — add the cluster's RBAC objects",
                      "TW262")
    guards = read_guards(cluster.objects.by_dialect.get("admission", []) if cluster.objects else [], diags)
    diags.raise_if_errors()
    return search(cluster, report, rbac, guards, pod_cidr)


__all__ = ["analyse", "Binding", "Grant", "Identity", "Rbac", "Request", "Role", "Rule", "Subject", "authorize",
           "read_cluster_rbac", "read_rbac", "who_can"]
