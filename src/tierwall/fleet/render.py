"""``fleet render``: per cluster, exactly the objects it receives, as a folder tree that Flux
(a Kustomization per cluster path) or Argo CD (an Application per cluster path) applies.

    OUT/clusters/<cluster>/kustomization.yaml      resources: one folder per delivered set
    OUT/clusters/<cluster>/<set>/kustomization.yaml
    OUT/clusters/<cluster>/<set>/NNN-<kind>-<name>.yaml
    OUT/reports/<cluster>.yaml                     what applying it changes: created, updated
                                                   (drift), pruned, orphaned — outside the
                                                   applied tree, so no tool applies it

Objects are written in apply order (Tiers, then groups, then policies, each set's file order
kept within a kind), with the delivered names (prefix) and labels (ownership, NSX).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from ..dialects import apply_ranks
from ..dialects.contract import Resource
from ..errors import Diagnostics
from .assemble import Assembly, assemble
from .plan import Plan

KIND_ORDER = {"Namespace": 0, **apply_ranks()}
"""Apply order: what others refer to first (a policy naming an absent Tier is refused); the
dialects declare their kinds' ranks (``Resource.apply_rank``)."""
POLICY_RANK = Resource.apply_rank


def _rank(raw) -> int:
    return KIND_ORDER.get(raw.kind, POLICY_RANK)


def _file_name(index: int, raw) -> str:
    parts = [raw.kind.lower(), raw.namespace, raw.name]
    return f"{index:03d}-" + "-".join(p for p in parts if p) + ".yaml"


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def render_cluster(asm: Assembly, out: Path) -> dict:
    """Write one cluster's tree; returns the change report also written to ``reports/``."""
    root = out / "clusters" / asm.cluster.name
    sets: dict[str, list] = {}
    for bundle, raw in asm.delivered:
        folder = f"central-{bundle.name}" if bundle.kind == "central" else bundle.name
        sets.setdefault(folder, []).append(raw)
    for folder, raws in sets.items():
        target = root / folder
        target.mkdir(parents=True, exist_ok=True)
        ordered = sorted(enumerate(raws), key=lambda p: (_rank(p[1]), p[0]))
        names = []
        for i, (_, raw) in enumerate(ordered, start=1):
            name = _file_name(i, raw)
            (target / name).write_text(f"# from {raw.origin.location}\n" + _dump(raw.data), encoding="utf-8")
            names.append(name)
        (target / "kustomization.yaml").write_text(_dump(_kustomization(names)), encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    (root / "kustomization.yaml").write_text(_dump(_kustomization(list(sets))), encoding="utf-8")
    report = change_report(asm)
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"{asm.cluster.name}.yaml").write_text(_dump(report), encoding="utf-8")
    return report


def _kustomization(resources: list[str]) -> dict:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}


def _ref(raw) -> dict:
    out = {"apiVersion": raw.api_version, "kind": raw.kind}
    if raw.namespace:
        out["namespace"] = raw.namespace
    out["name"] = raw.name
    return out


def change_report(asm: Assembly) -> dict:
    """What applying the rendered tree does to the cluster as its sources show it."""
    return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "FleetDelivery", "cluster": asm.cluster.name,
            "delivered": len(asm.delivered),
            "created": [{**_ref(r), "set": b.name} for b, r in asm.created],
            "updated": [{**_ref(r), "set": b.name, "drifted": mine.origin.location} for b, mine, r in asm.updated],
            "pruned": [{**_ref(r), "set": b.name, "from": r.origin.location} for b, r in asm.pruned],
            "orphaned": [{**_ref(r), "set": b.name, "from": r.origin.location,
                          "note": "owned by the set but no longer delivered; the set does not prune, so it stays"}
                         for b, r in asm.orphaned]}


def render_fleet(plan: Plan, out: Path, diags_of: dict[str, Diagnostics]) -> dict[str, dict | None]:
    """Render every cluster; a cluster whose sources cannot be read gets ``None`` and its
    diagnostics in ``diags_of`` (the others are still written). The clusters folder is
    replaced, so a cluster removed from the fleet does not linger in the output."""
    shutil.rmtree(out / "clusters", ignore_errors=True)
    shutil.rmtree(out / "reports", ignore_errors=True)
    results: dict[str, dict | None] = {}
    for job in plan.jobs():
        diags = diags_of.setdefault(job.cluster.name, Diagnostics())
        asm = assemble(job.cluster, list(job.bundles), diags, job.others)
        results[job.cluster.name] = None if diags.has_errors() else render_cluster(asm, out)
    return results
