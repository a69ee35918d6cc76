"""``fleet diff``: per cluster what a change to the fleet changes, against a Git revision."""

import json
import subprocess

import yaml

from click.testing import CliRunner

from fleetkit import acnp, case, connectivity_test, deny_tools, fleet_file, pod, service, small_cluster, write
from tierwall.cli.main import cli


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def _repo(tmp_path):
    dns = [pod("kube-system", "dns-0", f"10.9.0.{i}", {"k8s-app": "dns"}, node=None,
               ports=[("dns", 53, "UDP")]) for i in (5,)]
    for i, name in enumerate(("dev-1", "prod-1", "prod-2"), start=1):
        extra = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}]
        extra += [dict(d, spec=dict(d["spec"], nodeName=f"{name}-node")) for d in dns]
        extra.append(service("kube-system", "dns", {"k8s-app": "dns"}, [(53, 53, "UDP")], "10.96.0.10"))
        small_cluster(tmp_path / name, name, i, extra)
    write(tmp_path / "sets" / "p.yaml", deny_tools())
    write(tmp_path / "tests.yaml", connectivity_test("t", case("tools/box-0", "app/web-0", 80, "Drop")))
    path = fleet_file(tmp_path, [{"name": n, "labels": {"env": n.split("-")[0]}, "sources": [f"{n}/"]}
                                 for n in ("dev-1", "prod-1", "prod-2")],
                      [{"name": "prod", "clusterSelector": {"matchLabels": {"env": "prod"}},
                        "policySets": [{"name": "base", "path": "sets/"}], "tests": ["tests.yaml"]}])
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "base")
    return path


def test_a_baseline_change_is_reported_per_cluster_with_clusters_losing_dns(tmp_path):
    path = _repo(tmp_path)
    write(tmp_path / "sets" / "dns.yaml", acnp("no-dns", "securityops", applied=[{"namespaceSelector": {}}], egress=[
        {"name": "block", "action": "Drop", "to": [{"ipBlock": {"cidr": "10.9.0.0/16"}}],
         "ports": [{"protocol": "UDP", "port": 53}]}]))
    r = CliRunner().invoke(cli, ["fleet", "diff", str(path), "--before", "git:HEAD", "--after", ".", "-o", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    status = {c["cluster"]: (c["status"], c.get("losesDns")) for c in report["clusters"]}
    assert status == {"dev-1": ("unchanged", False), "prod-1": ("changed", True), "prod-2": ("changed", True)}
    change = next(c for c in report["clusters"] if c["cluster"] == "prod-1")["diff"]["changes"][0]
    assert change["change"] == "newly denied" and change["decidedAfter"]["policy"] == "ClusterNetworkPolicy/no-dns"
    text = CliRunner().invoke(cli, ["fleet", "diff", str(path), "--before", "git:HEAD", "--exit-code"])
    assert text.exit_code == 1
    assert "2 clusters change; 2 lose DNS; 1 unchanged" in text.stdout


def test_clusters_added_to_the_fleet_and_unknown_revisions(tmp_path):
    path = _repo(tmp_path)
    small_cluster(tmp_path / "prod-3", "prod-3", 7)
    fleet = yaml.safe_load(path.read_text())
    fleet["spec"]["clusters"].append({"name": "prod-3", "labels": {"env": "prod"}, "sources": ["prod-3/"]})
    write(path, fleet)
    r = CliRunner().invoke(cli, ["fleet", "diff", str(path), "--before", "git:HEAD", "-o", "json"])
    assert r.exit_code == 0, r.output
    assert {c["cluster"]: c["status"] for c in json.loads(r.stdout)["clusters"]}["prod-3"] == "added"
    r = CliRunner().invoke(cli, ["fleet", "diff", str(path), "--before", "git:no-such-rev"])
    assert r.exit_code == 2 and "no-such-rev" in r.stderr
