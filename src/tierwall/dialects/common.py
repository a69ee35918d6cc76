"""Field parsers that several dialects share: CIDRs and ipBlocks, Kubernetes-style ports.

Each parser validates as the API server would and reports through an :class:`ObjectReader`;
it returns ``None`` when the value is unusable so the caller can skip just that piece.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..errors import clip
from ..load import ObjectReader
from ..model import IPBlockPeer, PortMatch

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""The label the API server sets on every Namespace (its name; immutable)."""

_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def parse_cidr(r: ObjectReader, value: Any, path: tuple):
    """A CIDR with its prefix length: the API server (``ValidateCIDR``), Antrea's webhook, the
    AdminNetworkPolicy CEL ``isCIDR()`` and Cilium's CIDR pattern all refuse a bare address."""
    if not isinstance(value, str) or not value:
        r.error(path, f"{clip(repr(value))} is not a CIDR")
        return None
    if "/" not in value:
        try:
            bits = 32 if ipaddress.ip_address(value).version == 4 else 128
            r.error(path, f"{value!r} has no prefix length; the API server refuses it (write {value}/{bits})")
            return None
        except ValueError:
            pass
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        r.error(path, f"{value!r} is not a valid CIDR (expected e.g. 10.0.0.0/16)")
        return None


def parse_ipblock(r: ObjectReader, block: Any, path: tuple, known_extra: tuple = ()) -> IPBlockPeer | None:
    """``{cidr, except}``: every except must be a strict subset of the cidr (API validation)."""
    if not isinstance(block, dict):
        r.error(path, "ipBlock must be a mapping with cidr and except")
        return None
    r.known(block, path, ("cidr", "except", *known_extra))
    if not block.get("cidr"):
        r.error(path + ("cidr",), "field 'cidr' is required in an ipBlock")
        return None
    cidr = parse_cidr(r, block["cidr"], path + ("cidr",))
    if cidr is None:
        return None
    excepts = []
    raw_except = block.get("except") or []
    if not isinstance(raw_except, list):
        r.error(path + ("except",), "except must be a list of CIDRs")
        return None
    for i, e in enumerate(raw_except):
        net = parse_cidr(r, e, path + ("except", i))
        if net is None:
            return None
        if net.version != cidr.version or not net.subnet_of(cidr) or net.prefixlen <= cidr.prefixlen:
            r.error(path + ("except", i), f"except CIDR {e} is not a strict subset of CIDR {block['cidr']}")
            return None
        excepts.append(net)
    return IPBlockPeer(cidr, tuple(excepts))


def port_number_or_name(r: ObjectReader, value: Any, path: tuple) -> int | str | None:
    """A destination port: a number 1–65535 or an IANA service name (container port name)."""
    if isinstance(value, bool):
        r.error(path, f"port {value!r} must be a number or a port name")
        return None
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            r.error(path, f"port {value} is out of range [1, 65535]")
            return None
        return value
    if isinstance(value, str):
        if value.isdigit():
            return port_number_or_name(r, int(value), path)
        if len(value) > 15 or not _SVC_NAME.match(value) or not re.search("[a-z]", value) or "--" in value:
            r.error(path, f"port name {value!r} is not a valid port name (lowercase letters, digits, '-'; at most 15)")
            return None
        return value
    r.error(path, f"port {value!r} must be a number or a port name")
    return None


def parse_k8s_port(r: ObjectReader, entry: Any, path: tuple, protocols: tuple[str, ...],
                   extra: tuple[str, ...] = ()) -> dict | None:
    """``{protocol, port, endPort}`` (NetworkPolicyPort); returns the checked values.

    ``extra`` names additional keys the caller reads itself (Antrea's source ports).
    """
    if not isinstance(entry, dict):
        r.error(path, "a port entry must be a mapping")
        return None
    r.known(entry, path, ("protocol", "port", "endPort", *extra))
    protocol = entry.get("protocol") or "TCP"
    if protocol not in protocols:
        r.error(path + ("protocol",), f"protocol {protocol!r} is not one of {', '.join(protocols)}")
        return None
    port = None
    if entry.get("port") is not None:
        port = port_number_or_name(r, entry["port"], path + ("port",))
        if port is None:
            return None
    end = entry.get("endPort")
    if end is not None:
        if port is None:
            r.error(path + ("endPort",), "if `endPort` is specified `port` must be specified")
            return None
        if isinstance(port, str):
            r.error(path + ("endPort",), "if `port` is a string `endPort` cannot be specified")
            return None
        if isinstance(end, bool) or not isinstance(end, int) or not 1 <= end <= 65535:
            r.error(path + ("endPort",), f"endPort {end!r} must be a number in [1, 65535]")
            return None
        if end < port:
            r.error(path + ("endPort",), "`endPort` should be greater than or equal to `port`")
            return None
    return {"protocol": protocol, "port": port, "end_port": end}


def port_match(values: dict, **extra) -> PortMatch:
    port = values["port"]
    if isinstance(port, str):
        return PortMatch(values["protocol"], named=port, **extra)
    return PortMatch(values["protocol"], port=port, end_port=values["end_port"], **extra)
