"""Declarations of the Kubernetes NetworkPolicy dialect (networking.k8s.io/v1)."""

from __future__ import annotations

from dataclasses import replace

from ...load import RawObject
from ...model import Policy, Priority
from ..contract import AGE, Column, Dialect, GetKind, LowerContext, Lowered, selector_text, spec_of
from .resources import ALSO_SERVED, GROUP, KIND, RESOURCES, server_defaults, write_targets
from .tamper import TAMPER_ROUTES


class KubernetesDialect(Dialect):
    name = "kubernetes"
    api_groups = (GROUP,)
    kinds = (KIND,)
    validation_code = "TW111"
    lint_codes = frozenset({"TW253"})  # a NetworkPolicy whose flows earlier tiers all decide
    resources = RESOURCES
    also_served = ALSO_SERVED
    tamper_routes = TAMPER_ROUTES
    write_targets = staticmethod(write_targets)
    server_defaults = staticmethod(server_defaults)
    get_kinds = (GetKind("networkpolicies", "NetworkPolicy", ("netpol", "networkpolicy", "np"), (KIND,), (KIND,),
                         namespaced=True,
                         columns=(Column("POD-SELECTOR", lambda p, raw: selector_text(spec_of(raw).get("podSelector"))),
                                  AGE)),)

    def lower(self, objects: list[RawObject], context: LowerContext) -> Lowered:
        from .lower import lower_network_policy  # see Dialect.lower: imported when used

        out = Lowered()
        for raw in objects:
            policy = lower_network_policy(raw, context.diags)
            if policy is not None:
                out.policies.append(_place(policy, context))
        return out


def _place(policy: Policy, context: LowerContext) -> Policy:
    """Move a NetworkPolicy into the CNI stage that holds them, if the CNI profile names one
    (Calico: tier default at order 1000, named ``knp.default.<name>`` for the name order;
    Cilium: the one allow set)."""
    profile = context.profile
    if profile.networkpolicy_tier is None:
        return policy
    tier = profile.networkpolicy_tier
    name = (f"{policy.ref.namespace}/knp.default.{policy.ref.name}",)
    rules = tuple(replace(r, stage=tier, priority=Priority(profile.networkpolicy_order, 0, name, r.index, True))
                  for r in policy.rules)
    return replace(policy, stage=tier, rules=rules)
