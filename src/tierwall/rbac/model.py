"""Kubernetes RBAC objects as tierwall reads them: rules, roles, bindings, subjects.

Roles, ClusterRoles (with ``aggregationRule``), RoleBindings and ClusterRoleBindings are read
from the same raw objects as everything else (files, or a live source through the same
loader). Reading reports problems as diagnostics naming file, object and field; one bad
binding never hides the others. Aggregated ClusterRoles get their rules here, by the label
selectors of their ``aggregationRule`` — what the clusterrole-aggregation controller keeps
them at (pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Diagnostics
from ..expect.protect import Subject, read_subject
from ..load import ObjectReader, RawObject
from ..origin import Origin
from ..selectors import LabelSelector, parse_label_selector

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
SUBJECT_KINDS = ("User", "Group", "ServiceAccount")
"""Binding subject kinds; :class:`Subject` is shared with the ConnectivityTest format (expect/protect.py)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``PolicyRule``. Empty ``resource_names`` means any name; ``*`` entries are wildcards."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    resource_names: tuple[str, ...] = ()
    origin: Origin = field(default_factory=Origin, compare=False)

    def to_dict(self) -> dict:
        out = {"apiGroups": list(self.api_groups), "resources": list(self.resources), "verbs": list(self.verbs)}
        if self.resource_names:
            out["resourceNames"] = list(self.resource_names)
        return out


@dataclass
class Role:
    """A Role (``namespace`` set) or a ClusterRole (``namespace`` empty)."""

    kind: str
    name: str
    namespace: str
    rules: list[Rule]
    labels: dict[str, str]
    origin: Origin
    aggregation: list[LabelSelector] | None = None
    """``aggregationRule.clusterRoleSelectors`` (ClusterRoles only); ``None`` when absent."""
    shipped_by: str = ""
    """``kubernetes`` / ``antrea`` / ``calico`` for roles tierwall assumes; '' for roles read."""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass
class Binding:
    """A RoleBinding (``namespace`` set) or a ClusterRoleBinding."""

    kind: str
    name: str
    namespace: str
    role_kind: str
    role_name: str
    subjects: list[Subject]
    origin: Origin
    shipped_by: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"

    def subject_namespace(self, subject: Subject) -> str:
        """A ServiceAccount subject without a namespace means the binding's namespace
        (plugin/pkg/auth/authorizer/rbac/rbac.go, appliesToUser)."""
        return subject.namespace or self.namespace


@dataclass
class Rbac:
    """Every role and binding in force, aggregated roles already filled in."""

    roles: dict[tuple[str, str], Role] = field(default_factory=dict)
    """(namespace or '', name) → role; ClusterRoles under ''."""
    bindings: list[Binding] = field(default_factory=list)

    def role_for(self, binding: Binding) -> Role | None:
        if binding.role_kind == "ClusterRole":
            return self.roles.get(("", binding.role_name))
        return self.roles.get((binding.namespace, binding.role_name))

    def subjects(self) -> list[Subject]:
        """Every subject some binding names, in a stable order."""
        seen: dict[Subject, None] = {}
        for b in self.bindings:
            for s in b.subjects:
                seen.setdefault(Subject(s.kind, s.name, b.subject_namespace(s) if s.kind == "ServiceAccount" else ""))
        return sorted(seen, key=lambda s: (SUBJECT_KINDS.index(s.kind), s.namespace, s.name))


def read_rbac(raws: list[RawObject], diags: Diagnostics, assumed: tuple[Role | Binding, ...] = ()) -> Rbac:
    """Read every RBAC object; ``assumed`` roles and bindings (built-ins) fill in what the input
    does not declare itself (an object read from the input replaces an assumed one of that name)."""
    rbac = Rbac()
    declared_bindings: set[tuple[str, str, str]] = set()
    for raw in raws:
        if raw.kind in ("Role", "ClusterRole"):
            role = _role(raw, diags)
            if role is not None:
                key = (role.namespace, role.name)
                if key in rbac.roles:
                    diags.error(raw.origin, f"{role.ref} is declared twice (also at {rbac.roles[key].origin.location})",
                                "TW106")
                rbac.roles[key] = role
        elif raw.kind in ("RoleBinding", "ClusterRoleBinding"):
            binding = _binding(raw, diags)
            if binding is not None:
                rbac.bindings.append(binding)
                declared_bindings.add((binding.kind, binding.namespace, binding.name))
    for item in assumed:
        if isinstance(item, Role):
            rbac.roles.setdefault((item.namespace, item.name), item)
        elif (item.kind, item.namespace, item.name) not in declared_bindings:
            rbac.bindings.append(item)
    aggregate(rbac)
    for b in rbac.bindings:
        if rbac.role_for(b) is None:
            diags.warning(b.origin.at("roleRef"), f"{b.ref} refers to {b.role_kind} {b.role_name}, which is not in "
                                                  f"the input: it grants nothing here", "TW260")
    return rbac


