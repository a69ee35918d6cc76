"""The API resources of networking.k8s.io that tierwall reads or knows, and the writes to them
that change verdicts. Kubernetes' own RBAC (admin/edit/view) is not the dialect's: it exists
under every CNI (rbac/builtin.py)."""

from __future__ import annotations

import copy

from ..contract import Resource, WriteTarget
KIND = "NetworkPolicy"
GROUP = "networking.k8s.io"

RESOURCES = (Resource(KIND, "networkpolicies", (GROUP,), "v1", namespaced=True),)
ALSO_SERVED = {GROUP: ("Ingress", "IngressClass", "IPAddress", "ServiceCIDR")}
"""The group's other kinds (api/networking/v1, v1beta1), which tierwall skips."""


def server_defaults(kind: str, spec: dict) -> dict:
    """A copy of a NetworkPolicy ``spec`` with what the API server defaults: a port's protocol
    (TCP) and ``policyTypes`` (Ingress, plus Egress when egress rules are given)
    (pkg/apis/networking/v1/defaults.go)."""
    spec = copy.deepcopy(spec)
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule or {}).get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    return spec


def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
    """A NetworkPolicy in any namespace (RBAC has no tiers for them)."""
    return [WriteTarget("NetworkPolicy", GROUP, "networkpolicies", ns) for ns in namespaces]
