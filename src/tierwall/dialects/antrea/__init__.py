"""Antrea: Tier, ClusterNetworkPolicy, NetworkPolicy, ClusterGroup, Group (every API version)."""

from .dialect import KINDS, VERSIONS, AntreaDialect

__all__ = ["KINDS", "VERSIONS", "AntreaDialect"]
