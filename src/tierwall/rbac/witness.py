"""A witness: concrete API writes (create / update / delete), and the cluster they make.

A tamper finding is only believed when the cluster *with the witness applied* — re-read by
the same loader, lowered and compiled as any input — gives the case another verdict. This
module holds the writes, the API request each one is (for RBAC and admission), and the
application to the raw objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..cluster import Cluster, load_cluster
from ..dialects import resource_names
from ..errors import Diagnostics
from ..load import RawObject, load_text
from .evaluate import Request

RESOURCES = {
    ("", "Pod"): "pods", ("", "Namespace"): "namespaces", ("", "Service"): "services",
    ("", "ReplicationController"): "replicationcontrollers",
    ("apps", "Deployment"): "deployments", ("apps", "ReplicaSet"): "replicasets",
    ("apps", "StatefulSet"): "statefulsets", ("apps", "DaemonSet"): "daemonsets",
    ("batch", "Job"): "jobs", ("batch", "CronJob"): "cronjobs",
    **resource_names(),
}
"""(API group, kind) → the resource RBAC and admission see: the core kinds whose labels pods
get, and every dialect's declared resources (``dialects/<name>/resources.py``)."""

WITNESS_FILE = "<witness>"
"""The file name a witness's objects carry in origins, traces and diagnostics."""


@dataclass
class Change:
    """One API write. ``obj`` is the object after the write (the deleted object for delete);
    ``old`` is the raw object the write replaces or removes (``None`` for create, and for an
    update of an object tierwall only implied, such as an undeclared Namespace)."""

    verb: str
    obj: dict
    old: RawObject | None = None
    before: dict | None = None
    """The object before an update when tierwall only implied it (``old`` is then ``None``):
    what admission sees as ``oldObject``."""

    @property
    def group(self) -> str:
        return str(self.obj.get("apiVersion", "")).rpartition("/")[0]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or "")

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name") or "")

    @property
    def resource(self) -> str:
        return RESOURCES[(self.group, self.kind)]

    def request(self) -> Request:
        """The request RBAC authorizes. A Namespace's own namespace is its name (requestinfo.go)."""
        ns = self.name if self.kind == "Namespace" else self.namespace
        return Request(self.verb, self.group, self.resource, ns, "" if self.verb == "create" else self.name)

    @property
    def text(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.verb} {self.kind} {self.name}{where}"


@dataclass
class Witness:
    """What a subject could do, as writes, found by one route."""

    route: str
    title: str
    changes: list[Change]
    notes: list[str] = field(default_factory=list)

    def yaml(self) -> str:
        """The objects as they would be applied (a delete shows the object it removes)."""
        docs = []
        for c in self.changes:
            head = f"# {c.verb}" + (" (removes this object)" if c.verb == "delete" else "")
            docs.append(head + "\n" + yaml.safe_dump(c.obj, sort_keys=False).rstrip())
        return "\n---\n".join(docs) + "\n"

    def to_dict(self) -> dict:
        return {"route": self.route, "title": self.title,
                "changes": [{"verb": c.verb, "object": c.obj} for c in self.changes]}


def all_raws(cluster: Cluster) -> list[RawObject]:
    """Every object the cluster was read from, in a stable order."""
    objects = cluster.objects
    out = [r for raws in objects.by_dialect.values() for r in raws] + list(objects.unknown)
    return out


def apply(cluster: Cluster, witness: Witness, diags: Diagnostics, pod_cidr: str | None = None) -> Cluster:
    """Re-read the cluster with ``witness`` applied: replaced and deleted objects leave,
    created and updated ones come in (parsed from YAML, as any input is).

    Raises:
        InputError: the witness makes the input invalid (a route generated a bad object).
    """
    gone = {id(c.old) for c in witness.changes if c.old is not None}
    raws = [r for r in all_raws(cluster) if id(r) not in gone]
    text = "\n---\n".join(yaml.safe_dump(c.obj, sort_keys=False) for c in witness.changes if c.verb != "delete")
    new = load_text(text, WITNESS_FILE, diags) if text else []
    return load_cluster([], cluster.model.cni, diags=diags, extra=raws + new, pod_cidr=pod_cidr)
