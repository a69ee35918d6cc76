"""The API resources of cilium.io/v2 that tierwall reads. The group's other kinds
(CiliumEndpoint, CiliumNode, CiliumIdentity …) are not enumerated: an unlisted kind of
cilium.io is skipped, not called a misspelling. No shipped RBAC is declared: the ClusterRoles
Cilium installs (install/kubernetes/cilium/templates) are bound to its agent's and operator's
service accounts and none is aggregated to admin/edit; like the other CNIs' component roles
they are not modelled. The tamper search has no Cilium route yet: it does not write Cilium
policies as witnesses."""

from __future__ import annotations

from ..contract import Resource, WriteTarget
GROUP = "cilium.io"
VERSION = "v2"
NAMESPACED = "CiliumNetworkPolicy"
CLUSTERWIDE = "CiliumClusterwideNetworkPolicy"
KINDS = (NAMESPACED, CLUSTERWIDE)

RESOURCES = (
    Resource(NAMESPACED, "ciliumnetworkpolicies", (GROUP,), "v2", namespaced=True),
    Resource(CLUSTERWIDE, "ciliumclusterwidenetworkpolicies", (GROUP,), "v2"),
)
ALSO_SERVED = None


def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
    """A CiliumNetworkPolicy in any namespace, and any CiliumClusterwideNetworkPolicy (Cilium
    has no tiers: every deny comes before every allow, whoever writes it)."""
    return [*(WriteTarget("CiliumNetworkPolicy", GROUP, "ciliumnetworkpolicies", ns) for ns in namespaces),
            WriteTarget("CiliumClusterwideNetworkPolicy", GROUP, "ciliumclusterwidenetworkpolicies")]
