"""Generate the admission guard that closes what RBAC cannot (``tierwall guard``).

For an Antrea cluster, with the tiers ahead of ``threshold`` (default 250, the application
tier: everything an app team should not out-rank) reserved to the admin groups:

1. Antrea (Cluster)NetworkPolicies by anyone else may only name a tier at or after the
   threshold (or none: the webhook puts it in ``application``). RBAC cannot do this: the
   tier is a field (spec/antrea.md §8).
2. Tiers by anyone else only at priority ≥ threshold (a new tier ahead would otherwise be a
   way around 1; Antrea's webhook refuses priority updates, so create is what matters).
3. Pods — and every workload whose template becomes pods — may carry a label pair that a
   pod selector of a policy or group ahead of the threshold uses only when an admin group
   (or a kube-system controller acting on an admitted template) writes them: pod labels are
   identity (spec/antrea.md §8; routes.py ``pod-labels``).
4. Namespaces: label keys a namespace selector ahead of the threshold reads keep their value
   on update by anyone else.

The CEL uses only the standard library (no Kubernetes CEL extensions), so the tests evaluate
it with cel-python exactly as written.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..cluster import Cluster
from ..dialects import AntreaDialect
from ..dialects.antrea.tiers import LEGACY_TIER_NAMES, resolve_tier_name
from ..errors import UsageError

VAP_API = "admissionregistration.k8s.io/v1"
ANTREA_GROUPS = AntreaDialect.api_groups
GUARDED_CNI = AntreaDialect.profile.name
"""Guards are generated for Antrea's tiers only (its Tier priorities are what they protect)."""
CONTROLLERS = "system:serviceaccounts:kube-system"
"""Pods are created by the ReplicaSet/Job/... controllers running as kube-system service accounts
(kube-controller-manager ``--use-service-account-credentials``): their templates were admitted
by rule 3 already."""

