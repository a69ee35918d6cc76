"""What a policy set or a central folder delivers to a cluster, object by object.

A policy set is delivered as a Flux Kustomization (what Tanzu Mission Control's continuous
delivery creates) delivers it: every object gets the ``namePrefix`` in front of its name
(references inside CRD fields are *not* rewritten — kustomize only rewrites the references
its nameReference configuration knows, and Antrea's fields are not among them) and the
ownership labels (Flux's ``kustomize.toolkit.fluxcd.io/name`` and ``/namespace`` unless the
Fleet says otherwise), by which ``prune`` later finds what it delivered.

A central folder is delivered as the NSX adapter realises NSX policies: every Antrea
ClusterNetworkPolicy / namespaced NetworkPolicy is placed in the central tier (an NSX
category tier ``nsx-category-*``, priorities 0–4, or a tier the Fleet names) and labelled as
managed by the adapter (``ccp-adapter.antrea.tanzu.vmware.com/managedBy``); the NSX category
Tiers themselves are declared when the cluster does not have them (spec/antrea.md §9).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from ..dialects import AntreaDialect
from ..dialects.antrea.lower import NSX_MANAGED_LABEL
from ..errors import Diagnostics
from ..load import RawObject, load_text
from ..origin import Origin
from .spec import CentralSet, PolicySet

ANTREA_POLICY_KINDS = ("ClusterNetworkPolicy", "NetworkPolicy")
ANTREA_POLICY_GROUPS = tuple(dict.fromkeys(g for k in ANTREA_POLICY_KINDS for g in AntreaDialect.resource(k).groups))
TIER_API_VERSION = AntreaDialect.resource("Tier").api_version


@dataclass(frozen=True)
class Bundle:
    """One policy set or central folder, read once, ready to ship to the workers."""

    name: str
    kind: str  # "policySet" | "central"
    texts: tuple[tuple[str, str], ...]
    origin: Origin
    """The Fleet file entry that delivers it."""
    prune: bool = False
    name_prefix: str = ""
    owner_labels: tuple[tuple[str, str], ...] = ()
    tier: str = ""
    tier_priority: int | None = None

    @classmethod
    def of_policy_set(cls, ps: PolicySet, texts) -> "Bundle":
        return cls(ps.name, "policySet", tuple(texts), ps.origin, ps.prune, ps.name_prefix,
                   tuple(sorted(ps.owner_labels.items())))

    @classmethod
    def of_central(cls, cs: CentralSet, texts) -> "Bundle":
        return cls(cs.name, "central", tuple(texts), cs.origin, tier=cs.tier, tier_priority=cs.tier_priority)

    @property
    def label(self) -> str:
        return f"{'central' if self.kind == 'central' else 'policy set'} {self.name}"

    def owns(self, raw: RawObject) -> bool:
        """Whether ``raw`` carries every ownership label of this set (what prune selects by)."""
        labels = raw.metadata.get("labels")
        return bool(self.owner_labels) and isinstance(labels, dict) and \
            all(labels.get(k) == v for k, v in self.owner_labels)


def identity(raw: RawObject) -> tuple[str, str, str, str]:
    """How the API server tells objects apart: group, kind, namespace, name."""
    return (raw.group, raw.kind, raw.namespace, raw.name)


def deliver(bundle: Bundle, diags: Diagnostics) -> list[RawObject]:
    """The objects ``bundle`` puts into a cluster, in file order, transformed as delivered."""
    out: list[RawObject] = []
    for name, text in bundle.texts:
        for raw in load_text(text, name, diags):
            out.append(_central(raw, bundle, diags) if bundle.kind == "central" else _owned(raw, bundle))
    if bundle.kind == "central" and bundle.tier_priority is not None:
        out.insert(0, _nsx_tier(bundle))
    return out


def _copy(raw: RawObject, data: dict) -> RawObject:
    md = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    origin = replace(raw.origin, name=str(md.get("name") or ""))
    return RawObject(data=data, origin=origin, where=raw.where)


def _metadata(data: dict) -> dict:
    md = data.get("metadata")
    if not isinstance(md, dict):
        md = data["metadata"] = {}
    return md


def _owned(raw: RawObject, bundle: Bundle) -> RawObject:
    data = copy.deepcopy(raw.data)
    md = _metadata(data)
    if bundle.name_prefix and md.get("name"):
        md["name"] = f"{bundle.name_prefix}{md['name']}"
    labels = md.get("labels") if isinstance(md.get("labels"), dict) else {}
    md["labels"] = {**labels, **dict(bundle.owner_labels)}
    return _copy(raw, data)


def _central(raw: RawObject, bundle: Bundle, diags: Diagnostics) -> RawObject:
    if raw.group not in ANTREA_POLICY_GROUPS or raw.kind not in ANTREA_POLICY_KINDS:
        return raw  # ClusterGroups, Groups, Tiers: delivered as they are
    data = copy.deepcopy(raw.data)
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return raw  # the dialect reports the missing spec
    written = spec.get("tier")
    if written and written != bundle.tier:
        diags.warning(raw.at(("spec", "tier")), f"{bundle.label} places this policy in tier {bundle.tier} "
                                                f"(it names {written})", "TW241")
    spec["tier"] = bundle.tier
    md = _metadata(data)
    labels = md.get("labels") if isinstance(md.get("labels"), dict) else {}
    md["labels"] = {**labels, NSX_MANAGED_LABEL: "ccp-adapter"}
    return _copy(raw, data)


def _nsx_tier(bundle: Bundle) -> RawObject:
    data = {"apiVersion": TIER_API_VERSION, "kind": "Tier",
            "metadata": {"name": bundle.tier, "labels": {NSX_MANAGED_LABEL: "ccp-adapter"}},
            "spec": {"priority": bundle.tier_priority,
                     "description": f"NSX category tier (declared by tierwall for {bundle.label})"}}
    origin = Origin(file=bundle.origin.file, line=bundle.origin.line, kind="Tier", name=bundle.tier,
                    api_version=TIER_API_VERSION)
    return RawObject(data=data, origin=origin)
