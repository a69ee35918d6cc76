"""Tamper routes that write Antrea objects: what a subject allowed to write Antrea policies,
Tiers or groups could create to flip a protected case (the search is rbac/tamper.py; each
draft is believed only when re-loading the cluster with it flips the case).

``antrea-tier`` / ``antrea-cluster``: a NetworkPolicy / ClusterNetworkPolicy in the first tier
(the tier is a field of the policy, so RBAC gives every tier the same writers, spec/antrea.md
§8); ``antrea-new-tier``: a Tier ahead of every tier, with a policy in it; ``antrea-group``: a
ClusterGroup / Group edited to match every pod, or nothing.
"""

from __future__ import annotations

from typing import Iterator

from ...load import RawObject
from ..common import NAMESPACE_NAME_LABEL
from ..contract import Draft, TamperCase, TamperRoute
from .resources import RESOURCES

API = next(r for r in RESOURCES if r.kind == "Tier").api_version


def _rule(action: str) -> dict:
    # no peer list: the rule matches every peer (docs/antrea-network-policy.md)
    return {"action": "Allow" if action == "Allow" else "Drop", "name": "witness"}


def _policies(case: TamperCase, tier: str, cluster_scoped: bool) -> Iterator[list[dict]]:
    """Policies in ``tier`` for one side at a time, then for both sides."""
    for group in case.side_groups():
        objs = []
        for i, (direction, ns) in enumerate(group):
            spec = {"tier": tier, "priority": 1, direction: [_rule(case.aim)]}
            md = {"name": f"{case.name}-{i}"}
            if cluster_scoped:
                spec["appliedTo"] = [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ns}}}]
                objs.append({"apiVersion": API, "kind": "ClusterNetworkPolicy", "metadata": md, "spec": spec})
            else:
                spec["appliedTo"] = [{"podSelector": {}}]
                objs.append({"apiVersion": API, "kind": "NetworkPolicy",
                             "metadata": {**md, "namespace": ns}, "spec": spec})
        yield objs


def _in_first_tier(case: TamperCase, cluster_scoped: bool) -> Iterator[Draft]:
    if not case.tiers:
        return
    top = case.tiers[0][0]
    kind = "ClusterNetworkPolicy" if cluster_scoped else "NetworkPolicy"
    for objs in _policies(case, top, cluster_scoped):
        yield Draft(f"Antrea {kind} in tier {top}, the first tier", tuple(("create", o, None) for o in objs))


def in_first_tier(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    return _in_first_tier(case, cluster_scoped=False)


def cluster_in_first_tier(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    return _in_first_tier(case, cluster_scoped=True)


def new_tier(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    prio = int(case.tiers[0][1]) - 1 if case.tiers else 1
    if prio < 0:
        return
    tier = {"apiVersion": API, "kind": "Tier", "metadata": {"name": case.name}, "spec": {"priority": prio}}
    for scoped in (False, True):
        for objs in _policies(case, case.name, cluster_scoped=scoped):
            yield Draft(f"a new Tier at priority {prio}, ahead of every tier, with a policy in it",
                        (("create", tier, None), *(("create", o, None) for o in objs)))


def edited_group(case: TamperCase, raws: list[RawObject]) -> Iterator[Draft]:
    for raw in raws:
        if raw.kind not in ("ClusterGroup", "Group"):
            continue
        everything = {"namespaceSelector": {}} if raw.kind == "ClusterGroup" else {"podSelector": {}}
        nothing = {"ipBlocks": [{"cidr": "192.0.2.1/32"}]}  # TEST-NET-1: no pod, no peer
        for spec, what in ((everything, "every pod"), (nothing, "nothing")):
            yield Draft(f"{raw.kind} {raw.name} edited to match {what}", (("update", {**raw.data, "spec": spec}, raw),))


TAMPER_ROUTES = (
    TamperRoute("antrea-tier", 10, in_first_tier),
    TamperRoute("antrea-cluster", 11, cluster_in_first_tier),
    TamperRoute("antrea-new-tier", 12, new_tier),
    TamperRoute("antrea-group", 50, edited_group),
)
