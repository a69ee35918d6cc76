"""The ``Fleet`` file (tierwall.dev/v1alpha1): clusters, groups, policy sets, tests, central.

Parsing only: every problem becomes a diagnostic naming the Fleet file, line and field, and
the whole file is read before any error is raised, so one bad entry never hides another.
Paths inside the file are relative to the file's folder (docs/fleet.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..dialects import CNI_CHOICES
from ..errors import Diagnostics, UsageError
from ..load import ObjectReader, RawObject, load_paths
from ..origin import Origin
from ..selectors import LabelSelector, parse_label_selector
from ..selectors.labels import label_key_error, label_value_error

API_VERSION = "tierwall.dev/v1alpha1"
KIND = "Fleet"

NSX_CATEGORIES = {"Ethernet": 0, "Emergency": 1, "Infrastructure": 2, "Environment": 3, "Application": 4}
"""NSX Distributed Firewall categories and the priority of the Antrea Tier each becomes
(``nsx-category-<lower-case name>``; spec/antrea.md §9)."""

FLUX_OWNER_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")
"""Labels Flux's kustomize-controller puts on every object it applies (and prunes by)."""
DEFAULT_OWNER_NAMESPACE = "flux-system"

CNIS = CNI_CHOICES
"""As ``--cni`` takes them (the dialects' CNI profiles and ``generic``)."""
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def nsx_tier(category: str) -> str:
    return f"nsx-category-{category.lower()}"


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    labels: dict
    sources: tuple[str, ...]
    """``-f``-style inputs (files, folders, ``git:REV:path``, any source the loader reads)."""
    cni: str | None
    snat: bool
    """Traffic leaving the cluster carries its node's address (Antrea's default, ``noSNAT:
    false``); ``False`` for routed pod networks where the pod address stays."""
    origin: Origin


@dataclass(frozen=True)
class PolicySet:
    """A folder delivered to every cluster of a group, as a Flux Kustomization delivers it."""

    name: str
    path: str
    prune: bool
    name_prefix: str
    owner_labels: dict
    origin: Origin


@dataclass(frozen=True)
class CentralSet:
    """Policies of a central manager (NSX), placed in one tier for every cluster in scope."""

    name: str
    path: str
    tier: str
    tier_priority: int | None
    """Set for the NSX category tiers, which tierwall declares when a cluster does not."""
    groups: tuple[str, ...] | None
    """``None``: every cluster of the fleet."""
    origin: Origin


@dataclass(frozen=True)
class Group:
    name: str
    selector: LabelSelector | None
    names: tuple[str, ...]
    policy_sets: tuple[PolicySet, ...]
    tests: tuple[str, ...]
    origin: Origin

    def contains(self, cluster: ClusterSpec) -> bool:
        return cluster.name in self.names or (self.selector is not None and self.selector.matches(cluster.labels))


@dataclass
class Fleet:
    name: str
    file: str
    base: Path
    clusters: list[ClusterSpec] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    central: list[CentralSet] = field(default_factory=list)

    def cluster(self, name: str) -> ClusterSpec:
        for c in self.clusters:
            if c.name == name:
                return c
        raise UsageError(f"cluster {name!r} is not in fleet {self.name} ({self.file})")

    def groups_of(self, cluster: ClusterSpec) -> list[Group]:
        """Every group the cluster belongs to (by name or label selector), in file order."""
        return [g for g in self.groups if g.contains(cluster)]

    def central_for(self, cluster: ClusterSpec) -> list[CentralSet]:
        names = {g.name for g in self.groups_of(cluster)}
        return [c for c in self.central if c.groups is None or names & set(c.groups)]


def resolve(base: Path, path: str) -> str:
    """A path from the Fleet file, made usable from the working directory. Sources with a
    scheme (``k8s://``, ``git:``) and ``-`` are passed on unchanged."""
    if path == "-" or "://" in path or path.startswith("git:"):
        return path
    p = Path(path)
    return str(p if p.is_absolute() else base / p)


def absolute(source: str) -> str:
    """A file or folder source as an absolute path (what a worker on another machine, sharing
    the file system, can read); other sources unchanged."""
    if source == "-" or "://" in source or source.startswith("git:"):
        return source
    return str(Path(source).absolute()) + ("/" if source.endswith("/") else "")


def load_fleet(path: str, diags: Diagnostics) -> Fleet:
    """Read and validate a Fleet file; errors are left in ``diags`` (the caller raises)."""
    raws = [r for r in load_paths([path], diags)]
    fleets = [r for r in raws if r.kind == KIND]
    base = Path(path).parent
    if not fleets:
        if not diags.has_errors():
            diags.error(Origin(file=path), f"no {KIND} object (apiVersion {API_VERSION}) in the file", "TW135")
        return Fleet("", path, base)
    for extra in fleets[1:]:
        diags.error(extra.origin, "only one Fleet per file", "TW135")
    return _parse(fleets[0], base, diags)


