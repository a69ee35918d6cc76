#!/usr/bin/env python3
"""nftables back end: ruleset size, load time and per-packet latency as policies grow.

    sudo python benchmarks/bench_nft.py --policies 10,100,500,1000,2000

For each size: a cluster of one pod per namespace with a default-deny and an allow-from-team
NetworkPolicy in each (2 policies per namespace), plus a measured namespace whose client may
reach its server on TCP/8080. The ruleset is compiled for every pod; only the two measured pods
get network namespaces (the others' interfaces are just names in the dispatch maps), so the
latency of a connection between them is measured against the whole cluster's ruleset.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import yaml

from tierwall.cluster import load_cluster
from tierwall.enforce.kernel import load_ruleset
from tierwall.enforce.lab import Lab


def cluster_yaml(policies: int) -> str:
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench", "labels": {"team": "b"}}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "namespace": "bench",
                                                             "labels": {"app": "client"}},
             "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running", "podIP": "10.200.0.1"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "server", "namespace": "bench",
                                                             "labels": {"app": "server"}},
             "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
             "status": {"phase": "Running", "podIP": "10.200.0.2"}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "server", "namespace": "bench"},
             "spec": {"podSelector": {"matchLabels": {"app": "server"}},
                      "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                                   "ports": [{"port": 8080}]}]}}]
    for i in range(max(1, policies // 2)):
        ns = f"ns-{i:05d}"
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": f"t{i % 7}"}}})
        objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns, "labels": {"app": "x"}},
                     "spec": {"containers": [{"name": "c"}]},
                     "status": {"phase": "Running", "podIP": f"10.{100 + i // 60000}.{(i // 250) % 240}.{i % 250 + 1}"}})
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": "deny", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "team", "namespace": ns},
                     "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": f"t{i % 7}"}}}],
                                                              "ports": [{"port": 443}]}]}})
    return yaml.safe_dump_all(objs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", default="10,100,500,1000,2000")
    ap.add_argument("--connects", type=int, default=400)
    args = ap.parse_args()
    print(f"{'policies':>9} {'rules':>7} {'sets':>6} {'ruleset KiB':>11} {'load ms':>8} {'connect median µs':>18} "
          f"{'p99 µs':>8}")
    for n in (int(x) for x in args.policies.split(",")):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(cluster_yaml(n))
            f.flush()
            cluster = load_cluster([f.name])
        lab = Lab(f"nftbench{n}")
        try:
            ruleset = lab.up(cluster, only={"bench/client", "bench/server"})
            loads = []
            for _ in range(3):
                start = time.perf_counter()
                load_ruleset(ruleset, lab.node_ns)
                loads.append(time.perf_counter() - start)
            inv = cluster.inventory
            lab.agent(inv.pod("bench/server"), {"op": "listen", "proto": "tcp", "port": 8080})
            result = lab.agent(inv.pod("bench/client"), {"op": "bench", "dst": "10.200.0.2", "port": 8080,
                                                         "count": args.connects})
        finally:
            lab.down()
        print(f"{n:>9} {ruleset.rules:>7} {ruleset.sets:>6} {len(ruleset.text) / 1024:>11.0f} "
              f"{statistics.median(loads) * 1000:>8.0f} {result['median_us']:>18.0f} {result['p99_us']:>8.0f}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