def aggregate(rbac: Rbac) -> None:
    """Fill aggregated ClusterRoles with the rules of every ClusterRole their selectors match.

    The controller replaces an aggregated role's rules with the union of the selected roles'
    rules and re-runs whenever a selected role changes, so chains (view → edit → admin, by
    their ``aggregate-to-*`` labels) settle at the transitive union: iterate to a fixpoint.
    """
    aggregated = [r for (ns, _), r in rbac.roles.items() if not ns and r.aggregation is not None]
    changed = True
    while changed:
        changed = False
        for role in aggregated:
            rules: list[Rule] = []  # the controller overwrites an aggregated role's own rules
            for (ns, name), other in sorted(rbac.roles.items()):
                if ns or other is role or not any(sel.matches(other.labels) for sel in role.aggregation):
                    continue
                rules.extend(r for r in other.rules if r not in rules)
            if rules != role.rules:
                role.rules = rules
                changed = True


def _strings(r: ObjectReader, container: dict, key: str, path: tuple) -> tuple[str, ...]:
    values = r.sequence(container, key, path) or []
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str):
            r.error(path + (key, i), f"{key}[{i}] must be a string, not {v!r}")
            continue
        out.append(v)
    return tuple(out)


def _role(raw: RawObject, diags: Diagnostics) -> Role | None:
    r = ObjectReader(raw, diags)
    if not raw.name:
        r.error(("metadata", "name"), f"{raw.kind} has no name")
        return None
    if raw.kind == "Role" and not raw.namespace:
        r.error(("metadata", "namespace"), "a Role is namespaced: metadata.namespace is required")
        return None
    rules = []
    for i, entry in enumerate(r.sequence(raw.data, "rules", ()) or []):
        path = ("rules", i)
        if not isinstance(entry, dict):
            r.error(path, "a rule must be a mapping with verbs, apiGroups and resources")
            continue
        r.known(entry, path, ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"))
        verbs = _strings(r, entry, "verbs", path)
        if not verbs:
            r.error(path + ("verbs",), "a rule needs at least one verb")
            continue
        if entry.get("nonResourceURLs") is not None:
            continue  # non-resource URLs (/healthz, ...) write no object: irrelevant to who changes traffic
        rules.append(Rule(verbs, _strings(r, entry, "apiGroups", path), _strings(r, entry, "resources", path),
                          _strings(r, entry, "resourceNames", path), raw.at(path)))
    selectors = None
    agg = r.mapping(raw.data, "aggregationRule", ())
    if agg is not None:
        if raw.kind != "ClusterRole":
            r.error(("aggregationRule",), "only a ClusterRole can aggregate")
        else:
            selectors = [s for i, sel in enumerate(r.sequence(agg, "clusterRoleSelectors", ("aggregationRule",)) or [])
                         if (s := parse_label_selector(sel, r.report,
                                                       ("aggregationRule", "clusterRoleSelectors", i))) is not None]
    labels = raw.metadata.get("labels") if isinstance(raw.metadata.get("labels"), dict) else {}
    return Role(raw.kind, raw.name, raw.namespace if raw.kind == "Role" else "", rules,
                {str(k): str(v) for k, v in labels.items()}, raw.origin, selectors)


def _binding(raw: RawObject, diags: Diagnostics) -> Binding | None:
    r = ObjectReader(raw, diags)
    if not raw.name:
        r.error(("metadata", "name"), f"{raw.kind} has no name")
        return None
    if raw.kind == "RoleBinding" and not raw.namespace:
        r.error(("metadata", "namespace"), "a RoleBinding is namespaced: metadata.namespace is required")
        return None
    ref = r.mapping(raw.data, "roleRef", (), required=True)
    if ref is None:
        return None
    allowed = ("Role", "ClusterRole") if raw.kind == "RoleBinding" else ("ClusterRole",)
    role_kind = r.string(ref, "kind", ("roleRef",), required=True, choices=allowed)
    role_name = r.string(ref, "name", ("roleRef",), required=True)
    if role_kind is None or role_name is None:
        return None
    # a RoleBinding's ServiceAccount subject without namespace is kept as written (rbac.go
    # reads it as the binding's namespace: Binding.subject_namespace)
    subjects = [s for i, entry in enumerate(r.sequence(raw.data, "subjects", ()) or [])
                if (s := read_subject(r, entry, ("subjects", i), "a binding subject",
                                      raw.kind == "ClusterRoleBinding")) is not None]
    return Binding(raw.kind, raw.name, raw.namespace if raw.kind == "RoleBinding" else "", role_kind, role_name,
                   subjects, raw.origin)
