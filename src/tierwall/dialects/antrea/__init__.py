"""Antrea: Tier, ClusterNetworkPolicy, NetworkPolicy, ClusterGroup, Group (every API version)."""

from __future__ import annotations

from ...errors import Diagnostics
from ...inventory import Inventory
from ...load import RawObject
from ...model import Policy
from .groups import GroupIndex, parse_group
from .lower import lower_antrea_policy
from .peers import Context
from .tiers import Tier, lower_tiers


def lower(raws: list[RawObject], inv: Inventory, diags: Diagnostics) -> tuple[dict[str, Tier], list[Policy]]:
    """Tiers (system ones included) and the policies, with groups resolved into peers."""
    tiers = lower_tiers([r for r in raws if r.kind == "Tier"], diags)
    groups = [g for r in raws if r.kind in ("ClusterGroup", "Group") if (g := parse_group(r, diags, inv))]
    ctx = Context(tiers, GroupIndex(groups, diags), inv, diags)
    policies = [p for r in raws if r.kind in ("ClusterNetworkPolicy", "NetworkPolicy")
                if (p := lower_antrea_policy(r, ctx)) is not None]
    return tiers, policies


__all__ = ["lower"]
