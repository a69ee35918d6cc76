"""The lab never fails open: reloads under traffic let nothing blocked through, a lab killed half
way through ``up`` forwards nothing, a refused ruleset removes everything ``up`` made, two labs
never share names, one lab is changed by one process at a time, and ``probe`` reports the
kernel against both the engine and the test's expectation without asking for -f again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierwall.cli.main import cli
from tierwall.cluster import load_cluster
from tierwall.enforce.kernel import KernelError
from tierwall.enforce.lab import Lab, LabError
from tierwall.enforce.nft import Ruleset

NS_POD = """
apiVersion: v1
kind: Namespace
metadata: {{name: x}}
""" + "".join(f"""---
apiVersion: v1
kind: Pod
metadata: {{{{name: p{i}, namespace: x, labels: {{{{app: p{i}}}}}}}}}
spec: {{{{containers: [{{{{name: c, ports: [{{{{containerPort: 80}}}}, {{{{containerPort: 81}}}}]}}}}]}}}}
status: {{{{podIP: 10.77.0.{i + 1}}}}}
""" for i in range(6))

REJECT_81 = """---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {{name: no-81}}
spec:
  priority: 1
  appliedTo: [{{podSelector: {{matchLabels: {{app: p1}}}}}}]
  ingress:
  - {{action: Reject, ports: [{{protocol: TCP, port: 81}}], from: [{{namespaceSelector: {{}}}}]}}
  - {{action: Allow, ports: [{{protocol: TCP, port: {allowed}}}], from: [{{namespaceSelector: {{}}}}]}}
"""


def _cluster(tmp_path: Path, text: str, name: str = "c.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_cluster([str(path)]), path


def _netns() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_lab_names_never_collide():
    a, b = Lab("reltest-c26"), Lab("reltest-c622")
    assert not a.node_ns.startswith(b.prefix) and not b.node_ns.startswith(a.prefix)
    assert not Lab("a-p1").node_ns.startswith(Lab("a").prefix)
    for bad in ("a_b", "x/y", "", "-a", "a b", "a" * 65):
        with pytest.raises(LabError):
            Lab(bad)


def test_reload_under_traffic_lets_nothing_through(tmp_path):
    """Connects to a Rejected port run back to back while the ruleset is swapped again and again
    (each reload changes sets and chains): not one may connect."""
    variants = [_cluster(tmp_path, NS_POD.format() + REJECT_81.format(allowed=port), f"v{port}.yaml")[0]
                for port in (80, 82)]
    inv = variants[0].inventory
    lab = Lab("reload-leak")
    try:
        lab.up(variants[0])
        result: dict = {}
        loop = threading.Thread(target=lambda: result.update(lab.agent(inv.pod("x/p0"), {
            "op": "loop", "dst": "10.77.0.2", "port": 81, "seconds": 3})))
        loop.start()
        reloads = 0
        while loop.is_alive():
            lab.reload(variants[reloads % 2])
            reloads += 1
        loop.join()
    finally:
        lab.down()
    assert reloads >= 10, reloads
    assert result["Reject"] > 100, result  # the loop really ran during the reloads
    assert result["Allow"] == 0, f"{result['Allow']} connects leaked through {reloads} reloads: {result}"


def test_lab_killed_during_up_forwards_nothing(tmp_path):
    _, path = _cluster(tmp_path, NS_POD.format())  # no policy: the finished lab would forward everything
    name = "killed-up"
    lab = Lab(name)
    proc = subprocess.Popen([sys.executable, "-m", "tierwall.cli", "lab", "up", "-f", str(path), "--name", name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # two pods plumbed (their agents started), more to come
            try:
                if len(json.loads(lab.state_file.read_text())["pids"]) >= 2:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.01)
        else:
            pytest.fail("lab up never got to its second pod")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        ping = subprocess.run(["ip", "netns", "exec", f"{lab.prefix}p0", "ping", "-n", "-c", "1", "-W", "1",
                               "10.77.0.2"], capture_output=True, text=True)
        assert ping.returncode != 0, ping.stdout
        probe = CliRunner().invoke(cli, ["lab", "probe", "--name", name])
        assert probe.exit_code == 2 and "half built" in probe.stderr, probe.output
    finally:
        lab.down()
    assert lab.prefix not in _netns()


class _RefusedLab(Lab):
    """A lab whose ruleset nft refuses (the real nft, a ruleset it cannot parse)."""

    def compile(self, cluster):
        return Ruleset(self.table, f"table inet {self.table} {{\n  chain c {{ this is not nft; }}\n}}\n")


def test_a_refused_ruleset_removes_everything_up_made(tmp_path):
    cluster, _ = _cluster(tmp_path, NS_POD.format())
    lab = _RefusedLab("refused")
    with pytest.raises(KernelError, match="nft"):
        lab.up(cluster)
    assert lab.prefix not in _netns()
    assert not lab.dir.exists()
    leftover = subprocess.run(["pgrep", "-f", f"tierwall.enforce.agent {lab.dir}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_one_process_at_a_time_changes_a_lab(tmp_path):
    _, path = _cluster(tmp_path, NS_POD.format())
    lab = Lab("locked")
    with lab.lock():
        r = CliRunner().invoke(cli, ["lab", "up", "-f", str(path), "--name", "locked"])
    assert r.exit_code == 2 and "another tierwall process" in r.stderr, r.output
    assert lab.prefix not in _netns()


def test_probe_reports_engine_and_expectation_and_remembers_inputs(tmp_path):
    _, path = _cluster(tmp_path, NS_POD.format() + REJECT_81.format(allowed=80))
    tests = tmp_path / "tests.yaml"
    tests.write_text("""
