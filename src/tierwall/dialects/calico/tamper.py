"""The tamper route that writes Calico objects: ``calico-tier``, a Calico NetworkPolicy or
GlobalNetworkPolicy in a tier (the API server's tier check decides who may, rbac/evaluate.py),
acting on the case's pods with an Allow or Deny rule of its own."""

from __future__ import annotations

from typing import Iterator

from ...load import RawObject
from ..contract import Draft, TamperCase, TamperRoute
from .labels import NAMESPACE_LABEL
from .resources import RESOURCES

API = next(r for r in RESOURCES if r.kind == "NetworkPolicy").api_version
ADMIN_TIER_PREFIX = "kube-"
"""AdminNetworkPolicy's tiers (kube-admin, kube-baseline): no Calico policy lands there by choice."""


def policy_in_tier(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    action = "Allow" if case.aim == "Allow" else "Deny"
    for tier, _ in case.tiers:
        if tier.startswith(ADMIN_TIER_PREFIX):
            continue
        name = case.name if tier == "default" else f"{tier}.{case.name}"
        for direction, ns in case.sides:
            spec = {"tier": tier, "order": 0, "types": [direction.capitalize()], direction: [{"action": action}]}
            yield Draft(f"Calico NetworkPolicy in tier {tier}", (("create", {
                "apiVersion": API, "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
                "spec": {**spec, "selector": "all()"}}, None),))
            yield Draft(f"Calico GlobalNetworkPolicy in tier {tier}", (("create", {
                "apiVersion": API, "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
                "spec": {**spec, "selector": f"{NAMESPACE_LABEL} == '{ns}'"}}, None),))


TAMPER_ROUTES = (TamperRoute("calico-tier", 20, policy_in_tier),)
