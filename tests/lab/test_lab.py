"""The kernel agrees: shared acceptance cases and random tiered policies, on real packets in
network namespaces, through the nftables ruleset tierwall compiles. Needs root, nftables,
iproute2 and ping (``.ci/run`` installs them); a missing prerequisite fails, never skips."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from helpers import SHARED, build
from strategies import scenario
from tierwall.cluster import load_cluster
from tierwall.engine import Flow, endpoint_for_pod, trace_flow
from tierwall.enforce.lab import Lab, Probe

EXPECT = {"allow": "Allow", "drop": "Drop", "reject": "Reject", ".": "Allow", "X": "Drop", "R": "Reject"}


def _sctp() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
        return True
    except OSError:
        return False


HAS_SCTP = _sctp()


def test_prerequisites():
    assert os.geteuid() == 0, "the lab tests run as root"
    for tool in ("nft", "ip", "ping"):
        assert shutil.which(tool), f"{tool} is missing: install nftables, iproute2 and iputils-ping"


def _case2bundle():
    spec = importlib.util.spec_from_file_location("case2bundle", SHARED / "tools" / "case2bundle.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _pod_probes(case: dict) -> list[dict]:
    """The case's probes between two different pods (what the lab carries), SCTP where the kernel has it."""
    c2b = _case2bundle()
    pods = {f"{p['namespace']}/{p['name']}": p for p in case["cluster"].get("pods", [])}
    out = []
    for p in c2b.probes(case):
        if p["from"] in pods and p["to"] in pods and p["from"] != p["to"] \
                and not pods[p["from"]].get("hostNetwork") and not pods[p["to"]].get("hostNetwork"):
            if p.get("protocol", "TCP") == "SCTP" and not HAS_SCTP:
                continue
            out.append(p)
    return out


CASES = [p for p in sorted(p for suite in ("kubernetes", "antrea", "calico") for p in (SHARED / "acceptance" / suite).glob("*.yaml"))
         if "cluster" in (doc := yaml.safe_load(p.read_text())) and _pod_probes(doc)]
"""Cases with at least one pod-to-pod probe (the others probe only Services or external addresses)."""


@pytest.mark.parametrize("case_path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_kernel_matches_expected(case_path, tmp_path):
    case = yaml.safe_load(case_path.read_text())
    probes = _pod_probes(case)
    _case2bundle().main(case_path, tmp_path)
    cluster = load_cluster([str(tmp_path / "cluster.yaml"), str(tmp_path / "policies.yaml")], case["cni"])
    inv = cluster.inventory
    lab = Lab(f"acc-{case_path.stem}")
    try:
        lab.up(cluster)
        batch = [Probe(inv.pod(p["from"]), inv.pod(p["to"]), p.get("protocol", "TCP"), p.get("port"),
                       p.get("srcPort")) for p in probes]
        observed = lab.probe(batch, timeout=0.4)
    finally:
        lab.down()
    wrong = [f"{o.probe.src.key} -> {o.probe.dst.key} {o.probe.protocol}/{o.probe.port}: kernel {o.verdict}, "
             f"expected {EXPECT[str(p['expect'])]} ({'; '.join(o.rules)})"
             for o, p in zip(observed, probes) if o.verdict != EXPECT[str(p["expect"])]]
    assert not wrong, "\n".join(wrong)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scenario(cnis=("generic", "antrea", "calico")))
def test_kernel_matches_trace_on_random_policies(case):
    objs, cni = case
    cluster = build(objs, cni)
    inv = cluster.inventory
    pods = [p for p in inv.pods if p.ips]
    probes = [Probe(a, b, proto, port) for proto, port in (("TCP", 80), ("TCP", 8080), ("UDP", 53))
              for a in pods for b in pods if a is not b]
    lab = Lab("prop")
    try:
        lab.up(cluster)
        observed = lab.probe(probes, timeout=0.4)
    finally:
        lab.down()
    for o in observed:
        p = o.probe
        expected = trace_flow(cluster.compiled, Flow(endpoint_for_pod(inv, p.src), endpoint_for_pod(inv, p.dst),
                                                     p.protocol, p.port)).verdict.value
        assert o.verdict == expected, f"{p.src.key} -> {p.dst.key} {p.protocol}/{p.port}: kernel {o.verdict}, " \
                                      f"trace {expected}; kernel rules {o.rules}\n{objs}"


def test_down_removes_everything_and_reload_is_atomic(tmp_path):
    cluster = build([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
                     {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"},
                      "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running", "podIP": "10.9.0.1"}}])
    lab = Lab("atomic")
    try:
        lab.up(cluster)
        import subprocess
        bad = "table inet tierwall_x {\n chain c { this is not nft }\n}\n"
        r = subprocess.run(["ip", "netns", "exec", lab.node_ns, "nft", "-f", "-"], input=bad, text=True,
                           capture_output=True)
        assert r.returncode != 0
        listing = subprocess.run(["ip", "netns", "exec", lab.node_ns, "nft", "list", "tables"], capture_output=True,
                                 text=True).stdout
        assert lab.table in listing  # the failed load left the old ruleset in place
    finally:
        lab.down()
    import subprocess
    assert lab.prefix not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