TEMPLATES = {
    "pods": ("object.metadata", ("pods",), ("",)),
    "workloads": ("object.spec.template.metadata",
                  ("deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "replicationcontrollers"),
                  ("", "apps", "batch")),
    "cronjobs": ("object.spec.jobTemplate.spec.template.metadata", ("cronjobs",), ("batch",)),
}
"""Where each kind keeps the labels its pods get: (CEL path, resources, API groups)."""


def _cel_list(values) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _q(text: str) -> str:
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _selectors(data: Any, key: str) -> Iterator[dict]:
    """Every mapping under ``key`` anywhere in ``data`` (appliedTo, peers, groups alike)."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, dict):
                yield v
            yield from _selectors(v, key)
    elif isinstance(data, list):
        for v in data:
            yield from _selectors(v, key)


def protected(cluster: Cluster, threshold: int) -> tuple[list[str], set[tuple[str, str]], set[str], set[str]]:
    """(tiers still open to everyone, pod label pairs, pod label keys, namespace label keys)
    that the policies and groups ahead of ``threshold`` read."""
    tiers = {s.name.removeprefix("tier:"): s.priority for s in cluster.model.stages if s.name.startswith("tier:")}
    open_tiers = sorted(n for n, p in tiers.items() if p >= threshold)
    ahead = []
    for raw in cluster.objects.by_dialect.get(AntreaDialect.name, []):
        spec = raw.data.get("spec") if isinstance(raw.data.get("spec"), dict) else {}
        if raw.kind in ("ClusterGroup", "Group"):
            ahead.append(spec)
        elif raw.kind in ("ClusterNetworkPolicy", "NetworkPolicy"):
            if tiers.get(resolve_tier_name(spec.get("tier")), threshold) < threshold:
                ahead.append(spec)
    pairs: set[tuple[str, str]] = set()
    pod_keys: set[str] = set()
    ns_keys: set[str] = set()
    for spec in ahead:
        for sel in _selectors(spec, "podSelector"):
            for k, v in (sel.get("matchLabels") or {}).items():
                pairs.add((str(k), str(v)))
            for expr in sel.get("matchExpressions") or []:
                if isinstance(expr, dict) and expr.get("operator") == "In":
                    pairs.update((str(expr.get("key")), str(v)) for v in expr.get("values") or [])
                elif isinstance(expr, dict):
                    pod_keys.add(str(expr.get("key")))
        for sel in _selectors(spec, "namespaceSelector"):
            ns_keys.update(str(k) for k in (sel.get("matchLabels") or {}))
            ns_keys.update(str(e.get("key")) for e in sel.get("matchExpressions") or [] if isinstance(e, dict))
    ns_keys.discard("kubernetes.io/metadata.name")  # set by the API server, immutable
    return open_tiers, pairs, pod_keys, ns_keys


def _policy(name: str, resources, groups, operations, not_exempt: str, validations: list[dict]) -> list[dict]:
    policy = {"apiVersion": VAP_API, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": name},
              "spec": {"failurePolicy": "Fail",
                       "matchConstraints": {"resourceRules": [{"apiGroups": list(groups), "apiVersions": ["*"],
                                                               "operations": list(operations),
                                                               "resources": list(resources)}]},
                       "matchConditions": [{"name": "not-exempt", "expression": not_exempt}],
                       "validations": validations}}
    binding = {"apiVersion": VAP_API, "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": name},
               "spec": {"policyName": name, "validationActions": ["Deny"]}}
    return [policy, binding]


def generate_guard(cluster: Cluster, admin_groups: list[str], threshold: int = 250) -> list[dict]:
    """The ValidatingAdmissionPolicies and bindings described in the module docstring.

    Raises:
        UsageError: ``cluster`` does not run :data:`GUARDED_CNI`.
    """
    if cluster.model.cni != GUARDED_CNI:
        raise UsageError(f"guard generation covers {GUARDED_CNI.capitalize()} clusters only (this one is "
                         f"{cluster.model.cni}); Calico's tier-scoped RBAC closes tier choice there (docs/rbac.md)")
    admins = sorted(set(admin_groups) | {"system:masters"})
    not_admin = f"!request.userInfo.groups.exists(g, g in {_cel_list(admins)})"
    not_admin_or_controller = f"!request.userInfo.groups.exists(g, g in {_cel_list(admins + [CONTROLLERS])})"
    who = ", ".join(admin_groups)
    open_tiers, pairs, pod_keys, ns_keys = protected(cluster, threshold)
    names = sorted(set(open_tiers) | {k for k, v in LEGACY_TIER_NAMES.items() if v in open_tiers})
    out = _policy("tierwall-antrea-policy-tier", ("networkpolicies", "clusternetworkpolicies"), ANTREA_GROUPS,
                  ("CREATE", "UPDATE"), not_admin, [{
                      "expression": f"!has(object.spec.tier) || object.spec.tier in {_cel_list(names)}",
                      "message": f"only {who} may place Antrea policies in tiers ahead of priority {threshold}; "
                                 f"allowed tiers: {', '.join(names)}"}])
    out += _policy("tierwall-antrea-tier-priority", ("tiers",), ANTREA_GROUPS, ("CREATE", "UPDATE"), not_admin, [{
        "expression": f"object.spec.priority >= {threshold}",
        "message": f"only {who} may create Tiers ahead of priority {threshold}"}])
    if pairs or pod_keys:
        for label, (path, resources, groups) in TEMPLATES.items():
            labels = f"{path}.labels"
            present = f"has({path}) && has({labels})"
            terms = [f"({_q(k)} in {labels} && {labels}[{_q(k)}] == {_q(v)})" for k, v in sorted(pairs)]
            terms += [f"{_q(k)} in {labels}" for k in sorted(pod_keys)]
            shown = ", ".join([f"{k}={v}" for k, v in sorted(pairs)] + sorted(pod_keys))
            out += _policy(f"tierwall-pod-identity-{label}", resources, groups, ("CREATE", "UPDATE"),
                           not_admin_or_controller, [{
                               "expression": f"!({present} && ({' || '.join(terms)}))",
                               "message": f"pod labels {shown} are identities that policies ahead of priority "
                                          f"{threshold} trust: only {who} may give them"}])
    if ns_keys:
        old, new = "oldObject.metadata.labels", "object.metadata.labels"
        checks = []
        for k in sorted(ns_keys):
            in_new = f"(has({new}) && {_q(k)} in {new})"
            in_old = f"(has({old}) && {_q(k)} in {old})"
            checks.append({"expression": f"{in_new} == {in_old} && (!{in_new} || {new}[{_q(k)}] == {old}[{_q(k)}])",
                           "message": f"namespace label {k} is read by policies ahead of priority {threshold}: "
                                      f"only {who} may change it"})
        out += _policy("tierwall-namespace-identity", ("namespaces",), ("",), ("UPDATE",), not_admin, checks)
    return out
