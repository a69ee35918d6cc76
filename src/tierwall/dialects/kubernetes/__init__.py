"""Kubernetes NetworkPolicy (networking.k8s.io/v1)."""

from .dialect import KubernetesDialect

__all__ = ["KubernetesDialect"]