def _parse(raw: RawObject, base: Path, diags: Diagnostics) -> Fleet:
    r = ObjectReader(raw, diags)
    if raw.api_version != API_VERSION:
        r.error(("apiVersion",), f"expected apiVersion {API_VERSION}, got {raw.api_version}", "TW135")
    fleet = Fleet(raw.name or Path(raw.origin.file).stem, raw.origin.file, base)
    spec = r.mapping(raw.data, "spec", (), required=True) or {}
    r.known(spec, ("spec",), ("clusters", "groups", "central"))
    fleet.clusters = _unique(r, spec, "clusters", "cluster", lambda e, p: _cluster(r, e, p, base))
    if not fleet.clusters and not r.failed:
        r.error(("spec", "clusters"), "a Fleet needs at least one cluster", "TW135")
    known_clusters = {c.name for c in fleet.clusters}
    fleet.groups = _unique(r, spec, "groups", "group", lambda e, p: _group(r, e, p, known_clusters))
    known_groups = {g.name for g in fleet.groups}
    fleet.central = _unique(r, spec, "central", "central entry", lambda e, p: _central(r, e, p, known_groups))
    _check_set_names(r, fleet)
    return fleet


def _entry(r: ObjectReader, entry, path: tuple, shape: str, fields: tuple[str, ...]) -> bool:
    """Whether ``entry`` is a mapping (else an error saying ``shape``); unknown fields warn."""
    if not isinstance(entry, dict):
        r.error(path, shape, "TW135")
        return False
    r.known(entry, path, fields)
    return True


def _unique(r: ObjectReader, spec: dict, key: str, what: str, parse) -> list:
    """The valid entries of ``spec[key]``, each name once (a repeated name is an error)."""
    out: list = []
    for i, entry in enumerate(r.sequence(spec, key, ("spec",)) or []):
        item = parse(entry, ("spec", key, i))
        if item is None:
            continue
        if any(o.name == item.name for o in out):
            r.error(("spec", key, i, "name"), f"{what} {item.name} is listed twice", "TW135")
            continue
        out.append(item)
    return out


def _name(r: ObjectReader, entry: dict, path: tuple, what: str) -> str | None:
    name = r.string(entry, "name", path, required=True)
    if name is not None and not _NAME.match(name):
        r.error(path + ("name",), f"{what} name {name!r} must be lower-case alphanumerics, '-' or '.'", "TW135")
        return None
    return name


def _paths(r: ObjectReader, entry: dict, key: str, path: tuple, base: Path, required: bool) -> tuple[str, ...]:
    value = entry.get(key)
    if isinstance(value, str):
        value = [value]
    if value is None or value == []:
        if required:
            r.error(path + (key,), f"{key} is required (one path or a list)", "TW135")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        r.error(path + (key,), f"{key} must be a path or a list of paths", "TW135")
        return ()
    return tuple(resolve(base, v) for v in value)


def _labels(r: ObjectReader, entry: dict, key: str, path: tuple) -> dict:
    labels = r.mapping(entry, key, path) or {}
    out = {}
    for k, v in labels.items():
        err = label_key_error(k) or label_value_error(v)
        if err:
            r.error(path + (key, k), err, "TW135")
            continue
        out[k] = str(v)
    return out


def _cluster(r: ObjectReader, entry, path: tuple, base: Path) -> ClusterSpec | None:
    if not _entry(r, entry, path, "a cluster is a mapping with name, labels and sources", ("name", "labels", "sources", "cni", "snat")):
        return None
    before = r.failed
    r.failed = False
    name = _name(r, entry, path, "cluster")
    labels = _labels(r, entry, "labels", path)
    sources = _paths(r, entry, "sources", path, base, required=True)
    cni = r.string(entry, "cni", path, choices=CNIS)
    snat = entry.get("snat", True)
    if not isinstance(snat, bool):
        r.error(path + ("snat",), "snat must be true or false", "TW135")
    ok = not r.failed and name is not None
    r.failed = r.failed or before
    return ClusterSpec(name, labels, sources, cni, bool(snat), r.raw.at(path)) if ok else None


