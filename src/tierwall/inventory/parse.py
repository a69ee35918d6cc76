"""Raw Namespace, Node, Pod, Service, Endpoints and EndpointSlice objects → inventory objects.

Only the fields that decide connectivity are read (labels, addresses, container ports,
service accounts, selectors, ports). Other fields of these kinds are not policy-relevant and
are not reported; an unknown *top-level* key is, since it usually means a broken manifest.
"""

from __future__ import annotations

import ipaddress

from ..addresses import parse_ip
from ..errors import Diagnostics
from ..load import ObjectReader, RawObject
from .objects import NAMESPACE_NAME_LABEL, ContainerPort, Namespace, Node, Pod, Service, ServicePort
from .validate import label_problem

PROTOCOLS = ("TCP", "UDP", "SCTP")
TOP_LEVEL = {"apiVersion", "kind", "metadata", "spec", "status"}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def labels_of(r: ObjectReader, md: dict | None, path: tuple) -> dict[str, str]:
    if md is not None and not isinstance(md, dict):
        r.error(path, "metadata must be a mapping")
        return {}
    labels = (md or {}).get("labels") or {}
    if not isinstance(labels, dict):
        r.error(path + ("labels",), "labels must be a mapping")
        return {}
    out = {}
    for k, v in labels.items():
        problem = label_problem(k, v)
        if problem:
            r.error(path + ("labels", str(k)), problem, "TW116")
            continue
        out[k] = "" if v is None else v
    return out


def parse_namespace(raw: RawObject, diags: Diagnostics) -> Namespace | None:
    r = ObjectReader(raw, diags)
    r.known(raw.data, (), TOP_LEVEL)
    if not raw.name:
        r.error(("metadata", "name"), "Namespace has no name")
        return None
    labels = labels_of(r, raw.metadata, ("metadata",))
    labels[NAMESPACE_NAME_LABEL] = raw.name  # set by the API server, immutable
    return Namespace(raw.name, labels, raw.origin)


def parse_node(raw: RawObject, diags: Diagnostics) -> Node | None:
    r = ObjectReader(raw, diags)
    r.known(raw.data, (), TOP_LEVEL)
    if not raw.name:
        r.error(("metadata", "name"), "Node has no name")
        return None
    status = r.mapping(raw.data, "status", ()) or {}
    addrs: list[tuple[int, str]] = []
    for a in r.sequence(status, "addresses", ("status",)) or []:
        if not isinstance(a, dict):
            continue
        addr = str(a.get("address") or "")
        try:
            parse_ip(addr)
        except ValueError:
            continue  # Hostname entries are not addresses a packet can carry
        rank = {"InternalIP": 0, "ExternalIP": 1}.get(a.get("type"), 2)
        addrs.append((rank, addr))
    spec = r.mapping(raw.data, "spec", ()) or {}
    cidrs = [c for c in _list(spec.get("podCIDRs")) if isinstance(c, str)]
    if isinstance(spec.get("podCIDR"), str) and spec["podCIDR"] not in cidrs:
        cidrs.insert(0, spec["podCIDR"])
    for c in cidrs:
        try:
            ipaddress.ip_network(c, strict=False)
        except ValueError:
            r.error(("spec", "podCIDR"), f"podCIDR {c!r} is not a CIDR")
    labels = labels_of(r, raw.metadata, ("metadata",))
    labels.setdefault("kubernetes.io/hostname", raw.name)
    return Node(raw.name, labels, tuple(a for _, a in sorted(addrs, key=lambda t: t[0])),
                tuple(cidrs), raw.origin)


def container_ports(r: ObjectReader, podspec: dict, path: tuple) -> tuple[ContainerPort, ...]:
    out: list[ContainerPort] = []
    for group in ("containers", "initContainers"):
        for ci, c in enumerate(r.sequence(podspec, group, path) or []):
            if not isinstance(c, dict):
                continue
            # init containers only serve while running as sidecars (restartPolicy: Always)
            if group == "initContainers" and c.get("restartPolicy") != "Always":
                continue
            for pi, p in enumerate(r.sequence(c, "ports", path + (group, ci)) or []):
                pp = path + (group, ci, "ports", pi)
                if not isinstance(p, dict):
                    r.error(pp, "a container port must be a mapping")
                    continue
                num = r.number(p, "containerPort", pp, 1, 65535, required=True)
                proto = r.string(p, "protocol", pp, choices=PROTOCOLS) or "TCP"
                if num is not None:
                    out.append(ContainerPort(str(p.get("name") or ""), int(num), proto))
    return tuple(out)


