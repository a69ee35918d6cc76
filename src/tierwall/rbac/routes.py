"""Tamper routes: the kinds of write that can flip a verdict, as candidate witnesses.

Each route proposes concrete writes for one case (one flow, or its fan-out) that would push
the verdict the other way; the search (tamper.py) keeps the ones the subject's RBAC and the
cluster's admission guards allow, and believes a route only when re-loading the cluster with
the witness really flips the case. The routes that write one dialect's objects are declared
in that dialect's folder (``dialects/<name>/tamper.py``, a :class:`TamperRoute` each); this
module has the dialect-free ones and runs both in one order. Routes (docs/rbac.md has the
sources):

``antrea-tier``        a namespaced Antrea NetworkPolicy in the first tier (e.g. ``emergency``)
``antrea-cluster``     an Antrea ClusterNetworkPolicy in the first tier
``antrea-new-tier``    a new Tier ahead of every tier, with a policy in it
``antrea-group``       an edited ClusterGroup/Group (matching everything, or nothing)
``service-selector``   a Service named by ``toServices``/``serviceReference`` re-pointed
``namespace-labels``   a namespace relabelled (another namespace's labels, or none)
``pod-labels``         a pod relabelled (patch pods, or its workload's template), or a new pod
``calico-tier``        a Calico NetworkPolicy or GlobalNetworkPolicy in a tier the subject may write
``networkpolicy``      a Kubernetes NetworkPolicy in the pod's own namespace
``adminnetworkpolicy`` an AdminNetworkPolicy at priority 0
``delete-policy``      deleting the policy that decides the case today
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..cluster import Cluster
from ..dialects import REGISTRY, Dialect, dialects_for
from ..dialects.contract import TamperCase, TamperRoute
from ..expect import CaseResult
from ..inventory import NAMESPACE_NAME_LABEL, Pod
from ..load import RawObject
from .witness import Change, Witness

NAME = "tierwall-witness"
"""Name of every object a witness creates."""
MAX_DONORS = 12
"""Label sets tried per relabelled object: enough for every distinct set in a small cluster,
bounded so that a large one keeps the search short (docs/rbac.md states the bound)."""
MAX_PODS = 4
"""Pods relabelled per end of a case: a selector case may fan out to hundreds of pods, and
pods with the same labels in one namespace give the same answers."""


@dataclass
class CaseContext:
    """One passing case, the pods at its ends, and which way a tamper would push it."""

    cluster: Cluster
    results: list[CaseResult]
    src_pods: list[Pod] = field(default_factory=list)
    dst_pods: list[Pod] = field(default_factory=list)

    @property
    def case(self):
        return self.results[0].case

    @property
    def aim(self) -> str:
        """The verdict a tamper wants: the opposite of what the case expects."""
        return "Drop" if self.case.expect == "Allow" else "Allow"

    @classmethod
    def of(cls, cluster: Cluster, results: list[CaseResult]) -> "CaseContext":
        ctx = cls(cluster, results)
        for r in results:
            if r.path is None:
                continue
            for end, out in ((r.path.flow.src, ctx.src_pods), (r.path.flow.dst, ctx.dst_pods)):
                if end.is_pod and end.pod not in out:
                    out.append(end.pod)
        return ctx

    def sides(self) -> list[tuple[str, str]]:
        """(direction, namespace) where a policy would act: egress at sources, ingress at
        destinations, in the order a tamper needs them."""
        out = [("egress", ns) for ns in sorted({p.namespace for p in self.src_pods})]
        out += [("ingress", ns) for ns in sorted({p.namespace for p in self.dst_pods})]
        return out

    def tamper_case(self) -> TamperCase:
        """What a dialect's route needs to know of this case."""
        return TamperCase(self.aim, tuple(self.sides()), tuple(_tiers_in_order(self)), NAME)

    def raw(self, kind: str, namespace: str, name: str) -> RawObject | None:
        for raws in self.cluster.objects.by_dialect.values():
            for r in raws:
                if r.kind == kind and r.namespace == namespace and r.name == name:
                    return r
        return None


