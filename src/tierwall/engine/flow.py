"""Endpoints and flows: what a packet's two ends are, after any Service translation.

A user names ends as pods, IPs or Services; this module turns them into concrete
:class:`Endpoint` values (a pod, a hostNetwork pod seen at its node's address, a node, or an
external address) and a Service destination into one :class:`Flow` per endpoint after DNAT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..addresses import parse_ip
from ..errors import UsageError
from ..inventory import Inventory, Node, Pod, Service, ServicePort
from ..model import L4_PROTOCOLS, PROTOCOLS

DEFAULT_ICMP = (8, 0)
"""ICMP type/code assumed when a flow does not say: an echo request, as ``ping`` sends."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of a flow.

    ``pod`` is set for pods (hostNetwork ones too); ``host`` when the address is a node's own
    address (a node, or a hostNetwork pod); ``node_name`` is where a pod runs.
    """

    ip: str
    pod: Pod | None = None
    host: Node | None = None
    node_name: str = ""

    @property
    def is_pod(self) -> bool:
        """A pod with its own network namespace: the only kind of endpoint policies apply to."""
        return self.pod is not None and not self.pod.host_network

    @property
    def kind(self) -> str:
        if self.is_pod:
            return "pod"
        if self.pod is not None:
            return "hostNetwork pod"
        if self.host is not None:
            return "node"
        return "external"

    @property
    def label(self) -> str:
        if self.pod is not None:
            return self.pod.key
        if self.host is not None:
            return f"node/{self.host.name}"
        return self.ip

    def to_dict(self) -> dict:
        out: dict = {"kind": self.kind, "ip": self.ip}
        if self.pod is not None:
            out["pod"] = self.pod.key
        if self.host is not None:
            out["node"] = self.host.name
        elif self.node_name:
            out["node"] = self.node_name
        return out

    def __str__(self) -> str:
        return self.label if self.label == self.ip else f"{self.label} ({self.ip})"


@dataclass(frozen=True, slots=True)
class Flow:
    """A new connection (replies are never evaluated: enforcement is stateful)."""

    src: Endpoint
    dst: Endpoint
    protocol: str
    port: int | None = None
    src_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    service: Service | None = None
    """The Service the client addressed (before DNAT), when it addressed one."""
    service_port: ServicePort | None = None

    @property
    def l4(self) -> str:
        if self.protocol == "ICMP":
            return f"ICMP type {self.icmp_type}/{self.icmp_code}"
        text = f"{self.protocol}/{self.port}"
        if self.src_port is not None:
            text += f" (source port {self.src_port})"
        return text

    def to_dict(self) -> dict:
        out: dict = {"from": self.src.to_dict(), "to": self.dst.to_dict(), **_l4_dict(self)}
        if self.service is not None:
            out["service"] = {"name": self.service.key, "ip": self.service.cluster_ips[0] if self.service.cluster_ips else None,
                              "port": self.service_port.port if self.service_port else None}
        return out


def _l4_dict(flow: "Flow | Request") -> dict:
    out: dict = {"protocol": flow.protocol}
    if flow.protocol == "ICMP":
        out["icmp"] = {"type": flow.icmp_type, "code": flow.icmp_code}
    else:
        out["port"] = flow.port
    if flow.src_port is not None:
        out["sourcePort"] = flow.src_port
    return out


def endpoint_for_pod(inv: Inventory, pod: Pod) -> Endpoint:
    node = inv.nodes.get(pod.node)
    if pod.host_network:
        ip = (node.addresses[0] if node and node.addresses else pod.ip)
        return Endpoint(ip, pod, node, pod.node)
    return Endpoint(pod.ip, pod, None, pod.node)


def endpoint_for_ip(inv: Inventory, ip: str) -> Endpoint:
    try:
        ip = str(parse_ip(ip))
    except ValueError:
        raise UsageError(f"{ip!r} is not an IP address") from None
    pod = inv.pod_by_ip(ip)
    if pod is not None:
        return endpoint_for_pod(inv, pod)
    node = inv.node_by_ip(ip)
    if node is not None:
        return Endpoint(ip, None, node, node.name)
    return Endpoint(ip)


@dataclass
class Request:
    """A flow as a user asked for it, before Service resolution."""

    src: Endpoint
    dst: Endpoint | None
    service: Service | None
    protocol: str
    port: int | str | None
    src_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out: dict = {"from": self.src.to_dict(),
                     "to": ({"kind": "service", "service": self.service.key,
                             "ip": self.service.cluster_ips[0] if self.service.cluster_ips else None}
                            if self.service is not None else self.dst.to_dict()),
                     **_l4_dict(self)}
        return out


PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")
"""A named port as Kubernetes validates it (IANA_SVC_NAME: at most 15 lower-case letters,
digits and inner single dashes, at least one letter)."""


def parse_port(value, what: str = "port") -> int | str | None:
    """A port as a user gave it (number, numeric text or a port name) → int or name.

    Raises :class:`UsageError` for a number outside 0-65535 or text that is no valid port name:
    ``-1`` is a bad number, not a port called "-1".
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise UsageError(f"{what} {value!r} is not a number or a port name")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            value = int(text)
        elif PORT_NAME.match(text) and "--" not in text:
            return text
        else:
            raise UsageError(f"{what} {value!r} is neither a number in 0-65535 nor a port name "
                             f"(lower-case letters, digits and '-', at most 15)")
    if not isinstance(value, int):
        raise UsageError(f"{what} {value!r} is not a number or a port name")
    if not 0 <= value <= 65535:
        raise UsageError(f"{what} {value} is outside 0-65535")
    return value


