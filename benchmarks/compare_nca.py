#!/usr/bin/env python3
"""tierwall vs IBM network-config-analyzer (NCA) on the same NetworkPolicy-only clusters.

    python benchmarks/compare_nca.py --sizes 100,200,400,800,1600 --timeout 300
    python benchmarks/compare_nca.py --shape varied --sizes 1000,3000 --timeout 900

For each size, ``generate.py`` makes a cluster (seeded; the varied shape without Deployments,
since the tools name synthesized pods differently); both tools compute the full pod-to-pod
connectivity in their own process (wall time and peak RSS of that process are measured with
wait4; tierwall's figure is the median of ``--repeat`` runs, since a sub-second process moves
with the machine's noise by a tenth; NCA runs once); tierwall writes its class-level JSON
(``--by class``), NCA its per-pod report. The results are compared pair by pair on every port class tierwall found (each class is one
representative port, so agreement there is agreement on the whole class). NCA is installed
from PyPI into ``benchmarks/.nca-venv`` on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bytecode import compile_tierwall  # noqa: E402
sys.path.insert(0, str(HERE.parent / "src"))
from tierwall.render.matrix import allows_port, class_port  # noqa: E402  (the document's own reader)
NCA_VENV = HERE / ".nca-venv"
NCA = NCA_VENV / "bin" / "nca"


def ensure_nca() -> None:
    if NCA.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(NCA_VENV)], check=True)
    subprocess.run([str(NCA_VENV / "bin" / "pip"), "install", "-q", "network-config-analyzer"], check=True)


def run(args: list[str], timeout: float, stdout=subprocess.DEVNULL, cwd=None) -> tuple[float | None, float]:
    """(wall seconds or None on timeout, peak RSS MiB) of one child process. The child is reaped
    by a blocking wait4 (a polling loop would add up to its poll interval to every figure); a
    timer kills it at the timeout."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=stdout, stderr=subprocess.DEVNULL, cwd=cwd)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if wall >= timeout and proc.returncode < 0:
        return None, usage.ru_maxrss / 1024
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({proc.returncode})")
    return wall, usage.ru_maxrss / 1024


_CONN = re.compile(r"\{([^}]*)\}")


def nca_allows(conns: str):
    """A predicate (protocol, port) → bool for one NCA connection description."""
    if conns.strip() == "All connections":
        return lambda proto, port: True
    parts = []
    for body in _CONN.findall(conns):
        protos = re.search(r"protocols:([A-Z][A-Z, ]*?)(?:,dst_ports:|,src_ports:|,[a-z_]+:|$)", body)
        names = {p.strip() for p in protos.group(1).split(",")} if protos else set()
        ports = re.search(r"dst_ports:([0-9,\-]+)", body)
        ranges = []
        if ports:
            for item in ports.group(1).split(","):
                if item:
                    lo, _, hi = item.partition("-")
                    ranges.append((int(lo), int(hi or lo)))
        parts.append((names, ranges))

    def allows(proto, port):
        return any((not names or proto in names) and (not ranges or any(a <= port <= b for a, b in ranges))
                   for names, ranges in parts)
    return allows


def parse_nca(path: Path) -> dict[tuple[str, str], object]:
    """(source, destination) → a predicate (protocol, port) → allowed. NCA may write one pair on
    several lines (e.g. one per protocol when their port sets differ): a port is allowed if any
    of the pair's lines allows it."""
    return {pair: _any_of([nca_allows(c) for c in conns]) for pair, conns in _nca_pairs(path).items()}


def _any_of(preds: list):
    return preds[0] if len(preds) == 1 else (lambda proto, port: any(p(proto, port) for p in preds))


