"""Object drift: which objects differ between two revisions — typically Git and the cluster.

``diff`` answers *what connectivity changes*; this module answers *which objects differ*:
missing on the after side (in Git, not applied), only on the after side (applied by hand),
and changed fields. It compares what people write, not what the server adds:

* policy objects of every dialect, RBAC and admission objects: everything but ``status``,
  ``metadata`` other than labels and annotations, and the noise live reading strips;
* inventory kinds (Namespaces, Pods, Services, …) only when *both* sides hold that kind
  (Git holds Deployments, the cluster holds Pods: that is not drift), and only what
  selectors and Services read: labels, a Service's selector and ports;
* identity is (API group family, kind, namespace, name): an Antrea policy written as
  ``security.antrea.tanzu.vmware.com/v1alpha1`` in Git is the same object the cluster serves
  as ``crd.antrea.io/v1beta1``; Calico's ``projectcalico.org`` and ``crd.projectcalico.org``
  likewise;
* the API server's defaults for NetworkPolicy (``ports[].protocol: TCP``, ``policyTypes``
  from the rules present — kubernetes ``pkg/apis/networking/v1/defaults.go``) are applied to
  both sides first, so an omitted default is not drift. CRD schema defaults of other
  dialects may still show up as fields only on the cluster side; the connectivity part of
  ``diff`` tells whether such a difference matters.

:func:`align_inventory` gives the connectivity comparison one set of pods when one side
has none of its own (Git holds policies and workloads, the cluster holds pods).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..cluster import Cluster, load_cluster
from ..dialects import read_resources, server_defaults
from ..load import RawObject

GROUP_FAMILY = {g: r.groups[0] for r in read_resources() for g in r.groups[1:]}
"""API groups that serve the same objects under another name."""

CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", *(r.kind for r in read_resources() if not r.namespaced)})
"""Kinds without a namespace (the dialects' declared ones, and the core, RBAC and admission
kinds tierwall reads); any other kind written without one lives in ``default``."""

INVENTORY_FIELDS = {"Service": (("spec", "selector"), ("spec", "ports"))}
"""For inventory kinds, labels and these fields are compared (what selectors and Services read)."""
NOISE_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
SHOWN = 120
"""Characters of a value shown in a field change."""


@dataclass
class FieldChange:
    path: str
    before: object
    after: object

    def to_dict(self) -> dict:
        return {"field": self.path, "before": self.before, "after": self.after}


@dataclass
class ObjectDrift:
    """One object that differs: ``missing`` (before only), ``extra`` (after only) or ``changed``."""

    state: str
    kind: str
    group: str
    namespace: str
    name: str
    before: str | None
    after: str | None
    """Where the object is on each side (``file:line`` or a cluster address)."""
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)

    def to_dict(self) -> dict:
        out = {"state": self.state, "kind": self.kind, "group": self.group, "namespace": self.namespace or None,
               "name": self.name, "before": self.before, "after": self.after}
        if self.fields:
            out["fields"] = [f.to_dict() for f in self.fields]
        return out


@dataclass
class DriftReport:
    objects: list[ObjectDrift] = field(default_factory=list)
    compared_kinds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(o.state == state for o in self.objects)

    def to_dict(self) -> dict:
        return {"summary": {"missing": self.count("missing"), "extra": self.count("extra"),
                            "changed": self.count("changed")},
                "comparedKinds": self.compared_kinds, "notes": self.notes,
                "objects": [o.to_dict() for o in self.objects]}


def _owned(cluster: Cluster) -> dict[str, list[RawObject]]:
    return cluster.objects.by_dialect if cluster.objects is not None else {}


def _key(raw: RawObject) -> tuple[str, str, str, str]:
    ns = raw.namespace or ("" if raw.kind in CLUSTER_SCOPED else "default")
    return (GROUP_FAMILY.get(raw.group, raw.group), raw.kind, ns, raw.name)


def _comparable(cluster: Cluster) -> tuple[dict, dict]:
    """(policy-like objects by key, inventory objects by key)."""
    policies, inventory = {}, {}
    for owner, raws in _owned(cluster).items():
        if owner == "tierwall":
            continue
        target = inventory if owner == "inventory" else policies
        for raw in raws:
            target[_key(raw)] = raw
    return policies, inventory


def _written(raw: RawObject, inventory: bool) -> dict:
    """The part of an object that is compared."""
    data, md = raw.data, raw.metadata
    out: dict = {}
    if md.get("labels"):
        out["metadata.labels"] = md["labels"]
    if inventory:
        for path in INVENTORY_FIELDS.get(raw.kind, ()):
            value = data
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
            if value is not None:
                out[".".join(path)] = value
        return out
    annotations = {k: v for k, v in (md.get("annotations") or {}).items() if k not in NOISE_ANNOTATIONS}
    if annotations:
        out["metadata.annotations"] = annotations
    for key, value in data.items():
        if key in ("apiVersion", "kind", "metadata", "status"):
            continue
        if key == "spec" and isinstance(value, dict):
            value = server_defaults(raw, value)
        out[key] = value
    return out


def _short(value) -> object:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True)
        return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"
    return value


def _field_changes(before, after, path: str = "") -> list[FieldChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else str(key)
            if before.get(key) != after.get(key):
                out.extend(_field_changes(before.get(key), after.get(key), sub))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after)):
            if b != a:
                out.extend(_field_changes(b, a, f"{path}[{i}]"))
        return out
    return [FieldChange(path, _short(before), _short(after))]


def object_drift(before: Cluster, after: Cluster) -> DriftReport:
    """Objects missing on the after side, only on the after side, or with changed fields."""
    report = DriftReport()
    pol_b, inv_b = _comparable(before)
    pol_a, inv_a = _comparable(after)
    shared_kinds = {k[1] for k in inv_b} & {k[1] for k in inv_a}
    skipped = sorted(({k[1] for k in inv_b} | {k[1] for k in inv_a}) - shared_kinds)
    if skipped:
        report.notes.append(f"not compared (only one side holds them): {', '.join(skipped)}")
    sides = [(pol_b, pol_a, False),
             ({k: v for k, v in inv_b.items() if k[1] in shared_kinds},
              {k: v for k, v in inv_a.items() if k[1] in shared_kinds}, True)]
    kinds = set()
    for b_objs, a_objs, inventory in sides:
        for key in sorted(set(b_objs) | set(a_objs)):
            group, kind, ns, name = key
            kinds.add(kind)
            b, a = b_objs.get(key), a_objs.get(key)
            where_b = b.origin.location if b else None
            where_a = a.origin.location if a else None
            if b is None or a is None:
                report.objects.append(ObjectDrift("extra" if b is None else "missing", kind, group, ns, name,
                                                  where_b, where_a))
                continue
            changes = _field_changes(_written(b, inventory), _written(a, inventory))
            if changes:
                report.objects.append(ObjectDrift("changed", kind, group, ns, name, where_b, where_a, changes))
    report.compared_kinds = sorted(kinds)
    order = {"missing": 0, "extra": 1, "changed": 2}
    report.objects.sort(key=lambda o: (order[o.state], o.kind, o.namespace, o.name))
    return report


def _has_pods(cluster: Cluster) -> bool:
    return any(r.kind == "Pod" for r in _owned(cluster).get("inventory", []))


def align_inventory(before: Cluster, after: Cluster) -> tuple[Cluster, Cluster, str | None]:
    """When exactly one side has Pods of its own (the cluster; Git has policies and workloads),
    rebuild the other side over that side's inventory, so the connectivity comparison is about
    the policies on the same pods. Returns both sides and a note saying what was done."""
    b_pods, a_pods = _has_pods(before), _has_pods(after)
    if b_pods == a_pods:
        return before, after, None
    source, target = (after, before) if a_pods else (before, after)
    inventory = _owned(source).get("inventory", [])
    own = [r for owner, raws in _owned(target).items() if owner != "inventory" for r in raws]
    cni = target.cni if target.cni != "generic" else source.cni
    rebuilt = load_cluster([], cni=cni, extra=own + inventory, diags=None)
    side = "before" if target is before else "after"
    note = (f"the {side} side has no Pods of its own: its policies are compared on the other side's "
            f"inventory ({len(inventory)} objects: Namespaces, Pods, Services, …)")
    return (rebuilt, after, note) if target is before else (before, rebuilt, note)


__all__ = ["DriftReport", "FieldChange", "ObjectDrift", "align_inventory", "object_drift"]
