"""The API resources of Antrea that tierwall reads or knows, the RBAC Antrea's chart ships,
and the writes to Antrea objects that change verdicts.

Kinds as served: ``build/charts/antrea/crds/*.yaml`` (crd.antrea.io) and the legacy
``*.antrea.tanzu.vmware.com`` groups that Antrea ≤1.x mirrored into crd.antrea.io (so a live
read prefers crd.antrea.io: the legacy groups serve the same objects). Roles:
``build/charts/antrea/templates/crds-rbac/clusterroles.yaml`` — ClusterNetworkPolicies,
NetworkPolicies, ClusterGroups (and Traceflows) aggregated to admin and edit; no aggregation
for Tiers or Groups.
"""

from __future__ import annotations

from ...load import RawObject
from ..contract import EXISTING, Resource, ShippedRole, WriteTarget

GROUP = "crd.antrea.io"
SECURITY = "security.antrea.tanzu.vmware.com"
CORE = "core.antrea.tanzu.vmware.com"
OPS = "ops.antrea.tanzu.vmware.com"

VERSIONS = {GROUP: {"v1alpha1", "v1alpha2", "v1alpha3", "v1beta1"}, SECURITY: {"v1alpha1"}, CORE: {"v1alpha2"}}
"""Every API group/version of Antrea policy CRDs that users still have manifests for."""

RESOURCES = (
    Resource("ClusterNetworkPolicy", "clusternetworkpolicies", (GROUP, SECURITY), "v1beta1"),
    Resource("NetworkPolicy", "networkpolicies", (GROUP, SECURITY), "v1beta1", namespaced=True),
    Resource("Tier", "tiers", (GROUP, SECURITY), "v1beta1", apply_rank=1),
    Resource("ClusterGroup", "clustergroups", (GROUP, CORE), "v1beta1", apply_rank=2),
    Resource("Group", "groups", (GROUP,), "v1beta1", namespaced=True, apply_rank=3),
)
ALSO_SERVED = {
    GROUP: ("Traceflow", "ExternalEntity", "ExternalNode", "Egress", "ExternalIPPool", "IPPool", "AntreaAgentInfo",
            "AntreaControllerInfo", "AntreaNodeConfig", "BGPPolicy", "FlowExporterDestination", "FlowExporterTarget",
            "NodeLatencyMonitor", "PacketCapture", "PacketSampling", "SupportBundle", "SupportBundleCollection",
            "TrafficControl"),
    SECURITY: (),
    CORE: ("ExternalEntity",),
    OPS: ("Traceflow",),
}
"""Every other kind of these groups, which tierwall skips."""

_WRITE = ("get", "list", "watch", "create", "update", "patch", "delete")
_READ = ("get", "list", "watch")
_POLICIES = ("clusternetworkpolicies", "networkpolicies")

SHIPPED_ROLES = (
    ShippedRole("aggregate-antrea-policies-edit", (((GROUP,), _POLICIES, _WRITE),), ("admin", "edit")),
    ShippedRole("aggregate-antrea-policies-view", (((GROUP,), _POLICIES, _READ),), ("view",)),
    ShippedRole("aggregate-traceflows-edit", (((GROUP,), ("traceflows",), _WRITE),), ("admin", "edit")),
    ShippedRole("aggregate-traceflows-view", (((GROUP,), ("traceflows",), _READ),), ("view",)),
    ShippedRole("aggregate-antrea-clustergroups-edit", (((GROUP,), ("clustergroups",), _WRITE),), ("admin", "edit")),
    ShippedRole("aggregate-antrea-clustergroups-view", (((GROUP,), ("clustergroups",), _READ),), ("view",)),
)


def referenced_services(raw: RawObject) -> list[tuple[str, str, str]]:
    """Services named by ``toServices`` in egress rules and by a group's ``serviceReference``
    (a missing namespace is the object's own)."""
    out = []
    spec = raw.data.get("spec") if isinstance(raw.data.get("spec"), dict) else {}
    for rule in spec.get("egress") or [] if isinstance(spec.get("egress"), list) else []:
        for svc in (rule.get("toServices") or []) if isinstance(rule, dict) else []:
            if isinstance(svc, dict) and svc.get("name"):
                out.append((str(svc.get("namespace") or raw.namespace), str(svc["name"]),
                            f"toServices of {raw.kind}/{raw.name}"))
    ref = spec.get("serviceReference")
    if isinstance(ref, dict) and ref.get("name"):
        out.append((str(ref.get("namespace") or raw.namespace), str(ref["name"]),
                    f"serviceReference of {raw.kind}/{raw.name}"))
    return out


def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
    """Per tier: the Tier object and the policies that land in it (the tier is a field of the
    policy, so RBAC gives every tier the same writers, spec/antrea.md §8); a new Tier; the
    groups rules reference."""
    out: list[WriteTarget] = []
    for tier in tiers:
        out.append(WriteTarget(f"Tier {tier}", GROUP, "tiers", name=tier, tier=tier, verbs=EXISTING))
        out.append(WriteTarget(f"ClusterNetworkPolicy in tier {tier}", GROUP, "clusternetworkpolicies", tier=tier))
        out += [WriteTarget(f"NetworkPolicy in tier {tier}", GROUP, "networkpolicies", ns, tier=tier)
                for ns in namespaces]
    out.append(WriteTarget("new Tier (any priority, e.g. ahead of every tier)", GROUP, "tiers", verbs=("create",)))
    out.append(WriteTarget("ClusterGroup", GROUP, "clustergroups"))
    out += [WriteTarget("Group", GROUP, "groups", ns) for ns in namespaces]
    return out
