"""One call from paths to a compiled cluster: load → inventory → dialects → model → compile.

This is the entry point the CLI and library users share; every error found on the way is
collected into one :class:`~tierwall.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .dialects import NON_POLICY_OWNERS, build_model, infer_cni, sort_objects
from .dialects.contract import ClusterFacts, ServiceFacts
from .dialects.known_kinds import misspelt_kinds
from .engine import CompiledCluster, compile_cluster
from .errors import Diagnostics
from .gcpause import paused
from .inventory import INVENTORY_KINDS, Inventory, build_inventory
from .load import RawObject, load_paths
from .model import Model


@dataclass
class Cluster:
    """A loaded and compiled cluster, with what was found while reading it."""

    inventory: Inventory
    model: Model
    compiled: CompiledCluster
    diagnostics: Diagnostics
    tests: list[RawObject] = field(default_factory=list)
    """ConnectivityTest objects found among the inputs."""
    skipped: list[RawObject] = field(default_factory=list)
    """Objects of kinds tierwall does not read."""
    objects: object = None
    """Every object read, sorted by dialect (``dialects.Sorted``), for views of the sources."""

    @property
    def cni(self) -> str:
        return self.model.cni


@paused()
def load_cluster(paths: Iterable[str], cni: str | None = None, stdin=None,
                 diags: Diagnostics | None = None, strict: bool = True,
                 extra: Iterable[RawObject] = (), pod_cidr: str | None = None) -> Cluster:
    """Read ``paths`` and build the compiled cluster.

    Args:
        paths: files, directories or ``-`` (stdin).
        cni: a CNI profile name (``antrea``, ``calico``, ``generic``, ...); inferred from the objects present when ``None``.

        strict: raise on any error (``False``: build from the objects that are valid and leave
            the errors in ``diagnostics`` — what ``lint`` needs).
        extra: objects already read (e.g. from memory or a live source), added to ``paths``'.
        pod_cidr: range for the addresses tierwall invents for pods without ``status.podIP``
            whose node has no podCIDR (default ``10.244.0.0/16``).

    Raises:
        InputError: with every error diagnostic found, when any was found (strict only).
    """
    diags = diags if diags is not None else Diagnostics()
    raws = load_paths(paths, diags, stdin=stdin) + list(extra)
    objects = sort_objects(misspelt_kinds(raws, diags), INVENTORY_KINDS)
    for raw in objects.unknown:
        diags.info(raw.origin, f"kind {raw.kind} ({raw.api_version}) is not read by tierwall; skipped", "TW303")
    inv = build_inventory(objects.by_dialect.get("inventory", []) + _namespaced(objects), diags, pod_cidr)
    model = build_model(objects, facts_of(inv), cni or infer_cni(objects), diags)
    if strict:
        diags.raise_if_errors()
    return Cluster(inv, model, compile_cluster(model, inv), diags,
                   tests=objects.by_dialect.get("tierwall", []), skipped=objects.unknown, objects=objects)


def _namespaced(objects) -> list[RawObject]:
    """Policy objects too: their namespaces must exist (implied if not declared)."""
    return [r for d, rs in objects.by_dialect.items() if d not in NON_POLICY_OWNERS for r in rs if r.namespace]


def facts_of(inv: Inventory) -> ClusterFacts:
    """What lowering may know about the cluster (dialects never read the inventory itself)."""
    services = {key: ServiceFacts(s.namespace, s.name, s.selector, s.headless) for key, s in inv.services.items()}
    return ClusterFacts(services, {name: dict(ns.labels) for name, ns in inv.namespaces.items()})
