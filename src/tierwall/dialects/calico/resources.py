"""The API resources of Calico that tierwall reads or knows, the RBAC the operator ships, the
API server's tier check, and the writes to Calico objects that change verdicts.

Kinds as served: ``api/pkg/apis/projectcalico/v3`` (projectcalico.org, the Calico API server)
over the ``crd.projectcalico.org/v1`` CRDs that store the same objects (so a live read prefers
projectcalico.org). The operator (``pkg/render/apiserver.go``) ships
``calico-tiered-policy-passthrough``: every verb on projectcalico.org NetworkPolicies and
GlobalNetworkPolicies for ``system:authenticated``; the API server then decides by the
tier-scoped pseudo resources (docs: "Configure RBAC for tiered policies"). No aggregate-to-edit
role is shipped for Calico's policies.
"""

from __future__ import annotations

from ..contract import EXISTING, Resource, ShippedRole, TierCheck, WriteTarget

GROUP = "projectcalico.org"
CRD_GROUP = "crd.projectcalico.org"
GROUPS = (GROUP, CRD_GROUP)
POLICY_KINDS = ("GlobalNetworkPolicy", "NetworkPolicy")
STAGED_KINDS = ("StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy")
SET_KINDS = ("GlobalNetworkSet", "NetworkSet")

RESOURCES = (
    Resource("Tier", "tiers", GROUPS, "v3", apply_rank=1),
    Resource("GlobalNetworkPolicy", "globalnetworkpolicies", GROUPS, "v3"),
    Resource("NetworkPolicy", "networkpolicies", GROUPS, "v3", namespaced=True),
    Resource("GlobalNetworkSet", "globalnetworksets", GROUPS, "v3", apply_rank=2),
    Resource("NetworkSet", "networksets", GROUPS, "v3", namespaced=True, apply_rank=2),
    Resource("StagedGlobalNetworkPolicy", "stagedglobalnetworkpolicies", GROUPS, "v3"),
    Resource("StagedNetworkPolicy", "stagednetworkpolicies", GROUPS, "v3", namespaced=True),
    Resource("StagedKubernetesNetworkPolicy", "stagedkubernetesnetworkpolicies", GROUPS, "v3", namespaced=True),
    Resource("HostEndpoint", "hostendpoints", GROUPS, "v3"),
)
_OTHERS = ("Profile", "BGPConfiguration", "BGPPeer", "BGPFilter", "BlockAffinity", "CalicoNodeStatus",
           "ClusterInformation", "FelixConfiguration", "IPAMConfiguration", "IPAMConfig", "IPAMBlock", "IPAMHandle",
           "IPPool", "IPReservation", "KubeControllersConfiguration", "WorkloadEndpoint", "Node", "LiveMigration",
           "Host")
ALSO_SERVED = {GROUP: _OTHERS, CRD_GROUP: _OTHERS}
"""Every other kind of both groups (the crd group's IPAM kinds included), which tierwall skips."""

TIER_CHECK = TierCheck(GROUP, "tiers", {"networkpolicies": "tier.networkpolicies",
                                        "globalnetworkpolicies": "tier.globalnetworkpolicies"}, "default")

SHIPPED_ROLES = (
    ShippedRole("calico-tiered-policy-passthrough", (((GROUP,), ("networkpolicies", "globalnetworkpolicies"), ("*",)),),
                bound_to=("system:authenticated",)),
)


def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
    """Per tier: the Tier object and the policies in it (through the tier check); a new Tier;
    the network sets; and the CRDs written directly, which bypass the tier check."""
    out: list[WriteTarget] = []
    for tier in tiers:
        out.append(WriteTarget(f"Tier {tier}", GROUP, "tiers", name=tier, tier=tier, verbs=EXISTING))
        out.append(WriteTarget(f"GlobalNetworkPolicy in tier {tier}", GROUP, "globalnetworkpolicies", tier=tier,
                               tier_checked=True))
        out += [WriteTarget(f"NetworkPolicy in tier {tier}", GROUP, "networkpolicies", ns, tier=tier,
                            tier_checked=True) for ns in namespaces]
    out.append(WriteTarget("new Tier (any order)", GROUP, "tiers", verbs=("create",)))
    out.append(WriteTarget("GlobalNetworkSet", GROUP, "globalnetworksets"))
    out += [WriteTarget("NetworkSet", GROUP, "networksets", ns) for ns in namespaces]
    out.append(WriteTarget("policies through the CRDs directly (bypasses the tier check)", CRD_GROUP,
                           "globalnetworkpolicies"))
    out += [WriteTarget("NetworkPolicy through the CRD directly (bypasses the tier check)", CRD_GROUP,
                        "networkpolicies", ns) for ns in namespaces]
    return out
