"""Calico Tiers: the built-in ones, declared ones, their order and end-of-tier action.

Source: spec/calico.md §1.3 (felix/calc/policy_sorter.go ``TierLess``,
updateprocessors/tierprocessor.go, api/pkg/apis/projectcalico/v3/tier.go).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import NoMatch, Stage
from ...origin import BUILTIN, Origin

DEFAULT_TIER = "default"
BUILTIN_TIERS = {"default": (1_000_000.0, "Deny"), "kube-admin": (1_000.0, "Pass"),
                 "kube-baseline": (10_000_000.0, "Pass")}
"""Tiers every Calico cluster has, with the order and default action the v3 API enforces.
(``adminnetworkpolicy``/``baselineadminnetworkpolicy`` were their names before v3.32; in a
dump of such a cluster they are ordinary declared Tiers.)"""

UNORDERED = 1e18
"""Stage priority of a tier without ``order``: after every ordered tier (ties by name)."""


@dataclass(frozen=True, slots=True)
class CalicoTier:
    name: str
    order: float | None
    default_action: str  # Deny | Pass
    origin: Origin

    @property
    def stage_name(self) -> str:
        return f"tier:{self.name}"

    def stage(self) -> Stage:
        order = "no order" if self.order is None else f"order {_fmt(self.order)}"
        return Stage(self.stage_name, f"Tier {self.name} ({order}, default {self.default_action})",
                     UNORDERED if self.order is None else self.order,
                     no_match=NoMatch.DROP_IF_SELECTED if self.default_action == "Deny" else NoMatch.CONTINUE,
                     origin_ref=f"Tier/{self.name}", end_of_tier=True)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def lower_tiers(raws: list[RawObject], diags: Diagnostics) -> dict[str, CalicoTier]:
    tiers = {name: CalicoTier(name, order, action, BUILTIN.at(f"Tier/{name}"))
             for name, (order, action) in BUILTIN_TIERS.items()}
    for raw in raws:
        r = ObjectReader(raw, diags)
        spec = r.spec(("order", "defaultAction"))
        if spec is None:
            continue
        order = r.number(spec, "order", ("spec",), float("-inf"), float("inf"), integer=False)
        action = r.string(spec, "defaultAction", ("spec",), choices=("Deny", "Pass")) or "Deny"
        if r.failed:
            continue
        if raw.name in BUILTIN_TIERS:
            want_order, want_action = BUILTIN_TIERS[raw.name]
            if (order is not None and order != want_order) or action != want_action:
                r.error(("spec",), f"{raw.name} tier order must be {_fmt(want_order)} and defaultAction "
                                   f"{want_action}")
            continue
        tiers[raw.name] = CalicoTier(raw.name, None if order is None else float(order), action, raw.origin)
    return tiers
