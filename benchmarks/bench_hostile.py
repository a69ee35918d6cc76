#!/usr/bin/env python3
"""Hostile and huge inputs: what reading and linting them costs (wall time, peak memory).

    python benchmarks/bench_hostile.py                      # every case, default sizes
    python benchmarks/bench_hostile.py --list-pods 57600    # the size of a 200 MB kubectl dump

Cases (each runs in a fresh process, so its peak RSS is its own):

* ``alias-bomb``: a "billion laughs" (9 levels of 9 aliases, 3.5e9 strings when expanded) as a
  Namespace label value, through ``tierwall lint``: refused with file:line.
* ``lint-rules-N``: one NetworkPolicy with N ingress rules (each a podSelector and a port of its
  own) over 50 pods, through ``tierwall lint``.
* ``lint-errors-N``: the same policy with every rule's port out of range: N errors, each naming
  its field's line (the line lookup must stay linear in N).
* ``list-N``: a ``kubectl get pods -o yaml`` List of N pods, each with managedFields and the
  status noise kubectl prints (conditions, containerStatuses), read with ``load_paths``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return ("x-bomb:\n" + "".join(f"  {line}\n" for line in lines) +
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bomb\n  labels:\n    big: *a9\n")


def many_rules(n: int, bad_ports: bool = False) -> str:
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}]
    docs += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "x", "labels": {"app": f"a{i}"}},
              "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": f"10.0.0.{i + 1}"}} for i in range(50)]
    rules = [{"from": [{"podSelector": {"matchLabels": {"app": f"a{i % 50}"}}}],
              "ports": [{"port": (70000 if bad_ports else 1000) + i, "protocol": "TCP"}]} for i in range(n)]
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "big", "namespace": "x"}, "spec": {"podSelector": {}, "ingress": rules}})
    return yaml.safe_dump_all(docs, sort_keys=False)


def pod_list(n: int) -> str:
    """Written by hand (not yaml.dump): a 57,600-pod dump must not take minutes to produce."""
    out = ["apiVersion: v1\nkind: List\nitems:\n"]
    for i in range(n):
        out.append(f"""- apiVersion: v1
  kind: Pod
  metadata:
    name: pod-{i}
    namespace: ns-{i % 100}
    labels: {{app: app-{i % 300}, pod-template-hash: 5d{i:07d}}}
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata: {{f:labels: {{.: {{}}, f:app: {{}}, f:pod-template-hash: {{}}}}}}
        f:spec: {{f:containers: {{'k:{{"name":"c"}}': {{.: {{}}, f:image: {{}}, f:name: {{}}, f:ports: {{}}}}}}}}
      manager: kube-controller-manager
      operation: Update
      time: "2024-01-01T00:00:00Z"
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:status: {{f:conditions: {{'k:{{"type":"Ready"}}': {{.: {{}}, f:status: {{}}, f:type: {{}}}}}}, f:podIP: {{}}}}
      manager: kubelet
      operation: Update
      subresource: status
  spec:
    nodeName: node-{i % 50}
    containers:
    - name: c
      image: registry.example/app:1.0
      ports: [{{containerPort: 8080, name: http}}]
  status:
    phase: Running
    podIP: 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}
    conditions:
    - {{type: Initialized, status: "True", lastTransitionTime: "2024-01-01T00:00:00Z"}}
    - {{type: Ready, status: "True", lastTransitionTime: "2024-01-01T00:00:00Z"}}
    - {{type: ContainersReady, status: "True", lastTransitionTime: "2024-01-01T00:00:00Z"}}
    - {{type: PodScheduled, status: "True", lastTransitionTime: "2024-01-01T00:00:00Z"}}
    containerStatuses:
    - name: c
      ready: true
      restartCount: 0
      image: registry.example/app:1.0
      imageID: registry.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      containerID: containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      state: {{running: {{startedAt: "2024-01-01T00:00:00Z"}}}}
""")
    return "".join(out)


def run_case(case: str, path: str) -> None:
    """Inside the measuring child: do the work, print wall seconds, peak RSS MiB, outcome."""
    start = time.perf_counter()
    if case.startswith("list"):
        from tierwall.errors import Diagnostics
        from tierwall.load import load_paths
        diags = Diagnostics()
        raws = load_paths([path], diags)
        outcome = f"{len(raws)} objects, {len(diags.errors)} errors"
    else:
        r = subprocess.run([sys.executable, "-m", "tierwall.cli", "lint", "-f", path], capture_output=True, text=True)
        last = (r.stdout + r.stderr).strip().splitlines()
        outcome = f"exit {r.returncode}: " + (next((x for x in last if "alias" in x), last[-1] if last else ""))[:90]
        if case.startswith("lint-errors"):
            outcome += f"; last line named: {next((x for x in reversed(last) if 'TW111' in x), '')[:60]}"
    wall = time.perf_counter() - start
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"{wall:.1f}\t{peak / 1024:.0f}\t{outcome}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", default="1000,2000,10000", help="rule counts for the lint case")
    ap.add_argument("--list-pods", type=int, default=10_000)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_case(*args.child)
        return 0
    cases = [("alias-bomb", alias_bomb)] + [(f"lint-rules-{n}", lambda n=int(n): many_rules(n))
                                            for n in args.rules.split(",")]
    cases += [(f"lint-errors-{n}", lambda n=int(n): many_rules(n, bad_ports=True)) for n in args.rules.split(",")]
    cases.append((f"list-{args.list_pods}", lambda: pod_list(args.list_pods)))
    print(f"{'case':<18} {'input MB':>8} {'wall s':>7} {'peak MiB':>9}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in cases:
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(make())
            r = subprocess.run([sys.executable, __file__, "--child", name, str(path)], capture_output=True, text=True,
                               env={**os.environ})
            wall, peak, outcome = (r.stdout.strip().split("\t") + ["", "", r.stderr.strip()[-80:]])[:3]
            print(f"{name:<18} {path.stat().st_size / 1e6:>8.1f} {wall:>7} {peak:>9}  {outcome}", flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
