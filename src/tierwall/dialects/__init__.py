"""Dialect registry: every dialect's declarations in one table, and the model assembly.

A dialect is one folder with a :class:`~tierwall.dialects.contract.Dialect` subclass; adding
one means adding its class to :data:`REGISTRY`. Which objects each dialect owns, the CNI
profiles (``--cni`` choices), the ``get`` kinds, the validation code of each API group and
lint's per-dialect checks are all derived here from those declarations; this module never
branches on a dialect's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Diagnostics
from ..load import RawObject
from ..load.fields import register_validation_code
from ..model import GENERIC_PROFILE, CniProfile, Model, Policy, Stage, build_pipeline
from .adminnetpol import AdminNetworkPolicyDialect
from .antrea import AntreaDialect
from .calico import CalicoDialect
from .cilium import CiliumDialect
from .contract import ClusterFacts, Dialect, GetKind, LowerContext, Resource, ServiceFacts, TierCheck
from .kubernetes import KubernetesDialect

REGISTRY: tuple[type[Dialect], ...] = (KubernetesDialect, AntreaDialect, CalicoDialect, AdminNetworkPolicyDialect,
                                       CiliumDialect)
"""Every dialect, in the order their stages and policies are assembled."""

DIALECTS = tuple(d.name for d in REGISTRY)
"""Dialects this version lowers."""
NATIVE_DIALECTS = tuple(d.name for d in REGISTRY if d.profile is not None)
"""CNI-native dialects: only the profile of that CNI reads them."""
PROFILES: dict[str, CniProfile] = {"generic": GENERIC_PROFILE,
                                   **{d.profile.name: d.profile for d in REGISTRY if d.profile is not None}}
"""CNI profile by ``--cni`` name."""
CNI_CHOICES = tuple(sorted(PROFILES))
VIEW_LABEL_PREFIXES = tuple(p for d in REGISTRY for p in d.view_label_prefixes)
"""Prefixes of the label keys some dialect's label view adds (Calico's ``pcns.`` …)."""

for _dialect in REGISTRY:
    for _group in _dialect.api_groups:
        register_validation_code(_group, _dialect.validation_code)

TIERWALL_GROUP = "tierwall.dev"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
ADMISSION_GROUP = "admissionregistration.k8s.io"
ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
OTHER_OWNERS = {"tierwall": ((TIERWALL_GROUP,), None), "rbac": ((RBAC_GROUP,), RBAC_KINDS),
                "admission": ((ADMISSION_GROUP,), ADMISSION_KINDS)}
"""Owners of objects that are not network policy: ConnectivityTests (``tierwall.expect``),
RBAC and admission objects (read by ``tierwall.rbac``)."""
NON_POLICY_OWNERS = ("inventory", *OTHER_OWNERS)


def classify(raw: RawObject, inventory_kinds: frozenset[str] = frozenset()) -> str | None:
    """The dialect (or ``inventory`` / ``tierwall`` / ``rbac`` / ``admission``) that owns ``raw``;
    ``None`` if unknown. ``inventory_kinds``: the core kinds the inventory reads."""
    group, kind = raw.group, raw.kind
    for dialect in REGISTRY:
        if dialect.owns(group, kind):
            return dialect.name
    for owner, (groups, kinds) in OTHER_OWNERS.items():
        if group in groups and (kinds is None or kind in kinds):
            return owner
    if group in ("", "apps", "batch", "discovery.k8s.io") and kind in inventory_kinds:
        return "inventory"
    return None


@dataclass
class Sorted:
    """Raw objects split by owner."""

    by_dialect: dict[str, list[RawObject]]
    unknown: list[RawObject]


def sort_objects(raws: list[RawObject], inventory_kinds: frozenset[str] = frozenset()) -> Sorted:
    by: dict[str, list[RawObject]] = {}
    unknown: list[RawObject] = []
    for raw in raws:
        owner = classify(raw, inventory_kinds)
        if owner is None:
            unknown.append(raw)
        else:
            by.setdefault(owner, []).append(raw)
    return Sorted(by, unknown)


def infer_cni(objects: Sorted) -> str:
    """``antrea`` when Antrea objects are present, ``calico`` for Calico ones, ``cilium`` for
    Cilium ones, else ``generic``."""
    for native in NATIVE_DIALECTS:
        if objects.by_dialect.get(native):
            return native
    return "generic"


def build_model(objects: Sorted, facts: ClusterFacts, cni: str, diags: Diagnostics) -> Model:
    """Lower every policy object into one :class:`Model` ordered for ``cni``."""
    if cni not in PROFILES:
        diags.error(_cli_origin(), f"--cni {cni} is not supported; choose one of {', '.join(CNI_CHOICES)}", "TW105")
        return Model(cni, ())
    profile = PROFILES[cni]
    context = LowerContext(cni, profile, diags, facts)
    policies: list[Policy] = []
    stages: list[Stage] = []
    address_sets = []
    active: list[Dialect] = []
    label_view = None
    for dialect_class in REGISTRY:
        raws = objects.by_dialect.get(dialect_class.name, [])
        if dialect_class.profile is not None and dialect_class.profile is not profile:
            _not_read(raws, dialect_class, cni, diags)
            continue
        dialect = dialect_class()
        lowered = dialect.lower(raws, context)
        stages.extend(lowered.stages)
        policies.extend(lowered.policies)
        address_sets.extend(lowered.address_sets)
        active.append(dialect)
        if dialect_class.profile is not None:
            label_view = dialect_class.label_view
    for dialect in active:
        dialect.check(policies, context)
    _check_duplicates(policies, diags)
    return Model(cni, build_pipeline(profile, stages), policies, address_sets, label_view=label_view)


def _not_read(raws: list[RawObject], dialect: type[Dialect], cni: str, diags: Diagnostics) -> None:
    """A CNI-native object under another CNI's profile: that CNI would not read it."""
    name = dialect.name
    article = "an" if name[0] in "aeiou" else "a"
    for raw in raws:
        diags.error(raw.origin, f"{raw.kind} ({raw.api_version}) is {article} {name.capitalize()} object, but --cni "
                                f"{cni} does not read {name.capitalize()} policies; use --cni {dialect.profile.name}",
                    "TW105")


