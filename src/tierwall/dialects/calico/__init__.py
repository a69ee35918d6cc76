"""Calico: Tier, GlobalNetworkPolicy, NetworkPolicy, GlobalNetworkSet, NetworkSet
(projectcalico.org/v3 and crd.projectcalico.org/v1) and the selector language."""

from .dialect import GROUPS, CalicoDialect

__all__ = ["GROUPS", "CalicoDialect"]
