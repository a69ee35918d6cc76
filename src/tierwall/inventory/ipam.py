"""Deterministic addresses for pods and Services that have none.

Synthesized pods (and pods dumped before they were scheduled) need an IP so that ipBlock
rules and IP-addressed traces mean something. Addresses come from the pod's node podCIDR
(Node ``spec.podCIDR(s)``), else from the range the user gave (``--pod-cidr``), else from
:data:`DEFAULT_POD_CIDR`; Services without a ClusterIP get one from
:data:`DEFAULT_SERVICE_CIDR`. The order is sorted by namespace/name, so the same input
always yields the same addresses, and an address already in use is never handed out.

Every address chosen here is an invented fact: the pod or Service is flagged
(``ip_assigned``) and :meth:`Inventory.invented_ips` lists them, so that a verdict resting on
one (an ipBlock that matched it) can say so instead of deciding silently.
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


def check_pod_cidr(text: str) -> str:
    """``text`` as a canonical network, or :class:`ValueError` saying what is wrong with it."""
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not a CIDR (e.g. {DEFAULT_POD_CIDR})") from None
    if net.num_addresses < 4:
        raise ValueError(f"{text!r} is too small to hold pod addresses")
    return str(net)


def assign_addresses(pods: list[Pod], services: list[Service], nodes: dict[str, Node],
                     pod_cidr: str | None = None) -> None:
    """Give every pod and Service without an address one (in place).

    ``pod_cidr`` replaces :data:`DEFAULT_POD_CIDR` as the range for pods whose node declares
    no podCIDR (a node's own podCIDR is a fact of the cluster and comes first).
    """
    fallback = pod_cidr or DEFAULT_POD_CIDR
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
        for cidr in cidrs + [fallback]:
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
