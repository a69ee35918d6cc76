"""AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2)
of policy.networking.k8s.io."""

from .dialect import GROUP, AdminNetworkPolicyDialect

__all__ = ["GROUP", "AdminNetworkPolicyDialect"]