def served_kinds() -> dict[str, frozenset[str]]:
    """API group → every kind it serves, for the groups whose dialect enumerates them all
    (:attr:`Dialect.also_served`): any other kind there is a misspelling."""
    out: dict[str, set[str]] = {}
    for d in REGISTRY:
        if d.also_served is None:
            continue
        for r in d.resources:
            for group in r.groups:
                out.setdefault(group, set()).add(r.kind)
        for group, kinds in d.also_served.items():
            out.setdefault(group, set()).update(kinds)
    return {g: frozenset(k) for g, k in out.items()}


def read_resources() -> tuple[Resource, ...]:
    """Every resource the dialects read, in registry order."""
    return tuple(r for d in REGISTRY for r in d.resources)


def resource_names() -> dict[tuple[str, str], str]:
    """(API group, kind) → the resource name RBAC and admission see, in every group serving it."""
    return {(g, r.kind): r.plural for r in read_resources() for g in r.groups}


def native_dialect(cni: str) -> type[Dialect] | None:
    """The dialect native to the CNI profile ``cni`` (``None`` for ``generic``)."""
    return next((d for d in REGISTRY if d.profile is not None and d.profile.name == cni), None)


def apply_ranks() -> dict[str, int]:
    """Kind → its :attr:`Resource.apply_rank`, for the kinds declared ahead of policies."""
    return {r.kind: r.apply_rank for r in read_resources() if r.apply_rank != Resource.apply_rank}


def dialects_for(cni: str) -> tuple[type[Dialect], ...]:
    """The dialects whose objects ``--cni cni`` reads: its native dialect first, then those
    every CNI reads (each in registry order)."""
    native = native_dialect(cni)
    return (native,) * (native is not None) + tuple(d for d in REGISTRY if d.profile is None)


def write_target_dialects() -> tuple[str, ...]:
    """The dialects that declare write targets (``who-can --dialect`` choices)."""
    return tuple(d.name for d in REGISTRY if d.write_targets is not Dialect.write_targets)


def server_defaults(raw: RawObject, spec: dict) -> dict:
    """``spec`` of ``raw`` with the defaults the API server fills in (its dialect's
    :meth:`Dialect.server_defaults`), so that what Git holds compares with what a cluster serves."""
    dialect = next((d for d in REGISTRY if d.owns(raw.group, raw.kind)), None)
    return dialect.server_defaults(raw.kind, spec) if dialect is not None else spec


def tier_check_for(group: str, resource: str) -> TierCheck | None:
    """The tier check the API server applies to writes of ``resource`` in ``group``, if any."""
    return next((d.tier_check for d in REGISTRY if d.tier_check and d.tier_check.applies(group, resource)), None)


def get_kinds() -> tuple[GetKind, ...]:
    """Every ``tierwall get`` kind the dialects declare."""
    return tuple(k for d in REGISTRY for k in d.get_kinds)


def owner_of_get_kind(name: str) -> str:
    """The dialect that declares the ``get`` kind ``name``."""
    return next(d.name for d in REGISTRY if any(k.name == name for k in d.get_kinds))


def policy_kinds_checked(code: str) -> frozenset[str]:
    """The :attr:`PolicyRef.kind` values of the policies whose dialect declares lint ``code``."""
    return frozenset(pk for d in REGISTRY if code in d.lint_codes for k in d.get_kinds for pk in k.policy_kinds)


def _check_duplicates(policies: list[Policy], diags: Diagnostics) -> None:
    seen: dict[str, Policy] = {}
    for p in policies:
        if p.ref.ref in seen:
            diags.error(p.ref.origin, f"{p.ref.ref} is declared twice (also at {seen[p.ref.ref].ref.origin.location})",
                        "TW106")
        seen[p.ref.ref] = p


def _cli_origin():
    from ..origin import Origin
    return Origin(file="<command line>")