apiVersion: tierwall.dev/v1alpha1
kind: ConnectivityTest
metadata: {name: t}
spec:
  cases:
  - {from: {pod: x/p0}, to: {pod: x/p1}, port: 80, expect: Allow}
  - {from: {pod: x/p0}, to: {pod: x/p1}, port: 81, expect: Allow}
""")
    runner = CliRunner()
    missing = runner.invoke(cli, ["lab", "probe", "--name", "nosuch", "--tests", str(tests)])
    assert missing.exit_code == 2 and "is not up" in missing.stderr, missing.output
    try:
        up = runner.invoke(cli, ["lab", "up", "-f", str(path), "--name", "remember"])
        assert up.exit_code == 0, up.output
        path.write_text("this file changed after lab up: {")  # probe must not read it again
        r = runner.invoke(cli, ["lab", "probe", "--name", "remember", "--tests", str(tests), "-o", "json"])
        assert r.exit_code == 1, r.output
        report = json.loads(r.stdout)
        assert report["disagreements"] == 0
        assert report["unmetExpectations"] == 1
        assert [(p["port"], p["kernel"], p["expect"], p["expectMet"]) for p in report["probes"]] == \
            [(80, "Allow", "Allow", True), (81, "Reject", "Allow", False)]
        text = runner.invoke(cli, ["lab", "probe", "--name", "remember", "--tests", str(tests)])
        assert "kernel vs engine: 2 agree, 0 disagree; kernel vs expect: 1 met, 1 not met" in text.stdout
        reloaded = runner.invoke(cli, ["lab", "reload", "--name", "remember"])
        assert reloaded.exit_code == 0, reloaded.output
    finally:
        runner.invoke(cli, ["lab", "down", "--name", "remember"])


def test_lab_up_refuses_a_partial_ruleset_unless_asked(tmp_path):
    _, path = _cluster(tmp_path, NS_POD.format() + """---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: fqdn}
spec:
  priority: 1
  appliedTo: [{namespaceSelector: {}}]
  egress:
  - {action: Drop, to: [{fqdn: "*.example.com"}]}
""")
    runner = CliRunner()
    r = runner.invoke(cli, ["lab", "up", "-f", str(path), "--name", "partial"])
    assert r.exit_code == 2, r.output
    assert r.stderr.count("an FQDN peer") == 1 and "--allow-partial" in r.stderr
    assert Lab("partial").prefix not in _netns()
    try:
        ok = runner.invoke(cli, ["lab", "up", "-f", str(path), "--name", "partial", "--allow-partial"])
        assert ok.exit_code == 0, ok.output
        rules = subprocess.run(["ip", "netns", "exec", Lab("partial").node_ns, "nft", "list", "table", "inet",
                                "tierwall"], capture_output=True, text=True).stdout
        assert rules.count("fail-closed") == 6  # one fail-closed drop per pod's egress chain
    finally:
        runner.invoke(cli, ["lab", "down", "--name", "partial"])
