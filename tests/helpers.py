"""Builders for small clusters and one-line verdict checks, shared by the tests."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from tierwall.cluster import Cluster, load_cluster
from tierwall.engine import Request, trace
from tierwall.errors import Diagnostics
from tierwall.expect import endpoint_from_text, resolve_destinations, resolve_sources
from tierwall.inventory import Service

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def namespace(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"ns": name, **labels}}}


def pod(ns, name, ip, labels=None, node="node-1", ports=None, sa="default", host_network=False):
    container = {"name": "main", "image": "x"}
    if ports:
        container["ports"] = [{"name": n, "containerPort": p, "protocol": proto} for n, p, proto in ports]
    spec = {"containers": [container], "nodeName": node, "serviceAccountName": sa}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {"pod": name}},
            "spec": spec, "status": {"phase": "Running", "podIP": ip}}


def node(name, ip, **labels):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def service(ns, name, selector, ports, cluster_ip=None):
    spec = {"selector": selector, "ports": [{"port": p, "targetPort": t, "protocol": proto, "name": f"p{p}"}
                                             for p, t, proto in ports]}
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def world():
    """The Antrea e2e world: namespaces x, y, z; pods a, b, c in each, all serving serve-80/81."""
    objs = [node("node-0", "172.18.0.2", role="control-plane"), node("node-1", "172.18.0.3")]
    for i, ns in enumerate("xyz", start=1):
        objs.append(namespace(ns))
        for j, p in enumerate("abc", start=1):
            objs.append(pod(ns, p, f"10.10.1.{10 * i + j}", {"pod": p, "app": p},
                            ports=[("serve-80", 80, "TCP"), ("serve-81", 81, "TCP"), ("dns", 53, "UDP")]))
    return objs


def dump(objs) -> str:
    return yaml.safe_dump_all(objs, sort_keys=False)


def build(objs, cni=None, diags=None) -> Cluster:
    return load_cluster(["-"], cni, stdin=io.StringIO(dump(objs)), diags=diags)


def errors_of(objs, cni=None) -> list[str]:
    """The error messages loading ``objs`` gives (empty when it loads)."""
    diags = Diagnostics()
    try:
        build(objs, cni, diags)
    except Exception:  # InputError: the diagnostics are what we check
        pass
    return [f"{d.origin.field}: {d.message}" for d in diags.errors]


def warnings_of(objs, cni=None) -> list[str]:
    diags = Diagnostics()
    build(objs, cni, diags)
    return [f"{d.origin.field}: {d.message}" for d in diags.warnings]


def run_trace(cluster: Cluster, src: str, dst: str, port=80, protocol="TCP", **kw):
    source = resolve_sources(cluster.compiled, endpoint_from_text(src))[0]
    target = resolve_destinations(cluster.compiled, endpoint_from_text(dst))[0]
    svc = target if isinstance(target, Service) else None
    req = Request(source, None if svc else target, svc, protocol, None if protocol == "ICMP" else port,
                  kw.get("src_port"), kw.get("icmp_type"), kw.get("icmp_code"))
    return trace(cluster.compiled, req)


def verdict(cluster: Cluster, src: str, dst: str, port=80, protocol="TCP", **kw) -> str:
    return run_trace(cluster, src, dst, port, protocol, **kw).verdict.value
