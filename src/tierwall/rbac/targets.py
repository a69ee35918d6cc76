"""What decides traffic, as API writes: the objects ``who-can`` asks RBAC about.

Per tier, per dialect and per namespace: the policy objects that land in the tier, the Tier
object itself, the groups rules reference (each dialect declares these in its
``resources.py``: ``write_targets``), and what selectors read — namespaces' labels
(``patch namespaces``), pods' labels (``create``/``patch`` pods, and every workload
controller whose template becomes pods), and the Services that ``toServices`` or a group's
``serviceReference`` names. Each target is one API resource; tier choice inside an Antrea
policy is a field, so RBAC gives every tier the same writers (spec/antrea.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cluster import Cluster
from ..dialects import REGISTRY, dialects_for, tier_check_for
from ..dialects.contract import EXISTING, WRITE_VERBS, WriteTarget
from .evaluate import Grant, Identity, Request, authorize, authorize_tiered
from .model import Rbac, Subject

WORKLOADS = (("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
             ("batch", "jobs"), ("batch", "cronjobs"), ("", "replicationcontrollers"))
"""Controllers whose pod template becomes pods: writing one chooses pods' labels."""


@dataclass(frozen=True)
class Target(WriteTarget):
    """One kind of write that can change verdicts, at one scope (``verbs``: the writes that
    matter — an existing object, a Tier or a Namespace, is not created again; a new Tier only
    matters by being created), and whose objects it writes."""

    dialect: str = "identity"
    """A dialect's name (its declared write targets), or ``identity`` (labels, Services)."""

    def request(self, verb: str) -> Request:
        return Request(verb, self.group, self.resource, self.namespace, "" if verb == "create" else self.name)

    def allowed(self, rbac: Rbac, who: Identity, verb: str) -> list[Grant] | None:
        req = self.request(verb)
        check = tier_check_for(self.group, self.resource) if self.tier_checked else None
        if check is not None:
            return authorize_tiered(rbac, who, req, self.tier, check)
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
    out = [Target(**vars(t), dialect=d.name) for d in dialects_for(cluster.model.cni)
           for t in d.write_targets(tiers, namespaces)]
    for ns in namespaces:
        out.append(Target(f"labels of Namespace {ns}", "", "namespaces", ns, name=ns, verbs=("update", "patch")))
        out.append(Target("pod labels (Pods)", "", "pods", ns))
        out += [Target(f"pod labels (via {res})", grp, res, ns) for grp, res in WORKLOADS]
    for ns, name, why in referenced_services(cluster):
        out.append(Target(f"Service {ns}/{name} ({why})", "", "services", ns, name=name, verbs=EXISTING))
    return out


def referenced_services(cluster: Cluster) -> list[tuple[str, str, str]]:
    """Services the policies name (each dialect's ``referenced_services``: Antrea
    ``toServices`` rules and group ``serviceReference``s): whoever edits their selector changes
    the endpoints those rules match."""
    seen: dict[tuple[str, str], str] = {}
    for dialect in REGISTRY:
        for raw in cluster.objects.by_dialect.get(dialect.name, []) if cluster.objects else []:
            for ns, name, why in dialect.referenced_services(raw):
                seen.setdefault((ns, name), why)
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


__all__ = ["Answer", "EXISTING", "Target", "WRITE_VERBS", "referenced_services", "targets", "who_can_write"]
