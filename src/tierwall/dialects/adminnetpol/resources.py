"""The API resources of policy.networking.k8s.io (network-policy-api ``apis/v1alpha1``,
``v1alpha2``) and the writes to them that change verdicts."""

from __future__ import annotations

from ..contract import Resource, WriteTarget
GROUP = "policy.networking.k8s.io"

RESOURCES = (
    Resource("AdminNetworkPolicy", "adminnetworkpolicies", (GROUP,), "v1alpha1"),
    Resource("BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies", (GROUP,), "v1alpha1"),
    Resource("ClusterNetworkPolicy", "clusternetworkpolicies", (GROUP,), "v1alpha2"),
)
ALSO_SERVED: dict[str, tuple[str, ...]] = {GROUP: ()}
"""The group serves no other kind."""


def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
    """Any AdminNetworkPolicy; the BaselineAdminNetworkPolicy, a singleton named ``default``."""
    return [WriteTarget("AdminNetworkPolicy", GROUP, "adminnetworkpolicies"),
            WriteTarget("BaselineAdminNetworkPolicy", GROUP, "baselineadminnetworkpolicies", name="default")]
