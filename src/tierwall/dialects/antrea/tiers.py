"""Antrea Tiers: the six system tiers, user and NSX tiers, and the webhook's tier rules.

Source: spec/antrea.md §1.3 and §6 (pkg/controller/networkpolicy/tier.go,
pkg/apis/crd/v1beta1/types.go).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import Stage
from ...origin import BUILTIN, Origin

SYSTEM_TIERS = {
    "emergency": 50,
    "securityops": 100,
    "networkops": 150,
    "platform": 200,
    "application": 250,
    "baseline": 253,
}
"""Tiers antrea-controller creates at start; they exist without being declared."""

DEFAULT_TIER = "application"
"""The mutating webhook sets an empty ``spec.tier`` to this."""

BASELINE_TIER = "baseline"

LEGACY_TIER_NAMES = {"Emergency": "emergency", "SecurityOps": "securityops", "NetworkOps": "networkops",
                     "Platform": "platform", "Application": "application", "Baseline": "baseline"}
"""Capitalised static names still accepted in ``spec.tier`` and mapped to the system tier."""

RESERVED_PRIORITIES = {251: "AdminNetworkPolicy", 252: "reserved", 254: "BaselineAdminNetworkPolicy",
                       255: "reserved"}
"""Tier priorities a user Tier may not take (tier.go)."""

MAX_TIERS = 20
"""``maxSupportedTiers``: the webhook refuses a 21st distinct priority."""


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    priority: int
    origin: Origin
    system: bool = False

    @property
    def stage_name(self) -> str:
        return f"tier:{self.name}"

    def stage(self) -> Stage:
        return Stage(self.stage_name, f"Tier {self.name} ({self.priority})", float(self.priority), origin_ref=f"Tier/{self.name}")


def system_tiers() -> dict[str, Tier]:
    return {name: Tier(name, prio, BUILTIN.at(f"Tier/{name}"), system=True)
            for name, prio in SYSTEM_TIERS.items()}


def lower_tiers(raws: list[RawObject], diags: Diagnostics) -> dict[str, Tier]:
    """System tiers plus every valid declared Tier, checked as the Tier webhook does."""
    tiers = system_tiers()
    by_priority = {t.priority: t.name for t in tiers.values()}
    for raw in raws:
        r = ObjectReader(raw, diags)
        spec = r.spec(("priority", "description"))
        if spec is None:
            continue
        prio = r.number(spec, "priority", ("spec",), 0, 255, required=True)
        if prio is None:
            continue
        if raw.name in SYSTEM_TIERS:
            if prio != SYSTEM_TIERS[raw.name]:
                r.error(("spec", "priority"), f"system tier {raw.name} has priority {SYSTEM_TIERS[raw.name]}; "
                                              f"update to Tier priority is not allowed")
            continue  # a dump of a live cluster lists the system tiers: nothing to add
        if prio in RESERVED_PRIORITIES:
            r.error(("spec", "priority"), f"tier {raw.name} priority {prio} is reserved "
                                          f"({RESERVED_PRIORITIES[prio]})")
            continue
        if prio in by_priority and by_priority[prio] != raw.name:
            r.error(("spec", "priority"), f"tier {raw.name} priority {prio} overlaps with existing Tier "
                                          f"{by_priority[prio]}")
            continue
        if raw.name in tiers and tiers[raw.name].priority != prio:
            r.error(("metadata", "name"), f"Tier {raw.name} is declared twice with different priorities")
            continue
        if len(by_priority) >= MAX_TIERS and prio not in by_priority:
            r.error(("spec", "priority"), f"maximum number of Tiers supported: {MAX_TIERS}")
            continue
        tiers[raw.name] = Tier(raw.name, int(prio), raw.origin)
        by_priority[int(prio)] = raw.name
    return tiers


def resolve_tier_name(value: str | None) -> str:
    """``spec.tier`` as the webhooks read it: empty → application; legacy names lower-cased."""
    if not value:
        return DEFAULT_TIER
    return LEGACY_TIER_NAMES.get(value, value)
