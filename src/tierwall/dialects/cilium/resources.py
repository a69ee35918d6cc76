"""The API resources of cilium.io/v2 that tierwall reads. The group's other kinds
(CiliumEndpoint, CiliumNode, CiliumIdentity …) are not enumerated: an unlisted kind of
cilium.io is skipped, not called a misspelling. No shipped RBAC and no ``write_targets`` are
declared yet: ``who-can`` and the tamper search do not cover Cilium policies (not a choice of
``who-can --dialect``)."""

from __future__ import annotations

from ..contract import Resource
from .lower import CLUSTERWIDE, GROUP, NAMESPACED

RESOURCES = (
    Resource(NAMESPACED, "ciliumnetworkpolicies", (GROUP,), "v2", namespaced=True),
    Resource(CLUSTERWIDE, "ciliumclusterwidenetworkpolicies", (GROUP,), "v2"),
)
ALSO_SERVED = None
