"""Assemble the :class:`Inventory` from raw objects.

Order matters and is fixed here: parse the inventory kinds, synthesize pods for workloads,
imply undeclared namespaces, attach Endpoints, then assign addresses to whatever has none.
"""

from __future__ import annotations

from ..addresses import canonical_ip
from ..errors import Diagnostics
from ..load import RawObject
from ..origin import BUILTIN
from .ipam import assign_addresses
from .objects import NAMESPACE_NAME_LABEL, Inventory, Namespace, Pod
from .parse import endpoint_addresses, parse_namespace, parse_node, parse_pod, parse_service
from .workloads import WORKLOAD_KINDS, synthesize

INVENTORY_KINDS = frozenset({"Namespace", "Node", "Pod", "Service", "Endpoints", "EndpointSlice",
                             "ServiceAccount", *WORKLOAD_KINDS})
"""Core kinds the inventory reads (ServiceAccount is accepted and needs no modelling)."""


def build_inventory(raws: list[RawObject], diags: Diagnostics, pod_cidr: str | None = None) -> Inventory:
    """Build the inventory from every inventory-kind object in ``raws``.

    ``pod_cidr``: the range invented pod addresses come from when a pod's node has no podCIDR
    (see :func:`~tierwall.inventory.ipam.assign_addresses`).

    Namespaces referenced by any namespaced object but not declared are implied (with a
    warning), carrying only the ``kubernetes.io/metadata.name`` label.
    """
    inv = Inventory()
    pods: list[Pod] = []
    pod_raws: list[RawObject] = []
    workloads: list[RawObject] = []
    endpoints: list[RawObject] = []
    for raw in raws:
        kind = raw.kind
        if kind == "Namespace":
            ns = parse_namespace(raw, diags)
            if ns:
                if ns.name in inv.namespaces:
                    diags.warning(raw.origin, f"Namespace {ns.name} is declared twice; the last one wins", "TW202")
                inv.namespaces[ns.name] = ns
        elif kind == "Node":
            node = parse_node(raw, diags)
            if node:
                inv.nodes[node.name] = node
        elif kind == "Pod":
            pod = parse_pod(raw, diags)
            if pod:
                pods.append(pod)
                pod_raws.append(raw)
        elif kind == "Service":
            svc = parse_service(raw, diags)
            if svc:
                inv.services[svc.key] = svc
        elif kind == "ServiceAccount":
            labels = raw.metadata.get("labels") or {}
            inv.service_accounts[f"{raw.namespace or 'default'}/{raw.name}"] = (
                {str(k): "" if v is None else str(v) for k, v in labels.items()} if isinstance(labels, dict) else {})
        elif kind in ("Endpoints", "EndpointSlice"):
            endpoints.append(raw)
        elif kind in WORKLOAD_KINDS:
            workloads.append(raw)

    seen: dict[str, Pod] = {}
    for pod in pods:
        if pod.key in seen:
            diags.warning(pod.origin, f"Pod {pod.key} is declared twice; the last one wins", "TW202")
        seen[pod.key] = pod
    pods = list(seen.values())
    made, groups = synthesize(workloads, pods, pod_raws, inv.nodes, diags)
    inv.workloads = groups
    pods.extend(made)

    for pod in pods:
        if pod.node and pod.node not in inv.nodes and inv.nodes:
            diags.warning(pod.origin, f"pod runs on node {pod.node!r}, which is not in the input", "TW203")
    for raw in endpoints:
        ns, svc_name, addrs = endpoint_addresses(raw)
        svc = inv.services.get(f"{ns}/{svc_name}")
        if svc is None:
            diags.warning(raw.origin, f"{raw.kind} for Service {ns}/{svc_name}, which is not in the input", "TW204")
            continue
        svc.endpoint_ips = tuple(dict.fromkeys((svc.endpoint_ips or ()) + tuple(addrs)))

    assign_addresses(pods, list(inv.services.values()), inv.nodes, pod_cidr)
    for pod in pods:
        if not pod.ips:
            diags.warning(pod.origin, "pod has no IP and none could be assigned", "TW205")
    inv.pods = sorted(pods, key=lambda p: (p.namespace, p.name))
    _warn_shared_ips(inv.pods, diags)

    for raw in raws:
        if raw.namespace and raw.namespace not in inv.namespaces:
            imply_namespace(inv, raw.namespace, raw, diags)
    for pod in inv.pods:
        if pod.namespace not in inv.namespaces:
            imply_namespace(inv, pod.namespace, None, diags)
    inv.reindex()
    return inv


def _warn_shared_ips(pods: list[Pod], diags: Diagnostics) -> None:
    """Two pods with their own network namespace never share an address in a real cluster (the
    API server does not check it; IPAM guarantees it): a verdict on the address would apply to
    whichever pod tierwall read last, so say so."""
    owner: dict[str, Pod] = {}
    for pod in pods:
        if pod.host_network:
            continue
        for ip in dict.fromkeys(canonical_ip(i) for i in pod.ips):
            first = owner.setdefault(ip, pod)
            if first is not pod:
                diags.warning(pod.origin, f"pod IP {ip} is also the IP of pod {first.key} ({first.origin}); "
                              f"flows to that address are ambiguous", "TW209")


def imply_namespace(inv: Inventory, name: str, raw: RawObject | None, diags: Diagnostics) -> None:
    origin = raw.origin if raw is not None else BUILTIN
    inv.namespaces[name] = Namespace(name, {NAMESPACE_NAME_LABEL: name}, BUILTIN, implied=True)
    diags.warning(origin, f"namespace {name!r} is used but not declared; implied with only the "
                          f"{NAMESPACE_NAME_LABEL} label", "TW206")
