"""Strip what the API server adds that no answer depends on, so live reads, snapshots and
Git compare on what people write and what policy decisions read.

Removed: first exactly what the file reader drops while it parses
(:data:`tierwall.load.reader.NOISE`: ``managedFields``, status conditions and container
statuses, under any ``metadata``/``status`` mapping), so an object reads the same from the
cluster, from a snapshot and from a ``kubectl get -o yaml`` dump; then the server's
bookkeeping (``resourceVersion``, ``uid``, ``generation``, ``selfLink``), kubectl's
``last-applied-configuration`` annotation (a second copy of the object), and the parts of
Pod and Node ``status`` that describe containers and machines rather than addresses.

Kept: labels, annotations (NSX's ``ccp-adapter`` display name among them), ownerReferences,
``creationTimestamp`` (AGE), Pod/Node addresses and every policy's ``status`` (Antrea's
realized nodes and phase).
"""

from __future__ import annotations

from ..load.reader import NOISE

METADATA_NOISE = ("resourceVersion", "uid", "generation", "selfLink")
ANNOTATION_NOISE = ("kubectl.kubernetes.io/last-applied-configuration",)
STATUS_NOISE = {
    "Pod": ("resize", "qosClass", "startTime", "observedGeneration"),
    "Node": ("images", "volumesAttached", "volumesInUse", "daemonEndpoints", "config",
             "allocatable", "capacity", "nodeInfo", "runtimeHandlers", "features"),
}


def _drop_reader_noise(value, parent: str = "") -> None:
    """The file reader's rule, on plain data: under a key of NOISE, drop that key's fields."""
    if isinstance(value, dict):
        noise = NOISE.get(parent)
        if noise:
            for key in noise & value.keys():
                del value[key]
        for key, child in value.items():
            if isinstance(child, (dict, list)):
                _drop_reader_noise(child, key if isinstance(key, str) else "")
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)):
                _drop_reader_noise(child)


def clean(obj: dict) -> dict:
    """``obj`` without the noise above (in place; returned for chaining)."""
    _drop_reader_noise(obj)
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
