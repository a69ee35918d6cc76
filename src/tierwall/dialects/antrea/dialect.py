"""Declarations of the Antrea dialect: Tier, ClusterNetworkPolicy, NetworkPolicy,
ClusterGroup and Group in every API group/version users still have manifests for."""

from __future__ import annotations

from ...load import RawObject
from ...model import Policy
from ..contract import AGE, DESIRED_NODES, Column, Dialect, GetKind, LowerContext, Lowered, spec_of
from .profile import CNP_ADMIN, PROFILE
from .resources import ALSO_SERVED, RESOURCES, SHIPPED_ROLES, VERSIONS, referenced_services, write_targets
from .tamper import TAMPER_ROUTES

KINDS = tuple(r.kind for r in RESOURCES)


def written_tier(policy: Policy, raw: RawObject | None) -> str:
    """``spec.tier`` as the user wrote it (kubectl's TIER column prints the field), the
    webhook's default when empty."""
    tier = spec_of(raw).get("tier")
    return str(tier) if tier else policy.ref.tier


def current_nodes(policy: Policy, raw: RawObject | None) -> str:
    """CURRENT NODES is what antrea-controller has seen realized (``status.currentNodesRealized``):
    known only from a status the input carries, never computed offline."""
    status = (raw.data.get("status") or {}) if raw is not None else {}
    value = status.get("currentNodesRealized") if isinstance(status, dict) else None
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "<unknown>"


def phase(policy: Policy, raw: RawObject | None) -> str:
    """``status.phase`` (Pending, Realizing, Realized, Failed) as antrea-controller reports it;
    like CURRENT NODES, known only from a status the input carries (a live read, a snapshot)."""
    status = (raw.data.get("status") or {}) if raw is not None else {}
    value = status.get("phase") if isinstance(status, dict) else None
    return str(value) if isinstance(value, str) and value else "<unknown>"


POLICY_COLUMNS = (Column("TIER", written_tier), Column("PRIORITY", lambda p, raw: p.ref.priority), DESIRED_NODES,
                  Column("CURRENT NODES", current_nodes), AGE, Column("PHASE", phase, wide=True))
"""As ``kubectl get acnp`` prints them (the CRDs' additionalPrinterColumns), plus PHASE from
``status`` with ``-o wide`` (the CRDs print no phase column; the status carries one)."""


class AntreaDialect(Dialect):
    name = "antrea"
    api_groups = tuple(VERSIONS)
    kinds = KINDS
    profile = PROFILE
    validation_code = "TW112"
    lint_codes = frozenset({"TW256"})  # equal priorities: upstream leaves the order undefined
    resources = RESOURCES
    also_served = ALSO_SERVED
    tamper_routes = TAMPER_ROUTES
    shipped_roles = SHIPPED_ROLES
    write_targets = staticmethod(write_targets)
    referenced_services = staticmethod(referenced_services)
    get_kinds = (
        GetKind("acnp", "ClusterNetworkPolicy", ("acnps", "clusternetworkpolicies"), ("ClusterNetworkPolicy",),
                ("ClusterNetworkPolicy",), columns=POLICY_COLUMNS),
        GetKind("annp", "Antrea NetworkPolicy", ("annps",), ("NetworkPolicy",), ("AntreaNetworkPolicy",),
                namespaced=True, columns=POLICY_COLUMNS),
        GetKind("clustergroups", "ClusterGroup", ("cg", "clustergroup"), ("ClusterGroup",)),
        GetKind("groups", "Group", ("grp", "group"), ("Group",), namespaced=True),
    )

    def lower(self, objects: list[RawObject], context: LowerContext) -> Lowered:
        """Tiers (system ones included) and the policies, with groups resolved into peers."""
        from .groups import GroupIndex, parse_group  # see Dialect.lower: imported when used
        from .lower import lower_antrea_policy
        from .peers import Context
        from .tiers import lower_tiers

        diags = context.diags
        self.tiers = lower_tiers([r for r in objects if r.kind == "Tier"], diags)
        groups = [g for r in objects if r.kind in ("ClusterGroup", "Group")
                  if (g := parse_group(r, diags, context.service))]
        ctx = Context(self.tiers, GroupIndex(groups, diags), context.service, diags)
        policies = [p for r in objects if r.kind in ("ClusterNetworkPolicy", "NetworkPolicy")
                    if (p := lower_antrea_policy(r, ctx)) is not None]
        stages = [t.stage() for t in sorted(self.tiers.values(), key=lambda t: t.priority)]
        return Lowered(stages, policies)

    def check(self, policies: list[Policy], context: LowerContext) -> None:
        """Antrea reserves tier priority 220 for the upstream ClusterNetworkPolicy Admin tier; a
        user Tier already there blocks every ClusterNetworkPolicy (docs/cluster-network-policy.md)."""
        clash = [t for t in self.tiers.values() if t.priority == CNP_ADMIN.priority and not t.system]
        if not clash:
            return
        for p in policies:
            if p.stage == CNP_ADMIN.name:
                context.diags.error(p.ref.origin, f"ClusterNetworkPolicy creation is blocked: a user-created Tier at "
                                                  f"priority {int(CNP_ADMIN.priority)} ({clash[0].name}) already "
                                                  f"exists", "TW107")
