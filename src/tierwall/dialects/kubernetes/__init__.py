"""Kubernetes NetworkPolicy (networking.k8s.io/v1)."""

from .lower import lower_network_policy as lower

__all__ = ["lower"]
