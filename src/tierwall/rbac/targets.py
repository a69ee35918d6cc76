"""What decides traffic, as API writes: the objects ``who-can`` asks RBAC about.

Per tier, per dialect and per namespace: the policy objects that land in the tier, the Tier
object itself, the groups rules reference, and what selectors read — namespaces' labels
(``patch namespaces``), pods' labels (``create``/``patch`` pods, and every workload
controller whose template becomes pods), and the Services that ``toServices`` or a group's
``serviceReference`` names. Each target is one API resource; tier choice inside an Antrea
policy is a field, so RBAC gives every tier the same writers (spec/antrea.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cluster import Cluster
from .evaluate import CALICO_TIERED, Grant, Identity, Request, authorize, authorize_calico_tiered
from .model import Rbac, Subject

WRITE_VERBS = ("create", "update", "patch", "delete")

EXISTING = ("update", "patch", "delete")

WORKLOADS = (("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
             ("batch", "jobs"), ("batch", "cronjobs"), ("", "replicationcontrollers"))
"""Controllers whose pod template becomes pods: writing one chooses pods' labels."""


@dataclass(frozen=True)
class Target:
    """One kind of write that can change verdicts, at one scope."""

    dialect: str
    """``antrea``, ``calico``, ``kubernetes``, ``adminnetpol`` or ``identity`` (labels, Services)."""
    what: str
    group: str
    resource: str
    namespace: str = ""
    name: str = ""
    tier: str = ""
    """The tier the write lands in (policies) or is (Tier objects); '' when not tied to one."""
    calico_tier: str = ""
    """Set for projectcalico.org tiered policies: authorization goes through the tier check."""
    verbs: tuple[str, ...] = WRITE_VERBS
    """The writes that matter: an existing object (a Tier, a Namespace) is not created again;
    a new Tier only matters by being created."""

    def request(self, verb: str) -> Request:
        return Request(verb, self.group, self.resource, self.namespace, "" if verb == "create" else self.name)

    def allowed(self, rbac: Rbac, who: Identity, verb: str) -> list[Grant] | None:
        req = self.request(verb)
        if self.calico_tier:
            return authorize_calico_tiered(rbac, who, req, self.calico_tier)
        grant = authorize(rbac, who, req)
        return [grant] if grant else None

    def to_dict(self) -> dict:
        out = {"dialect": self.dialect, "what": self.what, "resource": f"{self.resource}{'.' if self.group else ''}"
                                                                       f"{self.group}"}
        for key in ("namespace", "name", "tier"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


def targets(cluster: Cluster) -> list[Target]:
    """Every write target of ``cluster``: tiers of its CNI, namespaces, referenced Services."""
    tiers = [s.name.removeprefix("tier:") for s in sorted(cluster.model.stages, key=lambda s: s.priority)
             if s.name.startswith("tier:")]
    namespaces = sorted(cluster.inventory.namespaces)
    out: list[Target] = []
    cni = cluster.model.cni
    if cni == "antrea":
        g = "crd.antrea.io"
        for tier in tiers:
            out.append(Target("antrea", f"Tier {tier}", g, "tiers", name=tier, tier=tier, verbs=EXISTING))
            out.append(Target("antrea", f"ClusterNetworkPolicy in tier {tier}", g, "clusternetworkpolicies", tier=tier))
            out += [Target("antrea", f"NetworkPolicy in tier {tier}", g, "networkpolicies", ns, tier=tier)
                    for ns in namespaces]
        out.append(Target("antrea", "new Tier (any priority, e.g. ahead of every tier)", g, "tiers", verbs=("create",)))
        out.append(Target("antrea", "ClusterGroup", g, "clustergroups"))
        out += [Target("antrea", "Group", g, "groups", ns) for ns in namespaces]
    elif cni == "calico":
        g = "projectcalico.org"
        for tier in tiers:
            out.append(Target("calico", f"Tier {tier}", g, "tiers", name=tier, tier=tier, verbs=EXISTING))
            out.append(Target("calico", f"GlobalNetworkPolicy in tier {tier}", g, "globalnetworkpolicies", tier=tier,
                              calico_tier=tier))
            out += [Target("calico", f"NetworkPolicy in tier {tier}", g, "networkpolicies", ns, tier=tier,
                           calico_tier=tier) for ns in namespaces]
        out.append(Target("calico", "new Tier (any order)", g, "tiers", verbs=("create",)))
        out.append(Target("calico", "GlobalNetworkSet", g, "globalnetworksets"))
        out += [Target("calico", "NetworkSet", g, "networksets", ns) for ns in namespaces]
        out.append(Target("calico", "policies through the CRDs directly (bypasses the tier check)",
                          "crd.projectcalico.org", "globalnetworkpolicies"))
        out += [Target("calico", "NetworkPolicy through the CRD directly (bypasses the tier check)",
                       "crd.projectcalico.org", "networkpolicies", ns) for ns in namespaces]
    out += [Target("kubernetes", "NetworkPolicy", "networking.k8s.io", "networkpolicies", ns) for ns in namespaces]
    out.append(Target("adminnetpol", "AdminNetworkPolicy", "policy.networking.k8s.io", "adminnetworkpolicies"))
    out.append(Target("adminnetpol", "BaselineAdminNetworkPolicy", "policy.networking.k8s.io",
                      "baselineadminnetworkpolicies", name="default"))
    for ns in namespaces:
        out.append(Target("identity", f"labels of Namespace {ns}", "", "namespaces", ns, name=ns, verbs=("update", "patch")))
        out.append(Target("identity", "pod labels (Pods)", "", "pods", ns))
        out += [Target("identity", f"pod labels (via {res})", grp, res, ns) for grp, res in WORKLOADS]
    for ns, name, why in referenced_services(cluster):
        out.append(Target("identity", f"Service {ns}/{name} ({why})", "", "services", ns, name=name, verbs=EXISTING))
    return out


def referenced_services(cluster: Cluster) -> list[tuple[str, str, str]]:
    """Services named by Antrea ``toServices`` rules and group ``serviceReference``s: whoever
    edits their selector changes the endpoints those rules match."""
    seen: dict[tuple[str, str], str] = {}
    for raw in cluster.objects.by_dialect.get("antrea", []) if cluster.objects else []:
        spec = raw.data.get("spec") if isinstance(raw.data.get("spec"), dict) else {}
        for rule in spec.get("egress") or [] if isinstance(spec.get("egress"), list) else []:
            for svc in (rule.get("toServices") or []) if isinstance(rule, dict) else []:
                if isinstance(svc, dict) and svc.get("name"):
                    key = (str(svc.get("namespace") or raw.namespace), str(svc["name"]))
                    seen.setdefault(key, f"toServices of {raw.kind}/{raw.name}")
        ref = spec.get("serviceReference")
        if isinstance(ref, dict) and ref.get("name"):
            seen.setdefault((str(ref.get("namespace") or raw.namespace), str(ref["name"])),
                            f"serviceReference of {raw.kind}/{raw.name}")
    return [(ns, name, why) for (ns, name), why in sorted(seen.items())]


@dataclass
class Answer:
    target: Target
    verbs: dict[str, list[tuple[Subject, list[Grant]]]]

    def to_dict(self) -> dict:
        return {**self.target.to_dict(),
                "verbs": {verb: [{"subject": s.to_dict(), "grants": [g.to_dict() for g in grants]}
                                 for s, grants in rows] for verb, rows in self.verbs.items()}}


def who_can_write(rbac: Rbac, items: list[Target], subjects: list[Subject] | None = None) -> list[Answer]:
    """For every target and write verb, the subjects RBAC allows (with the grants)."""
    subjects = subjects if subjects is not None else rbac.subjects()
    identities = [(s, Identity.of(s)) for s in subjects]
    out = []
    for t in items:
        verbs = {}
        for verb in t.verbs:
            rows = [(s, grants) for s, who in identities if (grants := t.allowed(rbac, who, verb))]
            verbs[verb] = rows
        out.append(Answer(t, verbs))
    return out


__all__ = ["Answer", "CALICO_TIERED", "Target", "WRITE_VERBS", "referenced_services", "targets", "who_can_write"]
