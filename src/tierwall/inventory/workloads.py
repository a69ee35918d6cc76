"""Pods for workloads that were given without their pods.

Manifests in a Git repository hold Deployments, not Pods. To answer "can web reach db"
before deploy, tierwall makes the pods a controller would make: the template's labels,
ports and service account, ``replicas`` of them (one per matching node for a DaemonSet),
named ``<workload>-<i>`` so that users can name them in ``trace`` and tests. When the input
also holds pods owned (directly or through a ReplicaSet/Job) by the workload, nothing is
synthesized: the real pods win.
"""

from __future__ import annotations

from ..errors import Diagnostics
from ..load import ObjectReader, RawObject
from ..selectors import LabelSelector
from .objects import Node, Pod
from .parse import pod_from_template

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                  "ReplicationController", "Job", "CronJob")


def _owners(raw_meta: dict) -> list[tuple[str, str]]:
    refs = raw_meta.get("ownerReferences")
    return [(str(o.get("kind")), str(o.get("name")))
            for o in (refs if isinstance(refs, list) else []) if isinstance(o, dict)]


def synthesize(workloads: list[RawObject], pods: list[Pod], pod_raws: list[RawObject],
               nodes: dict[str, Node], diags: Diagnostics) -> tuple[list[Pod], dict[str, list[Pod]]]:
    """Pods for every top-level workload without real pods, and the workload → pods map."""
    by_key = {(w.namespace or "default", w.kind, w.name): w for w in workloads}

    def top(ns: str, kind: str, name: str) -> tuple[str, str, str]:
        """Walk owner references up to the outermost workload present in the input."""
        key = (ns, kind, name)
        seen = set()
        while key in by_key and key not in seen:
            seen.add(key)
            parents = [(ns, k, n) for k, n in _owners(by_key[key].metadata) if (ns, k, n) in by_key]
            if not parents:
                break
            key = parents[0]
        return key

    owned: dict[tuple[str, str, str], list[Pod]] = {}
    for pod, raw in zip(pods, pod_raws):
        for kind, name in _owners(raw.metadata):
            owner = top(pod.namespace, kind, name)
            if owner in by_key:
                owned.setdefault(owner, []).append(pod)
    made: list[Pod] = []
    groups: dict[str, list[Pod]] = {}
    taken = {p.key for p in pods}
    for key, raw in sorted(by_key.items()):
        ns, kind, name = key
        if top(*key) != key:
            continue  # e.g. a ReplicaSet whose Deployment is also given
        if key in owned:
            groups[f"{ns}/{name}"] = owned[key]
            continue
        new = _pods_for(raw, nodes, diags, taken)
        for p in new:
            taken.add(p.key)
        made.extend(new)
        groups[f"{ns}/{name}"] = new
    return made, groups


def _template(raw: RawObject, r: ObjectReader) -> tuple[dict | None, dict | None, tuple]:
    spec = r.mapping(raw.data, "spec", (), required=True) or {}
    path: tuple = ("spec",)
    if raw.kind == "CronJob":
        jt = r.mapping(spec, "jobTemplate", path, required=True) or {}
        spec, path = r.mapping(jt, "spec", path + ("jobTemplate",), required=True) or {}, path + ("jobTemplate", "spec")
    tpl = r.mapping(spec, "template", path, required=True)
    if tpl is None:
        return None, None, ()
    podspec = r.mapping(tpl, "spec", path + ("template",), required=True)
    meta = r.mapping(tpl, "metadata", path + ("template",)) or {}
    return meta, podspec, path + ("template", "spec")


def _count(raw: RawObject, r: ObjectReader) -> int:
    spec = raw.data.get("spec") or {}
    if raw.kind in ("Job",):
        n = spec.get("parallelism", 1)
    elif raw.kind == "CronJob":
        n = 1  # pods exist only while a run is active: model one run
    else:
        n = spec.get("replicas", 1)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        r.error(("spec", "replicas"), f"replicas must be a non-negative integer, not {n!r}")
        return 0
    return n


def _labels(value) -> dict:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _pods_for(raw: RawObject, nodes: dict[str, Node], diags: Diagnostics, taken: set[str]) -> list[Pod]:
    r = ObjectReader(raw, diags)
    meta, podspec, path = _template(raw, r)
    if podspec is None:
        return []
    ns = raw.namespace or "default"
    owner = f"{raw.kind}/{raw.name}"
    if raw.kind == "DaemonSet":
        sel = LabelSelector.from_labels(_labels(podspec.get("nodeSelector")))
        placement = [n.name for n in sorted(nodes.values(), key=lambda n: n.name) if sel.matches(n.labels)]
        if not nodes:
            placement = [""]
    else:
        fixed = str(podspec.get("nodeName") or "")
        sel = LabelSelector.from_labels(_labels(podspec.get("nodeSelector")))
        candidates = [n.name for n in sorted(nodes.values(), key=lambda n: n.name) if sel.matches(n.labels)]
        count = _count(raw, r)
        if fixed:
            placement = [fixed] * count
        elif candidates:
            placement = [candidates[i % len(candidates)] for i in range(count)]
        else:
            placement = [""] * count
    out = []
    for i, node in enumerate(placement):
        name = f"{raw.name}-{i}"
        while f"{ns}/{name}" in taken:
            name += "-x"
        pod = pod_from_template(r, ns, name, meta, podspec, path, owner=owner)
        pod.node = node
        out.append(pod)
    diags.info(raw.origin, f"synthesized {len(out)} pod(s) from {owner}", "TW302")
    return out
