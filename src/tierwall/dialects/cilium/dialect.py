"""Declarations of the Cilium dialect: cilium.io/v2 CiliumNetworkPolicy and
CiliumClusterwideNetworkPolicy."""

from __future__ import annotations

from ...load import RawObject
from ...model import Direction, Policy
from ..contract import AGE, DESIRED_NODES, Column, Dialect, GetKind, LowerContext, Lowered
from .profile import PROFILE
from .resources import ALSO_SERVED, CLUSTERWIDE, GROUP, KINDS, NAMESPACED, RESOURCES, write_targets


def default_deny(policy: Policy, raw: RawObject | None) -> str:
    """The directions this rule set puts its pods into default deny for."""
    return ",".join(d.value for d in Direction if d in policy.isolates) or "<none>"


POLICY_COLUMNS = (Column("DEFAULT DENY", default_deny), DESIRED_NODES, AGE)


class CiliumDialect(Dialect):
    name = "cilium"
    api_groups = (GROUP,)
    kinds = KINDS
    profile = PROFILE
    validation_code = "TW117"
    resources = RESOURCES
    also_served = ALSO_SERVED
    write_targets = staticmethod(write_targets)
    get_kinds = (
        GetKind("ciliumnetworkpolicies", "CiliumNetworkPolicy", ("ciliumnetworkpolicy", "cilnp"), (NAMESPACED,),
                (NAMESPACED,), namespaced=True, columns=POLICY_COLUMNS),
        GetKind("ccnp", "CiliumClusterwideNetworkPolicy", ("ccnps", "ciliumclusterwidenetworkpolicies"),
                (CLUSTERWIDE,), (CLUSTERWIDE,), columns=POLICY_COLUMNS),
    )

    def lower(self, objects: list[RawObject], context: LowerContext) -> Lowered:
        from .lower import lower_policies  # see Dialect.lower: imported when used

        stages, policies = lower_policies(objects, context.diags)
        return Lowered(stages, policies)
