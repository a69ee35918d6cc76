"""The labels a pod shows to label-expression selectors (Calico's view of the cluster).

Calico turns a Namespace into a profile whose labels are the namespace's labels prefixed
``pcns.`` (plus ``pcns.projectcalico.org/name``), a ServiceAccount into one with ``pcsa.``
labels (plus ``pcsa.projectcalico.org/name``), and gives each pod its own labels plus
``projectcalico.org/{namespace,orchestrator,serviceaccount}``; the pod's own labels win over
inherited ones (spec/calico.md §1.6, libcalico-go/lib/backend/k8s/conversion/).
"""

from __future__ import annotations

from typing import Mapping

NAMESPACE_LABEL = "projectcalico.org/namespace"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
NAME_LABEL = "projectcalico.org/name"
NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."
VIEW_PREFIXES = (NAMESPACE_PREFIX, SERVICE_ACCOUNT_PREFIX, NAMESPACE_LABEL.partition("/")[0] + "/")
"""Every key :func:`effective_labels` adds starts with one of these."""
MAX_SA_LABEL = 63
"""The serviceaccount label is only set for names shorter than this (a label value limit)."""


def namespace_profile_labels(namespace: str, namespace_labels: Mapping[str, str]) -> dict[str, str]:
    labels = {NAMESPACE_PREFIX + k: v for k, v in namespace_labels.items()}
    labels[NAMESPACE_PREFIX + NAME_LABEL] = namespace
    return labels


def service_account_profile_labels(name: str, service_account_labels: Mapping[str, str]) -> dict[str, str]:
    labels = {SERVICE_ACCOUNT_PREFIX + k: v for k, v in service_account_labels.items()}
    labels[SERVICE_ACCOUNT_PREFIX + NAME_LABEL] = name
    return labels


def effective_labels(labels: Mapping[str, str], namespace: str, namespace_labels: Mapping[str, str],
                     service_account: str, service_account_labels: Mapping[str, str]) -> dict[str, str]:
    """The endpoint's own labels (pod labels, then the ``projectcalico.org/*`` ones the
    conversion sets) over the namespace and service-account profiles' labels: Calico's label
    view (:attr:`Dialect.label_view`)."""
    out = {**service_account_profile_labels(service_account, service_account_labels),
           **namespace_profile_labels(namespace, namespace_labels), **labels}
    out[NAMESPACE_LABEL] = namespace
    out[ORCHESTRATOR_LABEL] = "k8s"
    if len(service_account) < MAX_SA_LABEL:
        out[SERVICE_ACCOUNT_LABEL] = service_account
    return out
