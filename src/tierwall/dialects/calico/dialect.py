"""Declarations of the Calico dialect: Tier, GlobalNetworkPolicy, NetworkPolicy,
GlobalNetworkSet, NetworkSet (projectcalico.org/v3 and crd.projectcalico.org/v1)."""

from __future__ import annotations

from ...load import RawObject
from ..contract import AGE, Column, Dialect, GetKind, LowerContext, Lowered
from .labels import VIEW_PREFIXES, effective_labels
from .profile import PROFILE
from .resources import (ALSO_SERVED, GROUPS, POLICY_KINDS, RESOURCES, SET_KINDS, SHIPPED_ROLES, STAGED_KINDS,
                        TIER_CHECK, write_targets)
from .tamper import TAMPER_ROUTES

NOT_MODELLED = {"HostEndpoint": "host endpoints (node interfaces) are not modelled; their policies are ignored"}
POLICY_COLUMNS = (Column("TIER", lambda p, raw: p.ref.tier), Column("ORDER", lambda p, raw: p.ref.priority or "<none>"),
                  AGE)


class CalicoDialect(Dialect):
    name = "calico"
    api_groups = GROUPS
    profile = PROFILE
    validation_code = "TW113"
    label_view = staticmethod(effective_labels)
    view_label_prefixes = VIEW_PREFIXES
    lint_codes = frozenset({"TW257"})  # selectors testing labels only namespaces carry
    resources = RESOURCES
    also_served = ALSO_SERVED
    tamper_routes = TAMPER_ROUTES
    shipped_roles = SHIPPED_ROLES
    tier_check = TIER_CHECK
    write_targets = staticmethod(write_targets)
    get_kinds = (
        GetKind("gnp", "GlobalNetworkPolicy", ("gnps", "globalnetworkpolicies"), ("GlobalNetworkPolicy",),
                ("GlobalNetworkPolicy",), columns=POLICY_COLUMNS),
        GetKind("caliconetworkpolicies", "Calico NetworkPolicy", ("cnpc",), ("NetworkPolicy",),
                ("CalicoNetworkPolicy",), namespaced=True, columns=POLICY_COLUMNS),
        GetKind("networksets", "NetworkSet", ("netsets",), SET_KINDS),
    )

    def lower(self, objects: list[RawObject], context: LowerContext) -> Lowered:
        """Tier stages (built-in ones included), policies and address sets."""
        from .lower import lower_calico_policy, lower_network_set  # see Dialect.lower: imported when used
        from .tiers import lower_tiers

        diags = context.diags
        tiers = lower_tiers([r for r in objects if r.kind == "Tier"], diags)
        out = Lowered([t.stage() for t in tiers.values()])
        for raw in objects:
            if raw.kind in POLICY_KINDS:
                policy = lower_calico_policy(raw, tiers, diags)
                if policy is not None:
                    out.policies.append(policy)
            elif raw.kind in SET_KINDS:
                aset = lower_network_set(raw, context.namespace_labels, diags)
                if aset is not None:
                    out.address_sets.append(aset)
            elif raw.kind in STAGED_KINDS:
                diags.info(raw.origin, f"{raw.kind} never enforces; ignored", "TW304")
            elif raw.kind in NOT_MODELLED:
                diags.warning(raw.origin, f"{raw.kind}: {NOT_MODELLED[raw.kind]}", "TW225")
            elif raw.kind != "Tier":
                diags.info(raw.origin, f"Calico kind {raw.kind} does not affect policy verdicts; skipped", "TW303")
        return out