def _tiers_in_order(ctx: CaseContext) -> list[tuple[str, float]]:
    return [(s.name.removeprefix("tier:"), s.priority) for s in sorted(ctx.cluster.model.stages,
                                                                       key=lambda s: s.priority)
            if s.name.startswith("tier:")]


def _donor_labels(objects: list[tuple[str, dict[str, str]]], own: dict[str, str]) -> list[dict[str, str]]:
    seen, out = set(), []
    for _, labels in sorted(objects, key=lambda o: o[0]):
        key = tuple(sorted(labels.items()))
        if labels != own and key not in seen:
            seen.add(key)
            out.append(dict(labels))
    return out[:MAX_DONORS]


def namespace_labels(ctx: CaseContext) -> Iterator[Witness]:
    inv = ctx.cluster.inventory
    names = sorted({p.namespace for p in ctx.src_pods + ctx.dst_pods})
    for ns in names:
        current = inv.namespace_labels(ns)
        donors = _donor_labels([(n, inv.namespace_labels(n)) for n in sorted(inv.namespaces) if n != ns], current)
        raw = ctx.raw("Namespace", "", ns)
        for donor in donors + [{}]:
            labels = {k: v for k, v in donor.items() if k != NAMESPACE_NAME_LABEL}
            labels[NAMESPACE_NAME_LABEL] = ns  # set by the API server, immutable
            base = dict(raw.data) if raw is not None else {"apiVersion": "v1", "kind": "Namespace"}
            obj = {**base, "metadata": {**(base.get("metadata") or {}), "name": ns, "labels": labels}}
            what = "no labels" if not donor else "the labels of another namespace"
            before = None if raw is not None else {**obj, "metadata": {"name": ns, "labels": dict(current)}}
            yield Witness("namespace-labels", f"Namespace {ns} relabelled ({what})",
                          [Change("update", obj, raw, before)])


def _workload_raw(ctx: CaseContext, pod: Pod) -> RawObject | None:
    kind, _, name = pod.synthesized_from.partition("/")
    return ctx.raw(kind, pod.namespace, name) if kind else None


def _with_template_labels(raw: RawObject, labels: dict[str, str]) -> dict:
    """The workload with its pod template relabelled (its selector's labels kept, as the API
    server requires the selector to match the template)."""
    data = raw.data
    spec = dict(data.get("spec") or {})
    selector = ((spec.get("selector") or {}).get("matchLabels") or {}) if raw.kind != "CronJob" else {}
    holder = spec
    if raw.kind == "CronJob":
        job = dict(spec.get("jobTemplate") or {})
        holder = dict(job.get("spec") or {})
        job["spec"] = holder
        spec["jobTemplate"] = job
    template = dict(holder.get("template") or {})
    template["metadata"] = {**(template.get("metadata") or {}), "labels": {**labels, **selector}}
    holder["template"] = template
    return {**data, "spec": spec}


def _distinct(pods: list[Pod]) -> list[Pod]:
    """One pod per (namespace, labels), at most :data:`MAX_PODS`."""
    seen, out = set(), []
    for p in pods:
        key = (p.namespace, tuple(sorted(p.labels.items())))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out[:MAX_PODS]


