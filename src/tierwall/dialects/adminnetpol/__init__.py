"""AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2)
of policy.networking.k8s.io."""

from .lower import lower_admin_policy as lower

__all__ = ["lower"]
