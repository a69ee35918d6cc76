#!/usr/bin/env python3
"""``tierwall fleet check`` at fleet scale: N clusters of P pods, one baseline policy set, T tests
per group (two groups by label). Times the whole command (wall clock, as a user waits for it).

    python benchmarks/bench_fleet.py --clusters 200 --pods 500 --tests 20
    python benchmarks/bench_fleet.py --clusters 20 --keep /tmp/fleet-bench   # keep the files

Each cluster comes from ``generate.py`` (seed = its index: the same shape, different labels and
policies), so pod names are the same in every cluster and the tests apply everywhere; the
baseline is three Antrea ClusterNetworkPolicies (DNS, namespace isolation in securityops, an
egress guard in baseline), delivered with a name prefix and Flux ownership labels.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from generate import PORTS, generate  # noqa: E402

BASELINE = [
    {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "allow-dns"},
     "spec": {"tier": "securityops", "priority": 1, "appliedTo": [{"namespaceSelector": {}}],
              "egress": [{"action": "Allow", "ports": [{"protocol": "UDP", "port": 53}]}]}},
    {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "isolate-teams"},
     "spec": {"tier": "securityops", "priority": 5, "appliedTo": [{"namespaceSelector": {}}],
              "ingress": [{"name": "same-namespace", "action": "Pass", "from": [{"namespaces": {"match": "Self"}}]},
                          {"name": "platform-scrapes", "action": "Allow",
                           "from": [{"namespaceSelector": {"matchLabels": {"team": "platform"}}}],
                           "ports": [{"protocol": "TCP", "port": 9090}]},
                          {"name": "others", "action": "Drop", "from": [{"namespaceSelector": {}}]}]}},
    {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "egress-guard"},
     "spec": {"tier": "baseline", "priority": 10, "appliedTo": [{"namespaceSelector": {}}],
              "egress": [{"action": "Drop", "to": [{"ipBlock": {"cidr": "172.16.0.0/12"}}]}]}},
]


def write_fleet(root: Path, clusters: int, pods: int, tests: int) -> Path:
    namespaces = max(1, pods // 20)
    names = None
    for i in range(clusters):
        nss, pod_objs, pols = generate(pods, namespaces, pods // 5, seed=i + 1)
        folder = root / "clusters" / f"c{i:03d}"
        folder.mkdir(parents=True)
        for name, objs in (("namespaces.yaml", nss), ("pods.yaml", pod_objs), ("policies.yaml", pols)):
            (folder / name).write_text(yaml.dump_all(objs, Dumper=yaml.CSafeDumper, sort_keys=False))
        if names is None:
            names = [(p["metadata"]["namespace"], p["metadata"]["name"], p["metadata"]["labels"]["tier"])
                     for p in pod_objs]
    (root / "baseline").mkdir()
    (root / "baseline" / "policies.yaml").write_text(yaml.safe_dump_all(BASELINE, sort_keys=False))
    for group in ("dev", "prod"):
        cases = []
        for k in range(tests):
            src = names[(7 * k + (group == "prod")) % len(names)]
            dst = names[(13 * k + 5) % len(names)]
            cases.append({"name": f"{group} case {k}", "from": f"{src[0]}/{src[1]}", "to": f"{dst[0]}/{dst[1]}",
                          "port": PORTS[dst[2]], "expect": "Drop" if src[0] != dst[0] else "Allow"})
        (root / f"tests-{group}.yaml").write_text(yaml.safe_dump(
            {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": group},
             "spec": {"cases": cases}}, sort_keys=False))
    fleet = {"apiVersion": "tierwall.dev/v1alpha1", "kind": "Fleet", "metadata": {"name": "bench"},
             "spec": {"clusters": [{"name": f"c{i:03d}", "labels": {"env": "prod" if i % 2 else "dev"},
                                    "sources": [f"clusters/c{i:03d}/"]} for i in range(clusters)],
                      "groups": [{"name": g, "clusterSelector": {"matchLabels": {"env": g}},
                                  "policySets": [{"name": "baseline", "path": "baseline/", "prune": True,
                                                  "namePrefix": "org-"}],
                                  "tests": [f"tests-{g}.yaml"]} for g in ("dev", "prod")]}}
    path = root / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet, sort_keys=False))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clusters", type=int, default=200)
    ap.add_argument("--pods", type=int, default=500)
    ap.add_argument("--tests", type=int, default=20)
    ap.add_argument("--executor", default="processes")
    ap.add_argument("--keep", metavar="DIR", help="write the fleet here and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tierwall-fleet-bench-"))
    try:
        t0 = time.perf_counter()
        if not (root / "fleet.yaml").exists():
            root.mkdir(parents=True, exist_ok=True)
            write_fleet(root, args.clusters, args.pods, args.tests)
        generated = time.perf_counter() - t0
        load = os.getloadavg()
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-m", "tierwall", "fleet", "check", str(root / "fleet.yaml"),
                               "-o", "json", "--executor", args.executor], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode not in (0, 1):
            sys.exit(f"fleet check failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        import json
        report = json.loads(done.stdout)
        s = report["summary"]
        print(f"generated in {generated:.1f} s")
        print(f"fleet check: {s['clusters']} clusters x {args.pods} pods, {s['cases']} cases "
              f"({s['failedCases']} failing, {s['errors']} clusters with errors): {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU (command and workers; executor {args.executor}); load average before: "
              f"{load[0]:.1f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
