"""Deterministic addresses for pods and Services that have none.

Synthesized pods (and pods dumped before they were scheduled) need an IP so that ipBlock
rules and IP-addressed traces mean something. Addresses come from the pod's node podCIDR,
else from :data:`DEFAULT_POD_CIDR`; Services without a ClusterIP get one from
:data:`DEFAULT_SERVICE_CIDR`. The order is sorted by namespace/name, so the same input
always yields the same addresses, and an address already in use is never handed out.
"""

from __future__ import annotations

import ipaddress
from typing import Iterator

from ..addresses import parse_ip
from .objects import Node, Pod, Service

DEFAULT_POD_CIDR = "10.244.0.0/16"
"""Pod network used when a pod's node has no podCIDR (kubeadm/flannel's default)."""

DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
"""Service network for Services without a ClusterIP (kubeadm's default)."""


class _Pool:
    def __init__(self, cidr: str, used: set):
        self.net = ipaddress.ip_network(cidr, strict=False)
        self.used = used
        self.it: Iterator = self.net.hosts()

    def take(self) -> str | None:
        for addr in self.it:
            if addr not in self.used:
                self.used.add(addr)
                return str(addr)
        return None


def assign_addresses(pods: list[Pod], services: list[Service], nodes: dict[str, Node]) -> None:
    """Give every pod and Service without an address one (in place)."""
    used = {parse_ip(ip) for p in pods for ip in p.ips}
    used |= {parse_ip(ip) for s in services for ip in s.cluster_ips}
    used |= {parse_ip(a) for n in nodes.values() for a in n.addresses}
    pools: dict[str, _Pool] = {}

    def pool(cidr: str) -> _Pool:
        if cidr not in pools:
            pools[cidr] = _Pool(cidr, used)
        return pools[cidr]

    for pod in sorted((p for p in pods if not p.ips), key=lambda p: p.key):
        node = nodes.get(pod.node)
        if pod.host_network:
            pod.ips = tuple(node.addresses[:1]) if node and node.addresses else ()
            continue
        cidrs = list(node.pod_cidrs) if node else []
        ip = None
        for cidr in cidrs + [DEFAULT_POD_CIDR]:
            ip = pool(cidr).take()
            if ip:
                break
        if ip:
            pod.ips = (ip,)
            pod.ip_assigned = True
    for svc in sorted((s for s in services if not s.cluster_ips and not s.declared_headless),
                      key=lambda s: s.key):
        ip = pool(DEFAULT_SERVICE_CIDR).take()
        if ip:
            svc.cluster_ips = (ip,)
            svc.ip_assigned = True
