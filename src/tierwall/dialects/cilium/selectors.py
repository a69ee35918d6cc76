"""Cilium endpoint selectors → model pod peers.

A Cilium ``EndpointSelector`` is a Kubernetes LabelSelector over an endpoint's *identity
labels*: the pod's labels plus ``io.kubernetes.pod.namespace``, ``io.cilium.k8s.namespace.labels.<key>``
(each namespace label) and ``io.cilium.k8s.policy.serviceaccount`` / ``.cluster``; keys may
carry a source prefix (``k8s:``, ``any:``; ``reserved:`` names an entity). This module splits
such a selector into the namespace part and the pod part that :class:`~tierwall.model.PodPeer`
holds, and applies the namespace rules of CNP vs CCNP (docs ``security/policy/kubernetes.rst``
§Namespaces; ``pkg/k8s/apis/cilium.io/utils/utils.go`` getEndpointSelector):

* CNP ``endpointSelector``: pods of the policy's namespace only; a namespace requirement in it is
  replaced by the policy's namespace.
* CNP peer selectors: without a namespace requirement, the policy's namespace; with one, what it
  says. CCNP: every namespace unless the selector restricts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...load import ObjectReader
from ...model import ALL_NAMESPACES, NamespaceScope, PodPeer
from ...selectors import LabelSelector, parse_label_selector
from ...selectors.labels import Requirement
from ..common import NAMESPACE_NAME_LABEL

NAMESPACE_KEY = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels."
SERVICE_ACCOUNT_KEY = "io.cilium.k8s.policy.serviceaccount"
CLUSTER_KEY = "io.cilium.k8s.policy.cluster"
CLUSTER_NAME = "default"
"""The agent's ``cluster-name`` when none is configured (no clustermesh)."""
NAME_LABEL = NAMESPACE_NAME_LABEL
PLAIN_SOURCES = ("k8s", "any", "unspec")
"""Label sources a pod label can come from as far as a selector is concerned."""


@dataclass
class Selected:
    """An endpoint selector, split: requirements on the namespace and on the pod itself."""

    namespace: list[Requirement] = field(default_factory=list)
    """Requirements on the namespace's labels (the namespace key becomes one on its name)."""
    names_namespace: bool = False
    """True when the selector had a ``io.kubernetes.pod.namespace`` requirement."""
    pod: list[Requirement] = field(default_factory=list)
    service_account: str | None = None
    reserved: list[str] = field(default_factory=list)
    """Entities named as ``reserved:<entity>`` keys."""
    nothing: str = ""
    """Non-empty when the selector can match no pod, with the reason."""


def parse_selector(r: ObjectReader, value, path: tuple) -> Selected | None:
    """Validate and split one EndpointSelector (``None`` on a reported error)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        r.error(path, "an endpoint selector must be a mapping with matchLabels and/or matchExpressions")
        return None
    out = Selected()
    cleaned: dict = {}
    labels = value.get("matchLabels")
    if isinstance(labels, dict):
        cleaned["matchLabels"] = {}
        for key, v in labels.items():
            plain = _plain_key(r, out, key, path + ("matchLabels", key))
            if plain is not None:
                cleaned["matchLabels"][plain] = v
    elif labels is not None:
        cleaned["matchLabels"] = labels
    exprs = value.get("matchExpressions")
    if isinstance(exprs, list):
        cleaned["matchExpressions"] = []
        for i, expr in enumerate(exprs):
            if isinstance(expr, dict) and isinstance(expr.get("key"), str):
                plain = _plain_key(r, out, expr["key"], path + ("matchExpressions", i, "key"))
                if plain is None:
                    continue
                expr = {**expr, "key": plain}
            cleaned["matchExpressions"].append(expr)
    elif exprs is not None:
        cleaned["matchExpressions"] = exprs
    for key in value:
        if key not in ("matchLabels", "matchExpressions"):
            cleaned[key] = value[key]  # parse_label_selector reports it
    sel = parse_label_selector(cleaned, r.report, path)
    if sel is None:
        return None
    for req in sel.requirements:
        if req.key == NAMESPACE_KEY:
            out.names_namespace = True
            out.namespace.append(Requirement(NAME_LABEL, req.operator, req.values))
        elif req.key.startswith(NAMESPACE_LABELS):
            out.namespace.append(Requirement(req.key[len(NAMESPACE_LABELS):], req.operator, req.values))
        elif req.key == SERVICE_ACCOUNT_KEY:
            if req.operator == "In" and len(req.values) == 1:
                out.service_account = req.values[0]
            else:
                r.warn(path, f"{SERVICE_ACCOUNT_KEY} {req.operator} is not modelled (only one exact service "
                             f"account); this selector matches no pod")
                out.nothing = "unsupported service-account expression"
        elif req.key == CLUSTER_KEY:
            if not req.matches({CLUSTER_KEY: CLUSTER_NAME}):
                out.nothing = f"not cluster {CLUSTER_NAME!r} (no clustermesh)"
        else:
            out.pod.append(req)
    return out


def _plain_key(r: ObjectReader, out: Selected, key, path: tuple) -> str | None:
    """The label key without its source prefix; ``reserved:`` keys are collected as entities."""
    if not isinstance(key, str) or ":" not in key:
        return key
    source, _, rest = key.partition(":")
    if source in PLAIN_SOURCES:
        return rest
    if source == "reserved":
        out.reserved.append(rest)
        return None
    r.warn(path, f"label source {source!r} is not modelled; this selector matches no pod")
    out.nothing = f"label source {source}"
    return None


def _scope(requirements: list[Requirement]) -> NamespaceScope:
    if not requirements:
        return ALL_NAMESPACES
    reqs = tuple(sorted(set(requirements), key=lambda q: (q.key, q.operator, q.values)))
    return NamespaceScope("selector", selector=LabelSelector(reqs))


def subject_peer(sel: Selected, namespace: str | None) -> PodPeer:
    """The pods an ``endpointSelector`` selects: in a CNP (``namespace`` set) only its own
    namespace, whatever namespace requirement the selector had."""
    if namespace is None:
        scope = _scope(sel.namespace)
    else:
        others = [q for q in sel.namespace if not (sel.names_namespace and q.key == NAME_LABEL)]
        scope = (NamespaceScope("names", frozenset({namespace})) if not others
                 else _scope(others + [Requirement(NAME_LABEL, "In", (namespace,))]))
    return PodPeer(scope, LabelSelector(tuple(sel.pod)), sel.service_account)


def peer_pods(sel: Selected, namespace: str | None) -> PodPeer:
    """The pods a ``fromEndpoints``/``toEndpoints`` entry covers. In a CNP a selector without a
    namespace requirement means the policy's namespace; a selector on namespace labels only is
    left unrestricted by name, as ``getEndpointSelector`` does (the docs call such labels
    CCNP-only; see docs/semantics.md)."""
    if namespace is not None and not sel.namespace:
        scope = NamespaceScope("names", frozenset({namespace}))
    else:
        scope = _scope(sel.namespace)
    return PodPeer(scope, LabelSelector(tuple(sel.pod)), sel.service_account)