def check_protocol(protocol: str, port) -> str:
    proto = (protocol or "TCP").upper()
    if proto not in PROTOCOLS:
        raise UsageError(f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if proto in L4_PROTOCOLS and port is None:
        raise UsageError(f"a {proto} flow needs a port")
    if proto == "ICMP" and port is not None:
        raise UsageError("an ICMP flow has no port (use icmp type/code)")
    return proto


def resolve_flows(inv: Inventory, req: Request) -> tuple[list[Flow], list[str]]:
    """The concrete flows of a request: one per Service endpoint, or the one flow.

    Returns the flows and notes (e.g. endpoints skipped because a named targetPort is not
    declared on them). A Service with no endpoints yields no flow; the caller decides.
    """
    icmp_type, icmp_code = req.icmp_type, req.icmp_code
    if req.protocol == "ICMP":
        icmp_type = DEFAULT_ICMP[0] if icmp_type is None else icmp_type
        icmp_code = DEFAULT_ICMP[1] if icmp_code is None else icmp_code
    base = dict(protocol=req.protocol, src_port=req.src_port, icmp_type=icmp_type, icmp_code=icmp_code)
    if req.service is None:
        port = req.port
        if isinstance(port, str):
            port = _named_on(req.dst, port, req.protocol)
        return [Flow(req.src, req.dst, port=port, **base)], []
    svc = req.service
    notes: list[str] = []
    sport = None
    if req.protocol != "ICMP":
        sport = svc.port_for(req.port, req.protocol)
        if sport is None and not svc.headless:
            ports = ", ".join(f"{p.protocol}/{p.port}" for p in svc.ports) or "none"
            raise UsageError(f"Service {svc.key} has no port {req.protocol}/{req.port} (it has {ports})")
    flows = []
    for ep in service_endpoints(inv, svc):
        if sport is None:
            port = req.port if isinstance(req.port, int) or req.port is None else _named_on(ep, req.port, req.protocol)
        elif isinstance(sport.target_port, str):
            port = ep.pod.named_port(sport.target_port, req.protocol) if ep.pod else None
            if port is None:
                notes.append(f"endpoint {ep} declares no {req.protocol} port named {sport.target_port!r}; skipped")
                continue
        else:
            port = sport.target_port
        flows.append(Flow(req.src, ep, port=port, service=None if svc.headless else svc,
                          service_port=sport, **base))
    return flows, notes


def _named_on(ep: Endpoint, name: str, protocol: str) -> int:
    port = ep.pod.named_port(name, protocol) if ep.pod else None
    if port is None:
        raise UsageError(f"{ep} declares no {protocol} container port named {name!r}")
    return port


def service_endpoints(inv: Inventory, svc: Service, pods: list[Pod] | None = None) -> list[Endpoint]:
    """The Service's backends: from Endpoints/EndpointSlices when given, else its selector.
    ``pods``: the pods to look among, in inventory order (callers asking for many Services
    pass the Service's namespace's pods; default every pod)."""
    if svc.endpoint_ips is not None:
        return [endpoint_for_ip(inv, ip) for ip in svc.endpoint_ips]
    if not svc.selector:
        return []
    return [endpoint_for_pod(inv, p) for p in (inv.pods if pods is None else pods)
            if p.namespace == svc.namespace and p.ips
            and all(p.labels.get(k) == v for k, v in svc.selector.items())]
