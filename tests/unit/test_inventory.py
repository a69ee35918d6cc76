"""Inventory: namespaces, pods, workloads → pods, addresses, Services and endpoints."""

from helpers import build, namespace, node, pod, service
from tierwall.engine import service_endpoints
from tierwall.errors import Diagnostics


def deployment(ns, name, replicas=2, labels=None, kind="Deployment", **spec_extra):
    tpl = {"metadata": {"labels": labels or {"app": name}},
           "spec": {"serviceAccountName": "sa-" + name,
                    "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]}}
    spec = {"replicas": replicas, "template": tpl, **spec_extra}
    if kind == "CronJob":
        spec = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": tpl}}}
    group = {"CronJob": "batch/v1", "Job": "batch/v1"}.get(kind, "apps/v1")
    return {"apiVersion": group, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


def test_namespace_name_label_is_implied():
    c = build([namespace("x")])
    assert c.inventory.namespaces["x"].labels == {"ns": "x", "kubernetes.io/metadata.name": "x"}


def test_undeclared_namespace_is_implied_with_warning():
    diags = Diagnostics()
    c = build([pod("ghost", "p", "10.0.0.5")], diags=diags)
    assert c.inventory.namespaces["ghost"].implied
    assert any("namespace 'ghost' is used but not declared" in d.message for d in diags.warnings)


def test_finished_pods_are_ignored():
    done = pod("x", "done", "10.0.0.9")
    done["status"]["phase"] = "Succeeded"
    c = build([namespace("x"), done, pod("x", "live", "10.0.0.8")])
    assert [p.key for p in c.inventory.pods] == ["x/live"]


def test_deployment_pods_are_synthesized_from_template_on_node_cidrs():
    n1 = node("n1", "172.18.0.3")
    n1["spec"] = {"podCIDR": "10.42.1.0/24"}
    c = build([n1, namespace("x"), deployment("x", "web", replicas=3)])
    pods = c.inventory.pods
    assert [p.name for p in pods] == ["web-0", "web-1", "web-2"]
    assert all(p.labels == {"app": "web"} and p.service_account == "sa-web" for p in pods)
    assert [p.ip for p in pods] == ["10.42.1.1", "10.42.1.2", "10.42.1.3"]
    assert pods[0].named_port("http", "TCP") == 8080
    assert c.inventory.workloads["x/web"] == pods


def test_synthesized_ips_skip_addresses_in_use_and_are_deterministic():
    objs = [namespace("x"), pod("x", "real", "10.244.0.1"), deployment("x", "api", replicas=1)]
    a, b = build(objs), build(list(reversed(objs)))
    assert a.inventory.pod("x/api-0").ip == b.inventory.pod("x/api-0").ip == "10.244.0.2"


def test_daemonset_runs_one_pod_per_matching_node():
    ds = deployment("kube-system", "agent", kind="DaemonSet")
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"role": "worker"}
    c = build([node("a", "172.18.0.2", role="worker"), node("b", "172.18.0.3", role="worker"),
               node("c", "172.18.0.4", role="control-plane"), namespace("kube-system"), ds])
    assert sorted(p.node for p in c.inventory.pods) == ["a", "b"]


def test_real_pods_win_over_synthesis_through_owner_chain():
    rs = deployment("x", "web-5d8f", kind="ReplicaSet")
    rs["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": "web"}]
    p = pod("x", "web-5d8f-abcde", "10.0.0.7", {"app": "web"})
    p["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-5d8f"}]
    c = build([namespace("x"), deployment("x", "web"), rs, p])
    assert [q.key for q in c.inventory.pods] == ["x/web-5d8f-abcde"]
    assert [q.key for q in c.inventory.workloads["x/web"]] == ["x/web-5d8f-abcde"]


def test_cronjob_and_job():
    c = build([namespace("x"), deployment("x", "nightly", kind="CronJob"),
               deployment("x", "once", kind="Job", parallelism=2)])
    assert sorted(p.name for p in c.inventory.pods) == ["nightly-0", "once-0", "once-1"]


def test_service_endpoints_from_selector_and_from_endpointslice():
    objs = [namespace("x"), pod("x", "a", "10.0.0.1", {"app": "a"}), pod("x", "b", "10.0.0.2", {"app": "a"}),
            service("x", "svc", {"app": "a"}, [(80, 8080, "TCP")])]
    c = build(objs)
    svc = c.inventory.service("x/svc")
    assert svc.ip_assigned and svc.cluster_ips[0].startswith("10.96.")
    assert [e.pod.name for e in service_endpoints(c.inventory, svc)] == ["a", "b"]
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "svc-1", "namespace": "x", "labels": {"kubernetes.io/service-name": "svc"}},
              "endpoints": [{"addresses": ["10.0.0.2"]}]}
    c = build(objs + [slice_])
    assert [e.pod.name for e in service_endpoints(c.inventory, c.inventory.service("x/svc"))] == ["b"]


def test_hostnetwork_pod_uses_node_address():
    c = build([node("node-1", "172.18.0.3"), namespace("x"),
               pod("x", "h", "172.18.0.3", host_network=True), pod("x", "p", "10.0.0.1")])
    assert c.inventory.pod_by_ip("172.18.0.3") is None
    assert c.inventory.node_by_ip("172.18.0.3").name == "node-1"
