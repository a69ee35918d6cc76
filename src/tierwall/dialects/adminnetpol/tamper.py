"""The tamper route that writes an AdminNetworkPolicy: ``adminnetworkpolicy``, at priority 0
(the first an admin stage evaluates) with an Allow or Deny rule for the case's namespaces."""

from __future__ import annotations

from typing import Iterator

from ...load import RawObject
from ..common import NAMESPACE_NAME_LABEL
from ..contract import Draft, TamperCase, TamperRoute
from .resources import RESOURCES

API = next(r for r in RESOURCES if r.kind == "AdminNetworkPolicy").api_version


def policy_at_priority_zero(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    action = "Allow" if case.aim == "Allow" else "Deny"
    for group in case.side_groups():
        objs = []
        for i, (direction, ns) in enumerate(group):
            peer = {"from": [{"namespaces": {}}]} if direction == "ingress" else \
                {"to": [{"namespaces": {}}, {"networks": ["0.0.0.0/0", "::/0"]}]}
            objs.append({"apiVersion": API, "kind": "AdminNetworkPolicy", "metadata": {"name": f"{case.name}-{i}"},
                         "spec": {"priority": 0, "subject": {"namespaces": {"matchLabels": {NAMESPACE_NAME_LABEL: ns}}},
                                  direction: [{"name": "witness", "action": action, **peer}]}})
        yield Draft("AdminNetworkPolicy at priority 0", tuple(("create", o, None) for o in objs))


TAMPER_ROUTES = (TamperRoute("adminnetworkpolicy", 30, policy_at_priority_zero),)
