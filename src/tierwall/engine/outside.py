"""Endpoints outside the pod network that a matrix must show: nodes, and one address per piece
of the address space the policies cut.

Every ipBlock, ``except``, Calico ``nets``/``notNets`` and NetworkSet CIDR the model names is a
boundary; between boundaries every address is treated alike by every rule, so one address per
piece decides for the whole piece (as NCA's connectivity map lists CIDR ranges). The pieces
that no CIDR names (other than ``0.0.0.0/0``) are one endpoint, "internet". IPv6 CIDRs are
reported as not covered (:func:`uncovered`): the matrix walks IPv4 representatives only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..model import Model, named_networks

INTERNET = "internet"


@dataclass(frozen=True, slots=True)
class Outside:
    """One representative address and what it stands for."""

    ip: str
    label: str
    """``ext:192.168.0.0/16``, ``ext:10.1.0.0-10.1.4.255``, or ``internet``."""


def model_networks(model: Model) -> list:
    """Every CIDR the model names (ipBlocks and their excepts, Calico nets, NetworkSets)."""
    nets = []
    for policy in model.policies:
        for rule in policy.rules:
            nets += named_networks(rule.peers or ())
            for e in rule.entities:
                nets += list(e.nets or ()) + list(e.not_nets)
    for aset in model.address_sets:
        nets += list(aset.nets)
    return nets


def uncovered(model: Model) -> list[str]:
    """CIDRs the outside endpoints do not represent (IPv6)."""
    return sorted({str(n) for n in model_networks(model) if n.version != 4})


def outside_endpoints(models: list[Model], taken: set[str]) -> list[Outside]:
    """One representative per IPv4 piece the models' CIDRs cut out, never an address in
    ``taken`` (pods', nodes'); the unnamed rest as one "internet" endpoint. With several
    models (the two sides of a diff) the pieces are cut by all of them, so both sides get the
    same endpoints."""
    nets = [n for model in models for n in model_networks(model) if n.version == 4]
    named = [n for n in nets if n.prefixlen > 0]
    cuts = {0, 2 ** 32}
    for net in named:
        cuts.update((int(net.network_address), int(net.broadcast_address) + 1))
    points = sorted(cuts)
    out: list[Outside] = []
    internet = None
    for lo, hi in zip(points, points[1:]):
        inside = any(int(n.network_address) <= lo and hi - 1 <= int(n.broadcast_address) for n in named)
        if not inside and internet is not None:
            continue
        ip = _free(lo, hi, taken)
        if ip is None:
            continue
        if not inside:
            internet = Outside(ip, INTERNET)
            continue
        out.append(Outside(ip, "ext:" + _range_label(lo, hi - 1)))
    return out + ([internet] if internet else [])


def _free(lo: int, hi: int, taken: set[str]) -> str | None:
    """An address of [lo, hi) not in ``taken`` (skipping the network address of large pieces)."""
    for candidate in range(lo + 1 if hi - lo > 2 else lo, min(hi, lo + 256)):
        text = str(ipaddress.IPv4Address(candidate))
        if text not in taken:
            return text
    return None


def _range_label(lo: int, hi: int) -> str:
    nets = list(ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)))
    if len(nets) == 1:
        return str(nets[0])
    return f"{ipaddress.IPv4Address(lo)}-{ipaddress.IPv4Address(hi)}"