def pod_labels(ctx: CaseContext) -> Iterator[Witness]:
    inv = ctx.cluster.inventory
    for pod in _distinct(ctx.src_pods) + _distinct(ctx.dst_pods):
        donors = _donor_labels([(p.key, p.labels) for p in inv.pods if p.key != pod.key], pod.labels)
        raw = ctx.raw("Pod", pod.namespace, pod.name) if not pod.synthesized_from else _workload_raw(ctx, pod)
        if raw is None:
            continue
        for labels in donors:
            if raw.kind == "Pod":
                obj = {**raw.data, "metadata": {**raw.metadata, "labels": labels}}
                title = f"Pod {pod.key} relabelled with another pod's labels"
            else:
                obj = _with_template_labels(raw, labels)
                title = f"{raw.kind} {raw.namespace}/{raw.name} (pod {pod.key}) relabelled with another pod's labels"
            yield Witness("pod-labels", title, [Change("update", obj, raw)])
    # a new pod joins a selector case's fan-out: it may carry any labels its creator chooses
    for spec, pods in ((ctx.case.src, ctx.src_pods), (ctx.case.dst, ctx.dst_pods)):
        if not spec.is_selector or not pods:
            continue
        ns = pods[0].namespace
        needed = {r.key: r.values[0] for r in (spec.pod_selector.requirements if spec.pod_selector else ())
                  if r.operator == "In" and len(r.values) == 1}
        template = next((p for p in pods if p.ports), pods[0])
        for labels in _donor_labels([(p.key, p.labels) for p in inv.pods], {}):
            obj = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": NAME, "namespace": ns, "labels": {**labels, **needed}},
                   "spec": {"containers": [{"name": "main", "image": "busybox",
                                            "ports": [{"name": p.name, "containerPort": p.port, "protocol": p.protocol}
                                                      for p in template.ports if p.name] or None}]}}
            if obj["spec"]["containers"][0]["ports"] is None:
                del obj["spec"]["containers"][0]["ports"]
            yield Witness("pod-labels", f"a new Pod in {ns} with another pod's labels", [Change("create", obj)])


def service_selector(ctx: CaseContext) -> Iterator[Witness]:
    """A Service that ``toServices`` or a group's ``serviceReference`` names, re-pointed: its
    selector decides which pods those rules match."""
    from .targets import referenced_services
    pods = ctx.src_pods + ctx.dst_pods
    for ns, name, why in referenced_services(ctx.cluster):
        raw = ctx.raw("Service", ns, name)
        if raw is None:
            continue
        choices = _donor_labels([(p.key, p.labels) for p in pods], {}) + [{"tierwall.dev/witness": "none"}]
        for labels in choices:
            obj = {**raw.data, "spec": {**(raw.data.get("spec") or {}), "selector": labels}}
            yield Witness("service-selector", f"Service {ns}/{name} ({why}) re-pointed",
                          [Change("update", obj, raw)])


def delete_policy(ctx: CaseContext) -> Iterator[Witness]:
    seen = set()
    for r in ctx.results:
        policy = r.decision.policy
        if policy is None or policy.origin.file.startswith("<"):
            continue
        raw = ctx.raw(policy.origin.kind, policy.origin.namespace, policy.origin.name)
        if raw is None or id(raw) in seen:
            continue
        seen.add(id(raw))
        yield Witness("delete-policy", f"delete {raw.kind} {raw.origin.object_ref}, which decides the case today",
                      [Change("delete", raw.data, raw)])


def _dialect_route(dialect: type[Dialect], route: TamperRoute) -> Callable[[CaseContext], Iterator[Witness]]:
    """A dialect's declared route as a route of the search: run where ``--cni`` reads the
    dialect, on its objects; each draft becomes a witness."""
    def propose(ctx: CaseContext) -> Iterator[Witness]:
        if dialect not in dialects_for(ctx.cluster.model.cni):
            return
        raws = ctx.cluster.objects.by_dialect.get(dialect.name, []) if ctx.cluster.objects else []
        for draft in route.propose(ctx.tamper_case(), raws):
            yield Witness(route.name, draft.title, [Change(verb, obj, old) for verb, obj, old in draft.writes])
    return propose


_DIALECT_FREE = (("service-selector", 60, service_selector), ("delete-policy", 70, delete_policy),
                 ("namespace-labels", 80, namespace_labels), ("pod-labels", 90, pod_labels))
"""Routes that write no dialect's objects: (name, rank, propose); ranks as :class:`TamperRoute`'s."""

ROUTES: tuple[tuple[str, Callable[[CaseContext], Iterator[Witness]]], ...] = tuple(
    (name, propose) for _, name, propose in sorted(
        [(rank, name, propose) for name, rank, propose in _DIALECT_FREE]
        + [(r.rank, r.name, _dialect_route(d, r)) for d in REGISTRY for r in d.tamper_routes], key=lambda t: t[0]))
"""Every route, in the order the search tries them: the dialects' declared ones
(``dialects/<name>/tamper.py``) and the dialect-free ones above, by rank."""
