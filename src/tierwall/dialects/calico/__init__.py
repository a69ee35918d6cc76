"""Calico: Tier, GlobalNetworkPolicy, NetworkPolicy, GlobalNetworkSet, NetworkSet
(projectcalico.org/v3 and crd.projectcalico.org/v1) and the selector language."""

from __future__ import annotations

from ...errors import Diagnostics
from ...inventory import Inventory
from ...load import RawObject
from ...model import AddressSet, Policy, Stage
from .lower import POLICY_KINDS, SET_KINDS, STAGED_KINDS, lower_calico_policy, lower_network_set
from .tiers import lower_tiers

NOT_MODELLED = {"HostEndpoint": "host endpoints (node interfaces) are not modelled; their policies are ignored"}


def lower(raws: list[RawObject], inv: Inventory, diags: Diagnostics) -> tuple[list[Stage], list[Policy],
                                                                                list[AddressSet]]:
    """Tier stages (built-in ones included), policies and address sets."""
    tiers = lower_tiers([r for r in raws if r.kind == "Tier"], diags)
    policies: list[Policy] = []
    sets: list[AddressSet] = []
    for raw in raws:
        if raw.kind in POLICY_KINDS:
            policy = lower_calico_policy(raw, tiers, diags)
            if policy is not None:
                policies.append(policy)
        elif raw.kind in SET_KINDS:
            aset = lower_network_set(raw, inv, diags)
            if aset is not None:
                sets.append(aset)
        elif raw.kind in STAGED_KINDS:
            diags.info(raw.origin, f"{raw.kind} never enforces; ignored", "TW304")
        elif raw.kind in NOT_MODELLED:
            diags.warning(raw.origin, f"{raw.kind}: {NOT_MODELLED[raw.kind]}", "TW225")
        elif raw.kind != "Tier":
            diags.info(raw.origin, f"Calico kind {raw.kind} does not affect policy verdicts; skipped", "TW303")
    return [t.stage() for t in tiers.values()], policies, sets


__all__ = ["lower"]
