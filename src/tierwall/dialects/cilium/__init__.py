"""Cilium: cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy."""

from .dialect import CiliumDialect

__all__ = ["CiliumDialect"]
