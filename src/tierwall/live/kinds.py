"""What a live read lists: one table, built from the dialects' own declarations.

Each entry is a kind and the API groups that may serve it, in order of preference: the
first group the server serves it in is read and the others are not, because they are the
*same* objects seen twice (the Calico API server serves ``projectcalico.org/v3`` over the
``crd.projectcalico.org/v1`` CRDs that store them; Antrea ≤1.x mirrored its legacy
``*.antrea.tanzu.vmware.com`` groups into ``crd.antrea.io``). The version read is the one
discovery names as preferred. Kinds whose group is not served are simply absent from this
cluster (no Calico on an Antrea cluster is normal).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dialects import ADMISSION_GROUP, ADMISSION_KINDS, RBAC_GROUP, RBAC_KINDS, read_resources


@dataclass(frozen=True)
class WantedKind:
    kind: str
    groups: tuple[str, ...]
    """Groups that may serve the kind, preferred first (``""`` is the core group)."""
    inventory: bool = False
    """Part of the inventory (pods and what selects or addresses them), not a policy kind."""


WANTED: tuple[WantedKind, ...] = (
    *(WantedKind(k, ("",), True) for k in ("Namespace", "Node", "Pod", "Service", "ServiceAccount")),
    WantedKind("EndpointSlice", ("discovery.k8s.io",), True),
    *(WantedKind(r.kind, r.groups) for r in read_resources()),  # each dialect's resources.py
    *(WantedKind(k, (RBAC_GROUP,)) for k in RBAC_KINDS),  # who can change which tier (tierwall.rbac)
    *(WantedKind(k, (ADMISSION_GROUP,)) for k in ADMISSION_KINDS),
)
"""Everything a live read may list; :func:`wanted` filters it by ``read=`` (``policies`` includes
RBAC and admission objects: they decide who can change the policies)."""


def wanted(read: str) -> list[WantedKind]:
    if read == "inventory":
        return [w for w in WANTED if w.inventory]
    if read == "policies":
        return [w for w in WANTED if not w.inventory]
    return list(WANTED)
