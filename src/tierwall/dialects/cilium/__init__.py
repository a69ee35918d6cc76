"""Cilium: cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy."""

from .lower import GROUP, KINDS, lower_policies as lower

__all__ = ["GROUP", "KINDS", "lower"]
