"""Recorded cluster states for the test API server: small hand-written ones, and the cluster an
example bundle describes (its objects, with the Pods its workloads would have become)."""

from __future__ import annotations

from pathlib import Path

from tierwall.cluster import load_cluster

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def ns(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels},
                         "uid": f"uid-{name}", "resourceVersion": "17", "creationTimestamp": "2026-01-01T00:00:00Z",
                         "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                                            "fieldsV1": {"f:metadata": {}}}]}}


def pod(namespace, name, ip, labels, node="node-1", owner=None):
    md = {"name": name, "namespace": namespace, "labels": labels, "uid": f"uid-{name}",
          "creationTimestamp": "2026-01-01T00:00:00Z"}
    if owner:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": "x",
                                  "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"nodeName": node, "serviceAccountName": "default",
                     "containers": [{"name": "main", "image": "nginx",
                                     "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": "192.168.0.10",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0}]}}


def netpol(namespace, name, selector, from_labels):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace, "generation": 3,
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": from_labels}}],
                                  "ports": [{"protocol": "TCP", "port": 8080}]}]}}


def acnp(name, priority, status=None, display=None):
    md = {"name": name}
    if display:
        md["annotations"] = {"ccp-adapter.antrea.tanzu.vmware.com/display-name": display}
        md["labels"] = {"ccp-adapter.antrea.tanzu.vmware.com/managedBy": "ccp-adapter"}
    obj = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": md,
           "spec": {"priority": priority, "tier": "securityops",
                    "appliedTo": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}],
                    "ingress": [{"action": "Drop", "name": "deny-other",
                                 "from": [{"namespaceSelector": {"matchLabels": {
                                     "kubernetes.io/metadata.name": "other"}}}]}]}}
    if status:
        obj["status"] = status
    return obj


def small_cluster() -> list[dict]:
    """Two namespaces, three pods, one NetworkPolicy, one Antrea ClusterNetworkPolicy with status."""
    return [
        ns("shop"), ns("other"),
        pod("shop", "web-0", "10.0.0.10", {"app": "web"}, owner="web-5d9"),
        pod("shop", "db-0", "10.0.0.11", {"app": "db"}),
        pod("other", "probe-0", "10.0.1.10", {"app": "probe"}, node="node-2"),
        netpol("shop", "db-from-web", {"app": "db"}, {"app": "web"}),
        acnp("deny-other", 5, {"phase": "Realized", "observedGeneration": 1, "currentNodesRealized": 1,
                               "desiredNodesRealized": 2}, display="Deny other teams"),
    ]


def example_cluster(bundle: Path) -> list[dict]:
    """What a cluster running ``bundle`` holds: its objects, minus workloads and tests, plus the
    pods its workloads would have become (as tierwall makes them: names, labels, IPs, nodes), and
    Services with the cluster IPs tierwall gave them."""
    cluster = load_cluster([str(bundle)])
    out = []
    raws = [r for d, rs in cluster.objects.by_dialect.items() if d != "tierwall" for r in rs]
    for raw in raws:
        if raw.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                        "ReplicationController", "Pod", "Service"):
            continue
        out.append(raw.data)
    for p in cluster.inventory.pods:
        out.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": p.name, "namespace": p.namespace, "labels": dict(p.labels)},
                    "spec": {"nodeName": p.node, "serviceAccountName": p.service_account,
                             "hostNetwork": p.host_network,
                             "containers": [{"name": "c", "image": "x", "ports": [
                                 {"name": c.name, "containerPort": c.port, "protocol": c.protocol} if c.name else
                                 {"containerPort": c.port, "protocol": c.protocol} for c in p.ports]}]},
                    "status": {"phase": "Running", "podIP": p.ip, "podIPs": [{"ip": ip} for ip in p.ips]}})
    for raw in raws:
        if raw.kind == "Service":
            svc = cluster.inventory.services.get(f"{raw.namespace or 'default'}/{raw.name}")
            data = {**raw.data, "spec": dict(raw.data.get("spec") or {})}
            data["metadata"] = {**raw.data["metadata"], "namespace": raw.namespace or "default"}
            if svc is not None and svc.cluster_ips and not data["spec"].get("clusterIP"):
                data["spec"]["clusterIP"] = svc.cluster_ips[0]
                data["spec"]["clusterIPs"] = list(svc.cluster_ips)
            out.append(data)
    for o in out:  # namespaced objects written without a namespace live in default
        if o["kind"] not in ("Namespace", "Node") and "namespace" not in o["metadata"] and not _cluster_scoped(o):
            o["metadata"] = {**o["metadata"], "namespace": "default"}
    return out


def _cluster_scoped(o: dict) -> bool:
    return o["kind"] in ("ClusterNetworkPolicy", "Tier", "ClusterGroup", "GlobalNetworkPolicy", "GlobalNetworkSet",
                         "AdminNetworkPolicy", "BaselineAdminNetworkPolicy")


def examples() -> list[Path]:
    """One-cluster example bundles (a fleet example is many clusters: tests/fleet covers it)."""
    return sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and not (p / "fleet.yaml").exists())
