"""The Dialect contract: everything tierwall knows about one policy dialect, as declarations,
and one lowering entry point with one shape (in the manner of sqlglot's ``Dialect`` classes).

A dialect is one folder ``dialects/<name>/`` whose ``dialect.py`` defines a :class:`Dialect`
subclass and whose ``resources.py`` declares the API resources its groups serve and the RBAC
that comes with them. The registry (``dialects/__init__.py``), the ``--cni`` choices, the
``get`` kinds and columns, the validation code of each API group, lint's per-dialect checks,
the kinds a misspelling is checked against (``known_kinds``), what a live read lists
(``live/kinds.py``), the resource names RBAC sees and the write targets, shipped roles and
tier check of ``who-can`` / the tamper search (``rbac/``) are all derived from these
declarations; nothing outside a dialect's folder branches on its name.

Lowering never reads the inventory: what it may know about the cluster (Services, namespace
labels) comes through :class:`LowerContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar, Iterator, Mapping

from ..errors import Diagnostics
from ..load import RawObject
from ..model import AddressSet, CniProfile, Policy, Stage

LabelView = Callable[[Mapping[str, str], str, Mapping[str, str], str, Mapping[str, str]], dict]
"""``(pod labels, namespace, namespace labels, service account, service account labels) →
the labels label-expression selectors see`` (Calico: ``pcns.``/``pcsa.`` profiles)."""


@dataclass(frozen=True)
class Column:
    """One column of a ``get`` listing. ``value(policy, raw)`` gives the cell; ``None`` means the
    view computes it the same way for every dialect (``AGE``, ``DESIRED NODES``)."""

    header: str
    value: Callable[[Policy, RawObject | None], str] | None = None
    wide: bool = False
    """Shown with ``-o wide`` only (kubectl's printer columns with priority > 0)."""


@dataclass(frozen=True)
class GetKind:
    """A kind ``tierwall get`` lists, with its names and columns.

    ``policy_kinds`` are the :attr:`PolicyRef.kind` values of the model policies listed; kinds
    without (groups, network sets, tiers) list their ``raw_kinds`` objects instead.
    """

    name: str
    title: str
    aliases: tuple[str, ...] = ()
    raw_kinds: tuple[str, ...] = ()
    policy_kinds: tuple[str, ...] = ()
    namespaced: bool = False
    columns: tuple[Column, ...] = ()
    resource: str = ""
    """``kind.group`` for built-in rows ``kubectl get -o name`` would print (e.g. system Tiers)."""


@dataclass(frozen=True)
class ServiceFacts:
    """What lowering may know about a Service (Antrea groups and toServices name them)."""

    namespace: str
    name: str
    selector: Mapping[str, str] | None
    headless: bool

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


ServiceLookup = Callable[[str], "ServiceFacts | None"]
"""``namespace/name`` → what lowering may know about that Service (``None``: not in the input)."""


@dataclass(frozen=True)
class ClusterFacts:
    """The inventory facts lowering may use, gathered once by the caller."""

    services: Mapping[str, ServiceFacts] = field(default_factory=dict)
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass
class LowerContext:
    """Everything :meth:`Dialect.lower` gets besides its objects."""

    cni: str
    profile: CniProfile
    diags: Diagnostics
    facts: ClusterFacts = field(default_factory=ClusterFacts)

    def service(self, key: str) -> ServiceFacts | None:
        return self.facts.services.get(key)

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        """The namespace's labels (``kubernetes.io/metadata.name`` included), empty if unknown."""
        return self.facts.namespace_labels.get(namespace, {})


@dataclass
class Lowered:
    """What one dialect contributes to the model: its stages (tiers), policies and address
    sets (labelled CIDRs selectors can match)."""

    stages: list[Stage] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    address_sets: list[AddressSet] = field(default_factory=list)


@dataclass(frozen=True)
class Resource:
    """One kind tierwall reads, as the API server (and so RBAC and kubectl) names it."""

    kind: str
    plural: str
    """The resource name: what RBAC rules, ``kubectl get`` and discovery use."""
    groups: tuple[str, ...]
    """API groups serving the kind, preferred first: a live read lists it from the first one
    the server serves, because the others mirror the *same* objects."""
    version: str
    """The version of ``groups[0]`` tierwall writes objects in (witnesses, generated Tiers)."""
    namespaced: bool = False
    apply_rank: int = 5
    """Where manifests of this kind go in an apply order: what other objects refer to first (a
    policy naming an absent Tier is refused): Tiers 1, groups and address sets 2–3, the rest
    (policies) 5."""

    @property
    def api_version(self) -> str:
        return f"{self.groups[0]}/{self.version}"


RuleSpec = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""One RBAC rule as ``(apiGroups, resources, verbs)``."""


@dataclass(frozen=True)
class ShippedRole:
    """A ClusterRole the CNI's own manifests install, so it exists in every cluster running
    it without being among the inputs; ``bound_to``: groups a ClusterRoleBinding of the same
    name (also shipped) grants it to."""

    name: str
    rules: tuple[RuleSpec, ...]
    aggregate_to: tuple[str, ...] = ()
    """``admin`` / ``edit`` / ``view``: the ``rbac.authorization.k8s.io/aggregate-to-*`` labels."""
    bound_to: tuple[str, ...] = ()


WRITE_VERBS = ("create", "update", "patch", "delete")
EXISTING = ("update", "patch", "delete")
"""Writes to an object that exists already (a Tier is not created again)."""


@dataclass(frozen=True)
class WriteTarget:
    """One kind of API write that can change verdicts, at one scope (``tierwall who-can``)."""

    what: str
    group: str
    resource: str
    namespace: str = ""
    name: str = ""
    tier: str = ""
    """The tier the write lands in (policies) or is (Tier objects); '' when not tied to one."""
    tier_checked: bool = False
    """The API server also authorizes it by its tier (:class:`TierCheck`)."""
    verbs: tuple[str, ...] = WRITE_VERBS


@dataclass(frozen=True)
class TierCheck:
    """An API server that authorizes a write to a tiered policy by its tier as well (Calico's):
    ``get`` on the tier object, and the verb on a tier-scoped pseudo resource named
    ``TIER.*`` (any policy of the tier) or ``TIER.<name>``."""

    group: str
    tiers: str
    """The resource of the tier objects."""
    pseudo: Mapping[str, str]
    """Policy resource → the tier-scoped pseudo resource checked."""
    default_tier: str
    """The tier of a policy whose ``spec.tier`` is empty."""

    def applies(self, group: str, resource: str) -> bool:
        return group == self.group and resource in self.pseudo


@dataclass(frozen=True)
class TamperCase:
    """What a tamper route knows of one protected case (``rbac/tamper.py``)."""

    aim: str
    """The verdict a tamper wants (``Allow`` or ``Drop``): the opposite of the case's expect."""
    sides: tuple[tuple[str, str], ...]
    """``(direction, namespace)`` where a policy would act: egress at the sources, ingress at
    the destinations."""
    tiers: tuple[tuple[str, float], ...]
    """The model's tiers, ``(name, priority)`` in order."""
    name: str
    """The name of every object a witness creates."""

    def side_groups(self) -> list[list[tuple[str, str]]]:
        """One side at a time (enough to drop), then, to allow, both sides together (a flow
        both ends must accept)."""
        sides = list(self.sides)
        return [[s] for s in sides] + ([sides] if self.aim == "Allow" and len(sides) > 1 else [])


Write = tuple[str, dict, "RawObject | None"]
"""``(verb, object after the write, the raw object it replaces or None)``."""


@dataclass(frozen=True)
class Draft:
    """A candidate witness: API writes that might flip a case."""

    title: str
    writes: tuple[Write, ...]


@dataclass(frozen=True)
class TamperRoute:
    """A kind of write that can flip a protected case. ``rank`` orders every route of the
    search (the dialects' and the dialect-free ones of ``rbac/routes.py``): policies ahead of
    everything first (10s: Antrea tiers; 20: Calico tiers; 30: admin policies; 40:
    NetworkPolicies), then edited groups (50), then what selectors read (60+)."""

    name: str
    rank: int
    propose: Callable[[TamperCase, list[RawObject]], Iterator[Draft]]
    """``(case, this dialect's objects) → drafts``."""


class Dialect:
    """Declarations of one dialect; subclasses set the class attributes and :meth:`lower`.

    One instance lowers one cluster's objects (it may keep state between :meth:`lower` and
    :meth:`check`).
    """

    name: ClassVar[str]
    """The owner name objects are sorted under (``antrea``, ``calico`` …)."""
    api_groups: ClassVar[tuple[str, ...]]
    """API groups whose objects this dialect owns."""
    kinds: ClassVar[tuple[str, ...] | None] = None
    """Kinds owned within those groups; ``None``: every kind (the dialect reports the ones it
    does not model itself)."""
    profile: ClassVar[CniProfile | None] = None
    """The CNI profile whose native dialect this is (only ``--cni <profile>`` reads its
    objects); ``None``: read under every profile."""
    validation_code: ClassVar[str] = "TW110"
    """Lint code of errors the API server / webhook of these groups would give."""
    label_view: ClassVar[LabelView | None] = None
    """How this dialect's label-expression selectors see a pod (``None``: its own labels)."""
    view_label_prefixes: ClassVar[tuple[str, ...]] = ()
    """Prefixes of the label keys :attr:`label_view` adds (they are no pod's or namespace's own)."""
    lint_codes: ClassVar[frozenset[str]] = frozenset()
    """Analysis checks (lint codes) that apply to this dialect's policies."""
    get_kinds: ClassVar[tuple[GetKind, ...]] = ()
    """What ``tierwall get`` lists for this dialect."""
    resources: ClassVar[tuple[Resource, ...]] = ()
    """The kinds tierwall reads (a live read lists them; RBAC sees them by these names)."""
    also_served: ClassVar[Mapping[str, tuple[str, ...]] | None] = None
    """API group → the other kinds it serves, which tierwall skips: with :attr:`resources`
    every kind there is, so that any other kind in these groups is a misspelling (TW108).
    ``None``: not enumerated, an unlisted kind is skipped."""
    shipped_roles: ClassVar[tuple[ShippedRole, ...]] = ()
    """RBAC the CNI's manifests install (read by ``who-can`` and the tamper search)."""
    tier_check: ClassVar[TierCheck | None] = None
    """How the API server authorizes writes to tiered policies beyond RBAC, if it does."""
    tamper_routes: ClassVar[tuple[TamperRoute, ...]] = ()
    """Writes of this dialect's objects that can flip a protected case (``tamper.py``)."""

    @classmethod
    def owns(cls, group: str, kind: str) -> bool:
        return group in cls.api_groups and (cls.kinds is None or kind in cls.kinds)

    @classmethod
    def resource(cls, kind: str) -> Resource:
        """The declared resource of ``kind``."""
        return next(r for r in cls.resources if r.kind == kind)

    @staticmethod
    def server_defaults(kind: str, spec: dict) -> dict:
        """``spec`` (not modified) with the defaults the API server fills in on write; none by
        default."""
        return spec

    @staticmethod
    def referenced_services(raw: RawObject) -> list[tuple[str, str, str]]:
        """``(namespace, name, why)`` of each Service ``raw`` names by reference (whoever edits
        that Service's selector changes what its rules match); none by default."""
        return []

    @staticmethod
    def write_targets(tiers: list[str], namespaces: list[str]) -> list[WriteTarget]:
        """The writes to this dialect's objects that can change verdicts, given the model's
        tiers (in order) and the namespaces; none by default."""
        return []

    def lower(self, objects: list[RawObject], context: LowerContext) -> Lowered:
        """Validate and lower this dialect's objects (errors go to ``context.diags``).

        Dialects import their lowering modules inside this method, not at the top of
        ``dialect.py``: the registry imports every dialect for its declarations, and a run
        should pay start-up only for the dialects its input uses (up to 6 ms each)."""
        raise NotImplementedError

    def check(self, policies: list[Policy], context: LowerContext) -> None:
        """Checks that need every dialect's policies (e.g. a tier clashing with an admin
        stage); the default has none."""
        return None


def spec_of(raw: RawObject | None) -> dict:
    """``raw.spec`` when it is a mapping (for listing columns), else empty."""
    spec = raw.data.get("spec") if raw is not None else None
    return spec if isinstance(spec, dict) else {}


def selector_text(sel) -> str:
    """A label selector as ``kubectl get`` prints it (``<none>`` when empty)."""
    if not isinstance(sel, dict) or not sel:
        return "<none>"
    parts = [f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()]
    parts += [f"{e.get('key')} {e.get('operator')} ({','.join(map(str, e.get('values') or []))})"
              for e in sel.get("matchExpressions") or [] if isinstance(e, dict)]
    return ",".join(parts) or "<none>"


AGE = Column("AGE")
DESIRED_NODES = Column("DESIRED NODES")
"""Columns every view computes the same way."""