def _nca_pairs(path: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    """(source pod, destination pod) → the connection texts of its lines in NCA's report."""
    lines: dict[tuple[str, str], list[str]] = {}
    with open(path) as f:
        for line in f:
            if " => " not in line or " : " not in line:
                continue
            pair, _, conns = line.rstrip("\n").partition(" : ")
            src, _, dst = pair.partition(" => ")
            if "/" not in src or "/" not in dst or src[0].isdigit() or dst[0].isdigit():
                continue  # IP ranges: outside the pod-to-pod matrix
            lines.setdefault((src.strip(), dst.strip()), []).append(conns)
    return {pair: tuple(conns) for pair, conns in lines.items()}


def agreement(tw: dict, nca_path: Path, examples: int = 1000) -> tuple[int, list, int]:
    """(cells compared, up to ``examples`` disagreements as (source, destination, port class,
    tierwall allows, NCA allows), how many cells disagree) over every ordered pod pair × port
    class. Vectorised: one
    allowed-vector per distinct tierwall port set and per distinct NCA connection text, one
    table of their disagreements, then one lookup per pair (9 M pairs × 391 port classes at
    3,000 varied pods would be hours one cell at a time)."""
    import numpy as np

    pods = [e["name"] for e in tw["endpoints"]]
    index = {p: i for i, p in enumerate(pods)}
    klass = np.array([e["class"] for e in tw["endpoints"]], dtype=np.int64)
    labels = [(label, *class_port(tw, label)) for label in tw["ports"]]
    mine = np.array([[allows_port(s, proto, rep) for _, proto, rep in labels] for s in tw["portSets"]], bool)
    texts: dict[tuple[str, ...], int] = {(): 0}  # no line: nothing allowed
    ids = np.zeros((len(pods), len(pods)), np.int64)
    for (src, dst), conns in _nca_pairs(nca_path).items():
        if src in index and dst in index:
            ids[index[src], index[dst]] = texts.setdefault(conns, len(texts))
    theirs = np.zeros((len(texts), len(labels)), bool)
    for conns, t in texts.items():
        if conns:
            allows = _any_of([nca_allows(c) for c in conns])
            theirs[t] = [allows(proto, rep if rep is not None else 0) for _, proto, rep in labels]
    cells = np.array(tw["cells"], dtype=np.int64)[klass][:, klass]
    for e in tw["exceptions"]:
        cells[index[e["from"]], index[e["to"]]] = e["portSet"]
    wrong = (mine[:, None, :] != theirs[None, :, :]).sum(axis=2)  # (port sets, NCA texts)
    per_pair = wrong[cells, ids]
    np.fill_diagonal(per_pair, 0)
    found = []
    for i, j in zip(*np.nonzero(per_pair)):
        for k, (label, _, _) in enumerate(labels):
            if mine[cells[i, j], k] != theirs[ids[i, j], k] and len(found) < examples:
                found.append((pods[i], pods[j], label, bool(mine[cells[i, j], k]), bool(theirs[ids[i, j], k])))
    return len(pods) * (len(pods) - 1) * len(labels), found, int(per_pair.sum())


def compare(size: dict, timeout: float, shape: str = "classic", repeat: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(d), "--pods", str(size["pods"]),
                        "--namespaces", str(size["namespaces"]), "--policies", str(size["policies"]),
                        "--shape", shape, "--no-deployments"], check=True)
        tw_runs = []
        for _ in range(repeat):  # the median of a few runs: a sub-second run moves with the VM's noise
            with open(d / "tierwall.json", "w") as out:
                tw_runs.append(run([sys.executable, "-m", "tierwall", "matrix", "-f", str(d / "namespaces.yaml"),
                                    "-f", str(d / "pods.yaml"), "-f", str(d / "policies.yaml"), "-o", "json",
                                    "--by", "class", "--pods-only", "--cni", "generic"], timeout * 10, stdout=out))
        tw_time, tw_rss = sorted(tw_runs)[len(tw_runs) // 2]
        nca_time, nca_rss = run([str(NCA), "--connectivity", "policies.yaml", "--pod_list", "pods.yaml",
                                 "--ns_list", "namespaces.yaml", "--output_format", "txt_no_fw_rules",
                                 "--output_endpoints", "pods", "--file_out", "nca.txt"], timeout, cwd=d)
        row = {**size, "tierwall_s": tw_time, "tierwall_mib": tw_rss, "nca_s": nca_time, "nca_mib": nca_rss,
               "tierwall_runs": [t for t, _ in tw_runs]}
        if nca_time is None:
            return row
        tw = json.loads((d / "tierwall.json").read_text())
        cells, disagreements, count = agreement(tw, d / "nca.txt")
        row.update(cells=cells, disagreements=count, examples=disagreements[:3],
                   reasons=explain(d, disagreements, tw) if disagreements else {})
        return row


def explain(d: Path, disagreements: list, doc: dict) -> dict[str, int]:
    """Why the tools disagree, per cell, from tierwall's own trace of that cell."""
    from tierwall.cluster import load_cluster
    from tierwall.engine import Request, endpoint_for_pod, trace
    from tierwall.model import IPBlockPeer

    cluster = load_cluster([str(d / "namespaces.yaml"), str(d / "pods.yaml"), str(d / "policies.yaml")], "generic")
    inv = cluster.inventory
    reasons: dict[str, int] = {}
    for src, dst, label, mine, theirs in disagreements:
        proto, _, port = label.partition("/")
        rep = next(int(c["ports"][0].split("-")[0]) for c in doc["portClasses"] if c["name"] == label) \
            if proto != "ICMP" else None
        req = Request(endpoint_for_pod(inv, inv.pod(src)), endpoint_for_pod(inv, inv.pod(dst)), None, proto, rep)
        decision = trace(cluster.compiled, req).paths[0].decision
        rule = decision.rule
        if mine and not theirs and rule is not None and rule.peers and \
                any(isinstance(p, IPBlockPeer) for p in rule.peers):
            why = ("ipBlock matched a pod address: tierwall matches ipBlocks against pod IPs as CNIs do and the "
                   "Kubernetes e2e test 'should allow egress access to server in CIDR block' requires; NCA "
                   "does not match ipBlocks against pods")
        else:
            why = f"unexplained: tierwall {'allows' if mine else 'denies'} ({decision.explanation})"
        reasons[why] = reasons.get(why, 0) + 1
    return reasons


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,200,400,800,1600",
                    help="pod counts; namespaces = pods/20, policies = pods/5")
    ap.add_argument("--timeout", type=float, default=300, help="seconds NCA may take per size")
    ap.add_argument("--shape", choices=["classic", "varied"], default="classic")
    ap.add_argument("--repeat", type=int, default=5,
                    help="tierwall runs per size; its median is reported (NCA runs once: minutes, not noise-bound)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ensure_nca()
    compile_tierwall()  # time it as installed (see bytecode.py)
    rows = []
    for pods in (int(s) for s in args.sizes.split(",")):
        per_policy = 4 if args.shape == "varied" else 5
        size = {"pods": pods, "namespaces": max(1, pods // 20), "policies": max(1, pods // per_policy)}
        row = compare(size, args.timeout, args.shape, args.repeat)
        rows.append(row)
        if not args.json:
            nca = f"{row['nca_s']:.2f}s {row['nca_mib']:.0f}MiB" if row["nca_s"] is not None else \
                f"timeout >{args.timeout:.0f}s"
            ratio = f"{row['nca_s'] / row['tierwall_s']:.0f}x" if row["nca_s"] else "-"
            agree = "-" if "cells" not in row else \
                f"{row['cells'] - row['disagreements']}/{row['cells']} cells agree"
            print(f"{pods:6d} pods {size['namespaces']:4d} ns {size['policies']:5d} policies | tierwall "
                  f"{row['tierwall_s']:.2f}s (median of {len(row['tierwall_runs'])}, {min(row['tierwall_runs']):.2f}-"
                  f"{max(row['tierwall_runs']):.2f}) {row['tierwall_mib']:.0f}MiB | nca {nca} | speed-up {ratio} | {agree}",
                  flush=True)
            reasons = row.get("reasons", {})
            if reasons and sum(reasons.values()) < row["disagreements"]:
                print(f"        (why, for the first {sum(reasons.values())} disagreeing cells)")
            for why, count in reasons.items():
                print(f"        {count} cells: {why}")
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
