#!/usr/bin/env python3
"""Time tierwall on a generated cluster: load+compile, full matrix, trace latency, ``check`` of
50 expectations after compile, peak memory.

    python benchmarks/bench_tierwall.py --pods 10000 --namespaces 500 --policies 2000
    python benchmarks/bench_tierwall.py --shape varied --pods 10000 --policies 2500 --commands

Each measurement runs in a fresh child process (so peak RSS is that run's own), on files
made by ``generate.py`` with the same seed; each command runs ``--repeat`` times, in turn with
the others, and the run of median wall time is reported with the range. Prints one table;
``--json`` for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import compile_tierwall
from cluster_args import add_cluster_arguments

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, random, resource, statistics, sys, time
t0 = time.perf_counter()
from tierwall.cluster import load_cluster
from tierwall.engine import Request, endpoint_for_pod, trace
from tierwall.engine.matrix import compute_matrix
cluster = load_cluster([sys.argv[1]], None)
cc = cluster.compiled
pods = [p for p in cluster.inventory.pods if p.ips]
for p in pods:  # compile: every pod's plans (what trace and matrix walk)
    cc.plan(p, __import__("tierwall.model", fromlist=["Direction"]).Direction.EGRESS)
t1 = time.perf_counter()
m = compute_matrix(cc, outside=True)
t2 = time.perf_counter()
rnd = random.Random(1)
lat = []
for _ in range(2000):
    a, b = rnd.choice(pods), rnd.choice(pods)
    req = Request(endpoint_for_pod(cluster.inventory, a), endpoint_for_pod(cluster.inventory, b), None, "TCP", 8080)
    s = time.perf_counter(); trace(cc, req); lat.append(time.perf_counter() - s)
from tierwall import api
cases = [{"name": f"case {k}", "from": rnd.choice(pods).key, "to": rnd.choice(pods).key,
          "port": rnd.choice([53, 80, 443, 8080]), "protocol": rnd.choice(["TCP", "UDP"]), "expect": "Allow"}
         for k in range(50)]
doc = {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "bench"},
       "spec": {"cases": cases}}
s = time.perf_counter(); report = api.check(cluster, test_objects=[doc]); t3 = time.perf_counter() - s
print(json.dumps({"load_compile_s": t1 - t0, "check_50_after_compile_s": t3, "matrix_s": t2 - t1, "classes": len(m.reps),
                  "port_classes": len(m.ports), "pods": len(pods), "verdict_rows": len(m.sets),
                  "endpoints": m.size,
                  "trace_median_ms": statistics.median(lat) * 1000,
                  "trace_p99_ms": sorted(lat)[int(len(lat) * 0.99)] * 1000,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_cli(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one command, measured
    on the child alone (CPU time is what a busy shared machine distorts least)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


COMMANDS = {"namespace json": ["--by", "namespace", "-o", "json"], "table": [],
            "namespace json no services": ["--by", "namespace", "-o", "json", "--no-services"],
            "class json": ["--by", "class", "-o", "json"], "pod json": ["--by", "pod", "-o", "json"],
            "csv": ["-o", "csv"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cluster_arguments(ap)
    ap.add_argument("--antrea", action="store_true")
    ap.add_argument("--calico-policies", type=int, default=0,
                    help="add that many Calico policies with EntityRule / L4 conditions (generate.py)")
    ap.add_argument("--shape", choices=["classic", "varied"], default="classic")
    ap.add_argument("--commands", default="namespace json",
                    help=f"comma-separated matrix commands to time, of: {', '.join(COMMANDS)}")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each command (in turn); the run of median wall time is reported")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    compile_tierwall()  # time it as installed (see bytecode.py)
    with tempfile.TemporaryDirectory() as tmp:
        gen = [sys.executable, str(HERE / "generate.py"), tmp, "--pods", str(args.pods), "--namespaces",
               str(args.namespaces), "--policies", str(args.policies), "--seed", str(args.seed),
               "--shape", args.shape]
        gen += ["--calico-policies", str(args.calico_policies)] if args.calico_policies else []
        subprocess.run(gen + (["--antrea"] if args.antrea else []), check=True)
        inner = json.loads(subprocess.run([sys.executable, "-c", CHILD, tmp], check=True, capture_output=True,
                                          text=True).stdout)
        result = {"size": f"{args.shape}: {args.pods} pods / {args.policies} policies", **inner}
        names = args.commands.split(",")
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
        for _ in range(args.repeat):  # in turn, so a slow stretch of the VM hits every command alike
            for name in names:
                runs[name].append(measure_cli([sys.executable, "-m", "tierwall", "matrix", "-f", tmp,
                                               *COMMANDS[name]]))
        for name in names:
            walls = sorted(r[0] for r in runs[name])
            wall, cpu, rss = sorted(runs[name])[len(walls) // 2]  # the run of median wall time
            result[f"{name}: wall_s"], result[f"{name}: cpu_s"], result[f"{name}: peak_mib"] = wall, cpu, rss
            if len(walls) > 1:
                result[f"{name}: wall range"] = f"{walls[0]:.2f}-{walls[-1]:.2f} ({len(walls)} runs)"
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:28} {value:.3f}" if isinstance(value, float) else f"{key:28} {value}")


if __name__ == "__main__":
    main()