def _group(r: ObjectReader, entry, path: tuple, clusters: set[str]) -> Group | None:
    if not _entry(r, entry, path, "a group is a mapping with name, clusterSelector and/or clusters", ("name", "clusterSelector", "clusters", "policySets", "tests")):
        return None
    before = r.failed
    r.failed = False
    name = _name(r, entry, path, "group")
    selector = parse_label_selector(entry.get("clusterSelector"), r.report, path + ("clusterSelector",))
    names = entry.get("clusters") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        r.error(path + ("clusters",), "clusters must be a list of cluster names", "TW135")
        names = []
    for j, n in enumerate(names):
        if n not in clusters:
            r.error(path + ("clusters", j), f"cluster {n!r} is not in spec.clusters", "TW135")
    if entry.get("clusterSelector") is None and not names and not r.failed:
        r.error(path, "a group selects clusters with clusterSelector and/or clusters (names)", "TW135")
    sets = []
    for j, s in enumerate(r.sequence(entry, "policySets", path) or []):
        ps = _policy_set(r, s, path + ("policySets", j), r.raw.origin.file)
        if ps is not None:
            sets.append(ps)
    base = Path(r.raw.origin.file).parent
    tests = _paths(r, entry, "tests", path, base, required=False)
    ok = not r.failed and name is not None
    r.failed = r.failed or before
    return Group(name, selector, tuple(names), tuple(sets), tests, r.raw.at(path)) if ok else None


def _policy_set(r: ObjectReader, entry, path: tuple, file: str) -> PolicySet | None:
    if not _entry(r, entry, path, "a policy set is a mapping with name and path", ("name", "path", "prune", "namePrefix", "ownerLabels")):
        return None
    name = _name(r, entry, path, "policy set")
    target = r.string(entry, "path", path, required=True)
    prune = entry.get("prune", False)
    if not isinstance(prune, bool):
        r.error(path + ("prune",), "prune must be true or false", "TW135")
        return None
    prefix = r.string(entry, "namePrefix", path) or ""
    if prefix and not _NAME.match(prefix.rstrip("-") or "x"):
        r.error(path + ("namePrefix",), f"namePrefix {prefix!r} would not give valid object names", "TW135")
        return None
    owners = _labels(r, entry, "ownerLabels", path) if entry.get("ownerLabels") is not None else None
    if name is None or target is None:
        return None
    if owners is None:
        owners = {FLUX_OWNER_LABELS[0]: name, FLUX_OWNER_LABELS[1]: DEFAULT_OWNER_NAMESPACE}
    elif not owners:
        r.error(path + ("ownerLabels",), "ownerLabels needs at least one label (prune finds objects by them)",
                "TW135")
        return None
    return PolicySet(name, resolve(Path(file).parent, target), prune, prefix, owners, r.raw.at(path))


def _central(r: ObjectReader, entry, path: tuple, groups: set[str]) -> CentralSet | None:
    if not _entry(r, entry, path, "a central entry is a mapping with name, path and category (or tier)", ("name", "path", "category", "tier", "groups")):
        return None
    name = _name(r, entry, path, "central")
    target = r.string(entry, "path", path, required=True)
    category, tier = entry.get("category"), entry.get("tier")
    priority = None
    if (category is None) == (tier is None):
        r.error(path, "set exactly one of category (an NSX category) or tier (a tier name)", "TW135")
        return None
    if category is not None:
        if category not in NSX_CATEGORIES:
            r.error(path + ("category",), f"category {category!r} is not one of {', '.join(NSX_CATEGORIES)}",
                    "TW135")
            return None
        if category == "Ethernet":
            r.warn(path + ("category",), "the Ethernet category carries no L3/L4 rules for Antrea clusters "
                                         "(spec/antrea.md §9)", "TW240")
        tier, priority = nsx_tier(category), NSX_CATEGORIES[category]
    elif not isinstance(tier, str) or not tier:
        r.error(path + ("tier",), "tier must be a tier name", "TW135")
        return None
    scope = entry.get("groups")
    if scope is not None:
        if not isinstance(scope, list) or not all(isinstance(g, str) for g in scope):
            r.error(path + ("groups",), "groups must be a list of group names", "TW135")
            return None
        for j, g in enumerate(scope):
            if g not in groups:
                r.error(path + ("groups", j), f"group {g!r} is not in spec.groups", "TW135")
        scope = tuple(scope)
    if name is None or target is None:
        return None
    return CentralSet(name, resolve(Path(r.raw.origin.file).parent, target), tier, priority, scope, r.raw.at(path))


def _check_set_names(r: ObjectReader, fleet: Fleet) -> None:
    """A policy set is one Flux Kustomization: the same name must mean the same delivery."""
    seen: dict[str, PolicySet] = {}
    for group in fleet.groups:
        for ps in group.policy_sets:
            other = seen.setdefault(ps.name, ps)
            if other is not ps and (other.path, other.prune, other.name_prefix, other.owner_labels) != \
                    (ps.path, ps.prune, ps.name_prefix, ps.owner_labels):
                diag_origin = ps.origin.at(ps.origin.field + ".name", ps.origin.line)
                r.diags.error(diag_origin, f"policy set {ps.name} is defined twice differently "
                                           f"(first at line {other.origin.line})", "TW135")
