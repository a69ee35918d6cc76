"""Declarations of the upstream admin policy dialect (policy.networking.k8s.io):
AdminNetworkPolicy, BaselineAdminNetworkPolicy (v1alpha1) and ClusterNetworkPolicy (v1alpha2)."""

from __future__ import annotations

from ...load import RawObject
from ...model import Policy, Stage
from ..contract import AGE, Column, Dialect, GetKind, LowerContext, Lowered, spec_of
from .resources import ALSO_SERVED, GROUP, RESOURCES, write_targets
from .tamper import TAMPER_ROUTES

PRIORITY = Column("PRIORITY", lambda p, raw: p.ref.priority)


class AdminNetworkPolicyDialect(Dialect):
    name = "adminnetpol"
    api_groups = (GROUP,)
    validation_code = "TW114"
    lint_codes = frozenset({"TW256"})  # equal priorities: upstream leaves the order undefined
    resources = RESOURCES
    also_served = ALSO_SERVED
    tamper_routes = TAMPER_ROUTES
    write_targets = staticmethod(write_targets)
    get_kinds = (
        GetKind("anp", "AdminNetworkPolicy", ("anps", "adminnetworkpolicies"), ("AdminNetworkPolicy",),
                ("AdminNetworkPolicy",), columns=(PRIORITY, AGE)),
        GetKind("banp", "BaselineAdminNetworkPolicy", ("banps", "baselineadminnetworkpolicies"),
                ("BaselineAdminNetworkPolicy",), ("BaselineAdminNetworkPolicy",), columns=(AGE,)),
        GetKind("cnp", "ClusterNetworkPolicy", ("cnps",), ("ClusterNetworkPolicy",),
                ("ClusterNetworkPolicy.policy.networking.k8s.io",),
                columns=(Column("TIER", lambda p, raw: str(spec_of(raw).get("tier", ""))), PRIORITY, AGE)),
    )

    def lower(self, objects: list[RawObject], context: LowerContext) -> Lowered:
        """The policies, in the admin stages the CNI profile places them in; a CNI that does not
        enforce these APIs (no admin stages) leaves them out with a warning."""
        profile = context.profile
        if not profile.admin_stages:
            for raw in objects:
                context.diags.warning(raw.origin, f"{raw.kind} ({raw.api_version}) is not enforced by "
                                                  f"{context.cni}: it is left out", "TW226")
            return Lowered()
        if not objects:
            return Lowered()
        from .lower import lower_admin_policy  # see Dialect.lower: imported when used

        policies = [p for raw in objects if (p := lower_admin_policy(raw, profile, context.diags))]
        used = {p.stage for p in policies}
        stages = [Stage(s.name, s.title, s.priority) for s in
                  {s.name: s for s in profile.admin_stages.values()}.values() if s.name in used]
        _check_banp_singleton(policies, context)
        return Lowered(stages, policies)


def _check_banp_singleton(policies: list[Policy], context: LowerContext) -> None:
    banps = [p for p in policies if p.ref.kind == "BaselineAdminNetworkPolicy"]
    for extra in banps[1:]:
        context.diags.error(extra.ref.origin, "BaselineAdminNetworkPolicy is a singleton: only one, named default, "
                                              f"may exist (first at {banps[0].ref.origin.location})", "TW106")
