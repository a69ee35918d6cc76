#!/usr/bin/env python3
"""Time reading a live cluster: 10,000 pods from the test API server, over TLS, paged.

    python benchmarks/bench_live.py --pods 10000 --namespaces 500 --policies 2000 [--runs 3] [--json]

The cluster is ``generate.py``'s (same seed), with each pod dressed as an API server sends it
(managedFields, conditions, container statuses: about 3 KB of JSON a pod), served by the test
suite's API server (``tests/live/apiserver.py``) on 127.0.0.1 with a CA made for the run and a
bearer-token kubeconfig, in a child process of its own. Measured: ``read`` — discovery and every paged list into raw objects
(what ``-f k8s://`` costs before analysis), the median of ``--runs`` in wall-clock time and in the reading process's CPU time (which a busy
machine inflates less); ``load`` — the whole
``load_cluster(["k8s://bench"])`` (read, inventory, dialects, compile) once. The kubernetes
client's import is done before timing (it is paid once per process).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "live"))

from apiserver import ApiServer, Cluster, catalog_for  # noqa: E402
from cluster_args import add_cluster_arguments  # noqa: E402
from kubeconfigs import write_kubeconfig  # noqa: E402
from generate import generate  # noqa: E402
from pki import make_pki  # noqa: E402


def dress(pod: dict, i: int) -> dict:
    """What the API server adds to a running pod (stripped again by the reader)."""
    md = pod["metadata"]
    md.update({"uid": f"0000-{i:08d}", "resourceVersion": str(100000 + i), "creationTimestamp": "2026-01-01T00:00:00Z",
               "generateName": md["name"].rsplit("-", 1)[0] + "-",
               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": md["labels"]["app"] + "-7d9",
                                    "uid": "rs", "controller": True, "blockOwnerDeletion": True}],
               "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                                  "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                                  "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in md["labels"]}},
                                               "f:spec": {"f:containers": {'k:{"name":"main"}': {
                                                   ".": {}, "f:image": {}, "f:ports": {}, "f:resources": {}}}}}},
                                 {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                                  "time": "2026-01-01T00:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                                  "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {},
                                                            "f:podIP": {}, "f:podIPs": {}, "f:startTime": {}}}}]})
    pod["spec"].update({"serviceAccountName": "default", "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                        "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
                        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                         "effect": "NoExecute", "tolerationSeconds": 300}]})
    pod["spec"]["containers"][0].update({"image": "registry.example/app:1.2.3", "imagePullPolicy": "IfNotPresent",
                                         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}})
    ip = pod["status"]["podIP"]
    pod["status"].update({"hostIP": "192.168.0.10", "podIPs": [{"ip": ip}], "qosClass": "Burstable",
                          "startTime": "2026-01-01T00:00:01Z",
                          "conditions": [{"type": t, "status": "True", "lastTransitionTime": "2026-01-01T00:00:04Z"}
                                         for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                          "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "started": True,
                                                 "image": "registry.example/app:1.2.3", "imageID": "sha256:" + "0" * 64,
                                                 "containerID": "containerd://" + "1" * 64,
                                                 "state": {"running": {"startedAt": "2026-01-01T00:00:03Z"}}}]})
    return pod


def _serve(objects, pki, urls, stop, mark) -> None:
    with ApiServer(Cluster(objects, groups=catalog_for(objects)), pki) as server:
        urls.put(server.url)
        mark.wait()  # the reads are done: report the CPU they cost the server
        urls.put(time.process_time())
        stop.wait()
        urls.put(sum(1 for p in server.cluster.requests if p.startswith("/api/v1/pods")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cluster_arguments(ap)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    nss, pods, policies = generate(args.pods, args.namespaces, args.policies, args.seed)
    objects = nss + [dress(p, i) for i, p in enumerate(pods)] + policies
    payload = len(json.dumps(pods)) / max(1, len(pods))
    workdir = Path(tempfile.mkdtemp(prefix="tierwall-bench-live-"))
    pki = make_pki(workdir / "pki")
    import kubernetes  # noqa: F401  (import once, outside the timings)
    from tierwall.cluster import load_cluster
    from tierwall.errors import Diagnostics
    from tierwall.live import read_live
    # the server runs in its own process, as a real API server would: the client is timed, not
    # the client and the server sharing one interpreter lock
    ctx = multiprocessing.get_context("fork")
    urls, stop, mark = ctx.Queue(), ctx.Event(), ctx.Event()
    child = ctx.Process(target=_serve, args=(objects, pki, urls, stop, mark), daemon=True)
    child.start()
    try:
        url = urls.get(timeout=60)
        os.environ["KUBECONFIG"] = str(write_kubeconfig(workdir / "kubeconfig", url, pki, context="bench"))
        reads, cpu = [], []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            raws = read_live("k8s://bench", Diagnostics())
            reads.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        mark.set()
        server_cpu = urls.get(timeout=60) / args.runs  # the server did little else than serve these reads
        t = time.perf_counter()
        cluster = load_cluster(["k8s://bench"])
        load_s = time.perf_counter() - t
    finally:
        stop.set()
    requests = urls.get(timeout=60)
    child.join(timeout=10)
    result = {"load_average": os.getloadavg()[0], "cpus": os.cpu_count(), "pods": len(pods),
              "objects_read": len(raws), "pod_json_bytes": round(payload),
              "pod_list_requests_per_read": requests // (args.runs + 1), "read_s_median": statistics.median(reads),
              "read_cpu_s_median": statistics.median(cpu), "server_cpu_s_per_read": server_cpu,
              "read_s_all": reads, "load_cluster_s": load_s, "pods_in_inventory": len(cluster.inventory.pods)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['pods']} pods (~{result['pod_json_bytes']} bytes of JSON each), {len(objects)} objects, "
          f"{result['pod_list_requests_per_read']} pod list pages per read")
    print(f"read (discovery + paged lists, TLS, token):  median {result['read_s_median']:.2f} s  "
          f"({', '.join(f'{r:.2f}' for r in reads)}); CPU time of the reading process: median "
          f"{result['read_cpu_s_median']:.2f} s; of the server process: {server_cpu:.2f} s a read")
    print(f"load_cluster(['k8s://bench']) (read + inventory + dialects + compile):  {load_s:.2f} s")
    print(f"(load average {result['load_average']:.1f} on {result['cpus']} CPUs during the run)")


if __name__ == "__main__":
    main()
