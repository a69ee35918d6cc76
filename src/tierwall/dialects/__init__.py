"""Dialect registry: which module reads which (API group, kind), and the model assembly.

Each dialect lowers its own objects into the shared model; this module only dispatches on
apiVersion/kind, infers the CNI when the user did not name one, and asks the pipeline
profile of that CNI to order the stages. Adding a dialect means adding it to
:data:`DIALECTS` and giving it a ``lower`` entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import Diagnostics
from ..inventory import INVENTORY_KINDS, Inventory
from ..load import RawObject
from ..model import CNI_PROFILES, Model, Policy, Priority, Stage, build_pipeline

ANTREA_VERSIONS = {
    "crd.antrea.io": {"v1alpha1", "v1alpha2", "v1alpha3", "v1beta1"},
    "security.antrea.tanzu.vmware.com": {"v1alpha1"},
    "core.antrea.tanzu.vmware.com": {"v1alpha2"},
}
"""Every API group/version of Antrea policy CRDs that users still have manifests for."""
ANTREA_KINDS = ("ClusterNetworkPolicy", "NetworkPolicy", "Tier", "ClusterGroup", "Group")
CALICO_GROUPS = ("projectcalico.org", "crd.projectcalico.org")
CILIUM_GROUP = "cilium.io"
CILIUM_KINDS = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
ADMIN_GROUP = "policy.networking.k8s.io"
TIERWALL_GROUP = "tierwall.dev"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
ADMISSION_GROUP = "admissionregistration.k8s.io"
ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
NON_POLICY_OWNERS = ("inventory", "tierwall", "rbac", "admission")
"""Owners whose objects are not network policy (RBAC and admission objects are read by tierwall.rbac)."""

DIALECTS = ("kubernetes", "antrea", "calico", "adminnetpol", "cilium")
"""Dialects this version lowers."""
NATIVE_DIALECTS = ("antrea", "calico", "cilium")
"""CNI-native dialects: only the profile of that CNI reads them."""


def classify(raw: RawObject) -> str | None:
    """The dialect (or ``inventory`` / ``tierwall`` / ``rbac`` / ``admission``) that owns ``raw``;
    ``None`` if unknown."""
    group, kind = raw.group, raw.kind
    if group == "networking.k8s.io" and kind == "NetworkPolicy":
        return "kubernetes"
    if group in ANTREA_VERSIONS and kind in ANTREA_KINDS:
        return "antrea"
    if group in CALICO_GROUPS:
        return "calico"
    if group == CILIUM_GROUP and kind in CILIUM_KINDS:
        return "cilium"
    if group == ADMIN_GROUP:
        return "adminnetpol"
    if group == TIERWALL_GROUP:
        return "tierwall"
    if group == RBAC_GROUP and kind in RBAC_KINDS:
        return "rbac"
    if group == ADMISSION_GROUP and kind in ADMISSION_KINDS:
        return "admission"
    if group in ("", "apps", "batch", "discovery.k8s.io") and kind in INVENTORY_KINDS:
        return "inventory"
    return None


@dataclass
class Sorted:
    """Raw objects split by owner."""

    by_dialect: dict[str, list[RawObject]]
    unknown: list[RawObject]


def sort_objects(raws: list[RawObject]) -> Sorted:
    by: dict[str, list[RawObject]] = {}
    unknown: list[RawObject] = []
    for raw in raws:
        owner = classify(raw)
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


def build_model(objects: Sorted, inv: Inventory, cni: str, diags: Diagnostics) -> Model:
    """Lower every policy object into one :class:`Model` ordered for ``cni``."""
    if cni not in CNI_PROFILES:
        diags.error(_cli_origin(), f"--cni {cni} is not supported; choose one of {', '.join(sorted(CNI_PROFILES))}",
                    "TW105")
        return Model(cni, ())
    profile = CNI_PROFILES[cni]
    for dialect in NATIVE_DIALECTS:
        if dialect != profile.native:
            for raw in objects.by_dialect.get(dialect, []):
                diags.error(raw.origin, f"{raw.kind} ({raw.api_version}) is a{'n' if dialect[0] in 'aeiou' else ''} "
                                        f"{dialect.capitalize()} object, but --cni {cni} does not read "
                                        f"{dialect.capitalize()} policies; use --cni {dialect}", "TW105")
    from . import adminnetpol, kubernetes as k8s
    policies: list[Policy] = []
    stages: list[Stage] = []
    address_sets = []
    if profile.native == "antrea":
        from . import antrea
        tiers, native = antrea.lower(objects.by_dialect.get("antrea", []), inv, diags)
        stages.extend(t.stage() for t in sorted(tiers.values(), key=lambda t: t.priority))
        policies.extend(native)
    elif profile.native == "calico":
        from . import calico
        tier_stages, native, address_sets = calico.lower(objects.by_dialect.get("calico", []), inv, diags)
        stages.extend(tier_stages)
        policies.extend(native)
    elif profile.native == "cilium":
        from . import cilium
        cilium_stages, native = cilium.lower(objects.by_dialect.get("cilium", []), diags)
        stages.extend(cilium_stages)
        policies.extend(native)
    for raw in objects.by_dialect.get("kubernetes", []):
        policy = k8s.lower(raw, diags)
        if policy is not None:
            policies.append(_place_networkpolicy(policy, profile))
    admin_raws = objects.by_dialect.get("adminnetpol", [])
    if not profile.admin_stages:
        for raw in admin_raws:
            diags.warning(raw.origin, f"{raw.kind} ({raw.api_version}) is not enforced by {cni}: it is left out",
                          "TW226")
        admin_raws = []
    admin = [p for raw in admin_raws if (p := adminnetpol.lower(raw, profile, diags))]
    policies.extend(admin)
    used = {p.stage for p in admin}
    stages.extend(Stage(s.name, s.title, s.priority) for s in
                  {s.name: s for s in profile.admin_stages.values()}.values() if s.name in used)
    _check_banp_singleton(admin, diags)
    if profile.native == "antrea":
        _check_cnp_admin_priority(tiers, admin, profile, diags)
    _check_duplicates(policies, diags)
    return Model(cni, build_pipeline(profile, stages), policies, address_sets)


def _place_networkpolicy(policy: Policy, profile) -> Policy:
    """Move a Kubernetes NetworkPolicy into the CNI tier that holds them, if the CNI has one
    (Calico: tier default, order 1000, named ``knp.default.<name>`` for the name tie-break)."""
    if profile.networkpolicy_tier is None:
        return policy
    tier = profile.networkpolicy_tier
    name = (f"{policy.ref.namespace}/knp.default.{policy.ref.name}",)
    rules = tuple(replace(r, stage=tier, priority=Priority(profile.networkpolicy_order, 0, name, r.index, True))
                  for r in policy.rules)
    return replace(policy, stage=tier, rules=rules)


def _check_cnp_admin_priority(tiers: dict, admin: list[Policy], profile, diags: Diagnostics) -> None:
    """Antrea reserves tier priority 220 for the upstream ClusterNetworkPolicy Admin tier; a
    user Tier already there blocks every ClusterNetworkPolicy (docs/cluster-network-policy.md)."""
    reserved = profile.admin_stages["cnp-admin"].priority
    clash = [t for t in tiers.values() if t.priority == reserved and not t.system]
    if not clash:
        return
    for p in admin:
        if p.stage == profile.admin_stages["cnp-admin"].name:
            diags.error(p.ref.origin, f"ClusterNetworkPolicy creation is blocked: a user-created Tier at priority "
                                      f"{int(reserved)} ({clash[0].name}) already exists", "TW107")


def _check_banp_singleton(policies: list[Policy], diags: Diagnostics) -> None:
    banps = [p for p in policies if p.ref.kind == "BaselineAdminNetworkPolicy"]
    for extra in banps[1:]:
        diags.error(extra.ref.origin, "BaselineAdminNetworkPolicy is a singleton: only one, named default, "
                                      f"may exist (first at {banps[0].ref.origin.location})", "TW106")


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
