"""One cluster after delivery: its own objects, what its groups and central deliver, what a
prune removes — and how that differs from what the cluster holds now (drift).

Apply semantics follow Flux's server-side apply: a delivered object replaces the cluster's
object of the same identity (group, kind, namespace, name); with ``prune: true`` an object
carrying the set's ownership labels that the set no longer delivers is deleted; without
prune it stays (listed as orphaned). Objects delivered twice (two sets, same identity) are
applied in delivery order — central first, then each group's sets in Fleet order — so the
last one is what the cluster keeps, and a warning names both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Diagnostics
from ..load import RawObject, load_paths
from .deliver import Bundle, deliver, identity
from .spec import ClusterSpec

_VOLATILE = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink",
             "annotations")


@dataclass
class Assembly:
    cluster: ClusterSpec
    current: list[RawObject]
    """The cluster's own objects, as its sources give them."""
    delivered: list[tuple[Bundle, RawObject]] = field(default_factory=list)
    effective: list[RawObject] = field(default_factory=list)
    """What the cluster holds once everything is applied (and pruned)."""
    created: list[tuple[Bundle, RawObject]] = field(default_factory=list)
    updated: list[tuple[Bundle, RawObject, RawObject]] = field(default_factory=list)
    """(set, the cluster's drifted copy, the delivered object) where the two differ."""
    pruned: list[tuple[Bundle, RawObject]] = field(default_factory=list)
    orphaned: list[tuple[Bundle, RawObject]] = field(default_factory=list)
    """Owned by a set that no longer delivers them, but the set does not prune: they stay."""

    def delivered_by(self) -> dict[int, Bundle]:
        """``id(raw)`` → the set that delivered it (for attributing rules)."""
        return {id(raw): bundle for bundle, raw in self.delivered}


def assemble(cluster: ClusterSpec, bundles: list[Bundle], diags: Diagnostics,
             others: tuple[Bundle, ...] = ()) -> Assembly:
    """Read the cluster's sources, deliver every bundle, and work out the result.

    ``others``: the fleet's policy sets this cluster does not receive; objects they own are
    pruned too when they prune (a cluster leaving a group loses its Kustomization, and Flux
    garbage-collects what a pruning Kustomization applied when it is deleted)."""
    current = load_paths(list(cluster.sources), diags)
    asm = Assembly(cluster, current)
    chosen: dict[tuple, tuple[Bundle, RawObject]] = {}
    for bundle in bundles:
        for raw in deliver(bundle, diags):
            key = identity(raw)
            before = chosen.get(key)
            if before is not None and not (before[1].data == raw.data):
                diags.warning(raw.origin, f"{'/'.join(p for p in key[1:] if p)} is delivered by {before[0].label} "
                                          f"and by {bundle.label}; the cluster keeps the last one applied "
                                          f"({bundle.label})", "TW242")
            chosen[key] = (bundle, raw)
    asm.delivered = list(chosen.values())
    now = {identity(r): r for r in current}
    for bundle, raw in asm.delivered:
        mine = now.get(identity(raw))
        if mine is None:
            asm.created.append((bundle, raw))
        elif _content(mine) != _content(raw):
            asm.updated.append((bundle, mine, raw))
    keep: list[RawObject] = []
    for raw in current:
        key = identity(raw)
        if key in chosen:
            continue  # replaced by the delivered object
        owner = next((b for b in (*bundles, *others) if b.kind == "policySet" and b.owns(raw)), None)
        if owner is not None and owner.prune:
            asm.pruned.append((owner, raw))
            continue
        if owner is not None:
            asm.orphaned.append((owner, raw))
        keep.append(raw)
    asm.effective = keep + [raw for _, raw in asm.delivered]
    return asm


def _content(raw: RawObject) -> dict:
    """What an apply changes: everything but status and server-managed metadata."""
    data = {k: v for k, v in raw.data.items() if k != "status"}
    md = data.get("metadata")
    if isinstance(md, dict):
        data["metadata"] = {k: v for k, v in md.items() if k not in _VOLATILE}
    return data
