"""Strip what the API server adds that no answer depends on, so live reads, snapshots and
Git compare on what people write and what policy decisions read.

Removed: ``metadata.managedFields`` (server-side-apply bookkeeping, often half an object),
``resourceVersion``, ``uid``, ``generation``, ``selfLink``, kubectl's
``last-applied-configuration`` annotation (a second copy of the object), and the parts of
Pod and Node ``status`` that describe containers and machines rather than addresses.
Kept: labels, annotations (NSX's ``ccp-adapter`` display name among them), ownerReferences,
``creationTimestamp`` (AGE), Pod/Node addresses and every policy's ``status`` (Antrea's
realized nodes and phase).
"""

from __future__ import annotations

METADATA_NOISE = ("managedFields", "resourceVersion", "uid", "generation", "selfLink")
ANNOTATION_NOISE = ("kubectl.kubernetes.io/last-applied-configuration",)
STATUS_NOISE = {
    "Pod": ("conditions", "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses",
            "resourceClaimStatuses", "resize", "qosClass", "startTime", "observedGeneration"),
    "Node": ("images", "conditions", "volumesAttached", "volumesInUse", "daemonEndpoints", "config",
             "allocatable", "capacity", "nodeInfo", "runtimeHandlers", "features"),
}


def clean(obj: dict) -> dict:
    """``obj`` without the noise above (in place; returned for chaining)."""
    md = obj.get("metadata")
    if isinstance(md, dict):
        for key in METADATA_NOISE:
            md.pop(key, None)
        annotations = md.get("annotations")
        if isinstance(annotations, dict):
            for key in ANNOTATION_NOISE:
                annotations.pop(key, None)
            if not annotations:
                md.pop("annotations")
    status = obj.get("status")
    noise = STATUS_NOISE.get(str(obj.get("kind")))
    if noise and isinstance(status, dict):
        for key in noise:
            status.pop(key, None)
    return obj