def pod_from_template(r: ObjectReader, namespace: str, name: str, meta: dict | None, spec: dict,
                      path: tuple, ips: tuple[str, ...] = (), origin=None, owner: str = "") -> Pod:
    """A Pod from a pod spec (a real Pod's, or a workload's ``spec.template``)."""
    return Pod(
        namespace=namespace, name=name,
        labels=labels_of(r, meta, path[:-1] + ("metadata",)),
        ips=ips, node=str(spec.get("nodeName") or ""),
        service_account=str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"),
        ports=container_ports(r, spec, path), host_network=bool(spec.get("hostNetwork")),
        origin=origin or r.raw.origin, synthesized_from=owner)


def parse_pod(raw: RawObject, diags: Diagnostics) -> Pod | None:
    r = ObjectReader(raw, diags)
    r.known(raw.data, (), TOP_LEVEL)
    if not raw.name:
        r.error(("metadata", "name"), "Pod has no name")
        return None
    status = r.mapping(raw.data, "status", ()) or {}
    phase = status.get("phase")
    if phase in ("Succeeded", "Failed"):
        diags.info(raw.origin, f"pod is {phase}: it holds no IP and takes no traffic; ignored", "TW301")
        return None
    ips: list[str] = []
    for entry in _list(status.get("podIPs")):
        ip = entry.get("ip") if isinstance(entry, dict) else None
        if ip and ip not in ips:
            ips.append(str(ip))
    if isinstance(status.get("podIP"), str) and status["podIP"] not in ips:
        ips.insert(0, str(status["podIP"]))
    for ip in ips:
        try:
            parse_ip(ip)
        except ValueError:
            r.error(("status", "podIP"), f"pod IP {ip!r} is not an IP address")
            return None
    spec = r.mapping(raw.data, "spec", (), required=True) or {}
    return pod_from_template(r, raw.namespace or "default", raw.name, raw.metadata, spec, ("spec",),
                             ips=tuple(ips))


def parse_service(raw: RawObject, diags: Diagnostics) -> Service | None:
    r = ObjectReader(raw, diags)
    r.known(raw.data, (), TOP_LEVEL)
    if not raw.name:
        r.error(("metadata", "name"), "Service has no name")
        return None
    spec = r.mapping(raw.data, "spec", ()) or {}
    stype = str(spec.get("type") or "ClusterIP")
    selector = spec.get("selector")
    if selector is not None and not isinstance(selector, dict):
        r.error(("spec", "selector"), "selector must be a mapping of labels")
        selector = None
    ports: list[ServicePort] = []
    for i, p in enumerate(r.sequence(spec, "ports", ("spec",)) or []):
        pp = ("spec", "ports", i)
        if not isinstance(p, dict):
            r.error(pp, "a service port must be a mapping")
            continue
        num = r.number(p, "port", pp, 1, 65535, required=True)
        proto = r.string(p, "protocol", pp, choices=PROTOCOLS) or "TCP"
        target = p.get("targetPort", num)
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        if isinstance(target, bool) or not isinstance(target, (int, str)) or \
                (isinstance(target, int) and not 1 <= target <= 65535):
            r.error(pp + ("targetPort",), f"targetPort {target!r} must be a port number or a container port name")
            continue
        if num is not None:
            ports.append(ServicePort(str(p.get("name") or ""), int(num), proto, target))
    ips = [str(ip) for ip in _list(spec.get("clusterIPs")) if ip and ip != "None"]
    cip = spec.get("clusterIP")
    if cip and not isinstance(cip, str):
        r.error(("spec", "clusterIP"), f"clusterIP {cip!r} must be a string")
        return None
    if cip and cip != "None" and str(cip) not in ips:
        ips.insert(0, str(cip))
    for ip in ips:
        try:
            parse_ip(ip)
        except ValueError:
            r.error(("spec", "clusterIP"), f"clusterIP {ip!r} is not an IP address")
            return None
    return Service(raw.namespace or "default", raw.name,
                   {str(k): str(v) for k, v in selector.items()} if selector else None,
                   tuple(ports), tuple(ips), stype, raw.origin,
                   declared_headless=cip == "None" or stype == "ExternalName")


def endpoint_addresses(raw: RawObject) -> tuple[str, str, list[str]]:
    """(namespace, service name, addresses) of an Endpoints or EndpointSlice object."""
    ns = raw.namespace or "default"
    addrs: list[str] = []
    if raw.kind == "Endpoints":
        for subset in _list(raw.data.get("subsets")):
            for a in _list(_dict(subset).get("addresses")):
                if isinstance(a, dict) and a.get("ip"):
                    addrs.append(str(a["ip"]))
        return ns, raw.name, addrs
    svc = _dict(raw.metadata.get("labels")).get("kubernetes.io/service-name", "")
    for ep in _list(raw.data.get("endpoints")):
        if not isinstance(ep, dict):
            continue
        if _dict(ep.get("conditions")).get("ready") is False:
            continue
        addrs.extend(str(a) for a in _list(ep.get("addresses")))
    return ns, str(svc), addrs
