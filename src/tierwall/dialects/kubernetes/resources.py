"""The API resources of networking.k8s.io that tierwall reads or knows, and the writes to them
that change verdicts. Kubernetes' own RBAC (admin/edit/view) is not the dialect's: it exists
under every CNI (rbac/builtin.py)."""

from __future__ import annotations

from ..contract import Resource, WriteTarget
from .lower import GROUP, KIND

RESOURCES = (Resource(KIND, "networkpolicies", (GROUP,), "v1", namespaced=True),)
ALSO_SERVED = {GROUP: ("Ingress", "IngressClass", "IPAddress", "ServiceCIDR")}
"""The group's other kinds (api/networking/v1, v1beta1), which tierwall skips."""


def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
    """A NetworkPolicy in any namespace (RBAC has no tiers for them)."""
    return [WriteTarget("NetworkPolicy", GROUP, "networkpolicies", ns) for ns in namespaces]
