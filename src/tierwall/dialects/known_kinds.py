"""Every kind of the API groups tierwall reads, so a misspelt kind is an error, not a skip.

An object of an unknown group (a ConfigMap, a cert-manager Certificate) is skipped: tierwall
does not read it and says so with ``-v``. But ``crd.antrea.io ClusterNetworkPolcy`` is no
kind at all — the API server would refuse it (no such resource) and, skipped, it would
silently leave a policy out of every verdict. So for the groups tierwall reads, the kinds
that exist are listed here; anything else in those groups is error TW108 with a did-you-mean.

Sources (kinds as served): Antrea ``build/charts/antrea/crds/*.yaml``; Calico
``api/pkg/apis/projectcalico/v3`` (and the ``crd.projectcalico.org`` IPAM kinds);
network-policy-api ``apis/v1alpha1``/``v1alpha2``; Kubernetes ``networking.k8s.io/v1``.
"""

from __future__ import annotations

from ..errors import Diagnostics, did_you_mean
from ..load import RawObject

_ANTREA = frozenset({
    "ClusterNetworkPolicy", "NetworkPolicy", "Tier", "ClusterGroup", "Group", "Traceflow", "ExternalEntity",
    "ExternalNode", "Egress", "ExternalIPPool", "IPPool", "AntreaAgentInfo", "AntreaControllerInfo",
    "AntreaNodeConfig", "BGPPolicy", "FlowExporterDestination", "FlowExporterTarget", "NodeLatencyMonitor",
    "PacketCapture", "PacketSampling", "SupportBundle", "SupportBundleCollection", "TrafficControl",
})
_CALICO = frozenset({
    "GlobalNetworkPolicy", "NetworkPolicy", "GlobalNetworkSet", "NetworkSet", "Tier", "HostEndpoint", "Profile",
    "StagedGlobalNetworkPolicy", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy", "BGPConfiguration",
    "BGPPeer", "BGPFilter", "BlockAffinity", "CalicoNodeStatus", "ClusterInformation", "FelixConfiguration",
    "IPAMConfiguration", "IPAMConfig", "IPAMBlock", "IPAMHandle", "IPPool", "IPReservation",
    "KubeControllersConfiguration", "WorkloadEndpoint", "Node", "LiveMigration", "Host",
})

KNOWN_GROUP_KINDS: dict[str, frozenset[str]] = {
    "crd.antrea.io": _ANTREA,
    "security.antrea.tanzu.vmware.com": frozenset({"ClusterNetworkPolicy", "NetworkPolicy", "Tier"}),
    "core.antrea.tanzu.vmware.com": frozenset({"ClusterGroup", "ExternalEntity"}),
    "ops.antrea.tanzu.vmware.com": frozenset({"Traceflow"}),
    "projectcalico.org": _CALICO,
    "crd.projectcalico.org": _CALICO,
    "policy.networking.k8s.io": frozenset({"AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"}),
    "networking.k8s.io": frozenset({"NetworkPolicy", "Ingress", "IngressClass", "IPAddress", "ServiceCIDR"}),
    "tierwall.dev": frozenset({"ConnectivityTest"}),
}
"""API group → every kind it serves (the ones tierwall reads and the ones it skips)."""


def misspelt_kinds(raws: list[RawObject], diags: Diagnostics) -> list[RawObject]:
    """``raws`` without the objects whose kind does not exist in their (known) group; each of
    those is an error naming the kinds it resembles."""
    kept = []
    for raw in raws:
        kinds = KNOWN_GROUP_KINDS.get(raw.group)
        if kinds is None or raw.kind in kinds:
            kept.append(raw)
            continue
        diags.error(raw.origin, f"kind {raw.kind} does not exist in API group {raw.group}"
                                f"{did_you_mean(raw.kind, kinds)}; the API server would refuse it, and "
                                f"tierwall cannot read it", "TW108")
    return kept
