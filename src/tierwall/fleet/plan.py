"""From a Fleet file to one self-contained job per cluster.

Everything shared by many clusters — policy sets, central folders, test files — is read once
here (kustomize runs once per folder, not once per cluster) and carried by each job as text,
so a job can run in another process or on another machine. Fleet-level input errors (the
Fleet file, a policy set, a test file) concern every cluster and stop the command; a cluster's
own sources are read by its job, so a bad cluster is reported alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import Diagnostics
from ..expect import parse_tests
from ..load import load_text
from .cross import is_cross, parse_cross
from .deliver import Bundle
from .sources import read_texts
from .spec import ClusterSpec, Fleet, absolute, load_fleet

TEST_KIND = "ConnectivityTest"


@dataclass(frozen=True)
class ClusterJob:
    """What one worker needs to assemble and check one cluster."""

    cluster: ClusterSpec
    groups: tuple[str, ...]
    bundles: tuple[Bundle, ...]
    others: tuple[Bundle, ...]
    """Policy sets of the fleet this cluster does not receive (for prune)."""
    tests: tuple[tuple[str, str], ...]
    clusters: frozenset[str] = frozenset()
    """Every cluster name of the fleet (a case end ``CLUSTER/ns/pod`` is cross-cluster)."""
    lookups: tuple[tuple, ...] = ()
    """Ends other clusters' cross-cluster cases name in this cluster: (text, protocol, port)."""


@dataclass
class Plan:
    fleet: Fleet
    bundles: dict[str, Bundle] = field(default_factory=dict)
    tests: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """Group name → its ConnectivityTest files as text."""
    cross: dict[str, list] = field(default_factory=dict)
    """Group name → its cross-cluster cases (``fleet.cross.CrossCase``)."""
    absolute_sources: bool = False
    """Give jobs their cluster's file sources as absolute paths (for workers on other machines)."""

    def job(self, cluster: ClusterSpec) -> ClusterJob:
        groups = self.fleet.groups_of(cluster)
        keys = [f"central:{c.name}" for c in self.fleet.central_for(cluster)]
        for g in groups:
            keys += [f"policySet:{ps.name}" for ps in g.policy_sets if f"policySet:{ps.name}" not in keys]
        tests: dict[str, tuple[str, str]] = {}
        for g in groups:
            for name, text in self.tests.get(g.name, ()):
                tests.setdefault(name, (name, text))  # a file shared by two groups runs once
        others = tuple(b for k, b in self.bundles.items() if k.startswith("policySet:") and k not in keys)
        if self.absolute_sources:
            cluster = replace(cluster, sources=tuple(absolute(s) for s in cluster.sources))
        return ClusterJob(cluster, tuple(g.name for g in groups), tuple(self.bundles[k] for k in keys), others,
                          tuple(tests.values()), frozenset(c.name for c in self.fleet.clusters))

    def jobs(self) -> list[ClusterJob]:
        return [self.job(c) for c in self.fleet.clusters]


def plan_fleet(path: str, diags: Diagnostics) -> Plan:
    """Read the Fleet file and everything it shares between clusters; raises InputError on
    any fleet-level error (after reading everything, so all of them are reported)."""
    fleet = load_fleet(path, diags)
    diags.raise_if_errors()
    plan = Plan(fleet)
    for group in fleet.groups:
        for ps in group.policy_sets:
            key = f"policySet:{ps.name}"
            if key not in plan.bundles:
                plan.bundles[key] = Bundle.of_policy_set(ps, read_texts(ps.path, diags, ps.origin))
        texts: list[tuple[str, str]] = []
        for test_path in group.tests:
            texts += read_texts(test_path, diags, group.origin.at(group.origin.field + ".tests"))
        names = {c.name for c in fleet.clusters}
        plan.tests[group.name] = tuple(_only_tests(texts, diags, names))
        raws = [r for name, text in plan.tests[group.name] for r in load_text(text, name, Diagnostics())
                if r.kind == TEST_KIND]
        plan.cross[group.name] = parse_cross(raws, names, diags)
    for cs in fleet.central:
        plan.bundles[f"central:{cs.name}"] = Bundle.of_central(cs, read_texts(cs.path, diags, cs.origin))
    for bundle in plan.bundles.values():  # syntax errors in a shared folder concern every cluster
        for name, text in bundle.texts:
            load_text(text, name, diags)
    for cluster in fleet.clusters:
        if not fleet.groups_of(cluster) and not fleet.central_for(cluster):
            diags.warning(cluster.origin, f"cluster {cluster.name} is in no group: it receives nothing and "
                                          f"has no tests", "TW243")
    diags.raise_if_errors()
    return plan


def _only_tests(texts: list[tuple[str, str]], diags: Diagnostics, clusters: set[str]) -> list[tuple[str, str]]:
    """Test files parse (errors now, once, not once per cluster) and hold only ConnectivityTests."""
    out = []
    for name, text in texts:
        raws = load_text(text, name, diags)
        for raw in raws:
            if raw.kind != TEST_KIND:
                diags.warning(raw.origin, f"{raw.kind} in a tests file is not a ConnectivityTest; ignored", "TW207")
        tests = [r for r in raws if r.kind == TEST_KIND]
        parse_tests(tests, diags, lambda entry: None if is_cross(entry, clusters) else entry)
        if tests:
            out.append((name, text))
    return out
