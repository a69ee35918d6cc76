"""The tamper route that writes a Kubernetes NetworkPolicy: ``networkpolicy``, in the pod's own
namespace — an isolating policy with no rule (to drop) or one that allows everything (to
allow, where the case's pods were isolated by other NetworkPolicies)."""

from __future__ import annotations

from typing import Iterator

from ...load import RawObject
from ..contract import Draft, TamperCase, TamperRoute
from .resources import RESOURCES

API = RESOURCES[0].api_version


def policy_in_namespace(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    for group in case.side_groups():
        objs = []
        for i, (direction, ns) in enumerate(group):
            spec: dict = {"podSelector": {}, "policyTypes": [direction.capitalize()]}
            if case.aim == "Allow":
                spec[direction] = [{}]  # one empty rule: everything, every port
            objs.append({"apiVersion": API, "kind": "NetworkPolicy",
                         "metadata": {"name": f"{case.name}-{i}", "namespace": ns}, "spec": spec})
        yield Draft("Kubernetes NetworkPolicy in the pod's own namespace", tuple(("create", o, None) for o in objs))


TAMPER_ROUTES = (TamperRoute("networkpolicy", 40, policy_in_namespace),)
