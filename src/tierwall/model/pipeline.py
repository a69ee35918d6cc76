"""The evaluation order, as data.

For one direction at one endpoint, a flow walks an ordered list of :class:`Stage` values.
Inside a stage the applicable rules are tried in ``Rule.sort_key`` order and the first match
decides. What differs between CNIs is only *data* here: where the Kubernetes NetworkPolicy
stage sits, where ``Pass`` continues, and what "no rule matched" means at a stage's end.
Nothing after ``lower`` branches on the dialect's name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from .action import Verdict


class NoMatch(str, Enum):
    """What happens when no rule of a stage matched."""

    CONTINUE = "continue"
    """Go on to the next stage (Antrea tiers: native policies never isolate)."""
    DROP_IF_SELECTED = "drop-if-selected"
    """Drop when a policy of this stage selects the endpoint for this direction
    (Kubernetes NetworkPolicy isolation; Calico's end-of-tier deny); else go on."""


NETWORKPOLICY_STAGE = "kubernetes-networkpolicy"
"""Name of the stage holding Kubernetes NetworkPolicies."""

DEFAULT_STAGE = "default"
"""Name of the final stage: nothing decided, the CNI's default applies."""


@dataclass(frozen=True, slots=True)
class Stage:
    """One step of the evaluation order."""

    name: str
    """Unique within a pipeline; rules name the stage they belong to."""
    title: str
    """How users know it: ``Tier securityops``, ``Kubernetes NetworkPolicy``..."""
    priority: float
    """Position: stages run in ascending priority (Antrea tier priorities are used as is)."""
    no_match: NoMatch = NoMatch.CONTINUE
    pass_to: str | None = None
    """Stage where evaluation continues after ``Pass``; ``None`` when Pass is not valid here."""
    default_verdict: Verdict | None = None
    """Only on the default stage: the verdict when nothing decided."""
    origin_ref: str = ""
    """``Tier/name`` when the stage comes from a declared or built-in object."""
    end_of_tier: bool = False
    """The drop at this stage's end is a tier's default action (Calico), not NetworkPolicy
    isolation; only the wording in traces differs."""


@dataclass(frozen=True, slots=True)
class AdminStage:
    """Where one kind of upstream admin policy goes for a CNI: a stage name and priority.
    Kinds that map to the same name share one stage (their policies ordered together)."""

    name: str
    title: str
    priority: float


@dataclass(frozen=True, slots=True)
class CniProfile:
    """How one CNI orders the stages (see ``docs/semantics.md``)."""

    name: str
    networkpolicy_priority: float
    """Where the Kubernetes NetworkPolicy stage sits among tier priorities."""
    pass_to_networkpolicy: bool
    """True: Pass in any stage before the NetworkPolicy stage jumps straight to it (Antrea,
    AdminNetworkPolicy). False: Pass continues with the next stage (Calico tiers). After the
    NetworkPolicy stage, Pass always continues with the next stage."""
    admin_stages: dict[str, AdminStage]
    """Placement of ``AdminNetworkPolicy`` (``anp``), ``BaselineAdminNetworkPolicy``
    (``banp``) and the v1alpha2 ClusterNetworkPolicy tiers (``cnp-admin``, ``cnp-baseline``);
    empty when the CNI does not enforce those APIs."""
    networkpolicy_tier: str | None = None
    """Set when Kubernetes NetworkPolicies are ordinary policies of a CNI tier (Calico: the
    ``default`` tier) instead of a stage of their own."""
    networkpolicy_order: float = 0.0
    """Their order inside that tier (Calico: 1000)."""


GENERIC_ADMIN = AdminStage("admin", "Admin tier (AdminNetworkPolicy / ClusterNetworkPolicy Admin)", -1.0)
GENERIC_BASELINE = AdminStage("baseline-admin", "Baseline tier (ClusterNetworkPolicy Baseline / "
                                                 "BaselineAdminNetworkPolicy)", 1.0)
GENERIC_PROFILE = CniProfile("generic", networkpolicy_priority=0.0, pass_to_networkpolicy=True,
                             admin_stages={"anp": GENERIC_ADMIN, "cnp-admin": GENERIC_ADMIN,
                                           "banp": GENERIC_BASELINE, "cnp-baseline": GENERIC_BASELINE})
"""Plain Kubernetes with the upstream admin APIs: Admin tier → NetworkPolicy → Baseline → allow.
Each CNI-native dialect declares its own profile (``dialects/<name>/profile.py``)."""


def build_pipeline(profile: CniProfile, tier_stages: list[Stage]) -> tuple[Stage, ...]:
    """Order the dialects' tier stages around the NetworkPolicy and default stages."""
    np_stage = Stage(NETWORKPOLICY_STAGE, "Kubernetes NetworkPolicy", profile.networkpolicy_priority,
                     no_match=NoMatch.DROP_IF_SELECTED)
    default = Stage(DEFAULT_STAGE, "Default (no policy decided)", float("inf"),
                    default_verdict=Verdict.ALLOW)
    unique = {}
    for stage in tier_stages:  # the first declaration of a stage wins (a CNI's own tier object)
        unique.setdefault(stage.name, stage)
    extra = [] if profile.networkpolicy_tier else [np_stage]
    ordered = sorted([*unique.values(), *extra], key=lambda s: (s.priority, s.name))
    out: list[Stage] = []
    for i, stage in enumerate(ordered):
        if stage.name == NETWORKPOLICY_STAGE:
            out.append(stage)
            continue
        if profile.pass_to_networkpolicy and stage.priority < profile.networkpolicy_priority:
            target = NETWORKPOLICY_STAGE
        else:
            target = ordered[i + 1].name if i + 1 < len(ordered) else DEFAULT_STAGE
        out.append(replace(stage, pass_to=target))
    out.append(default)
    return tuple(out)
