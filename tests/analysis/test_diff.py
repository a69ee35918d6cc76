"""diff: changed pairs grouped, explained on both sides, from paths or git revisions."""

import json
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments"


def _after(tmp_path):
    after = tmp_path / "after"
    shutil.copytree(EXAMPLE, after)
    policies = after / "policies.yaml"
    text = policies.read_text().replace("ports: [{port: 5432}]", "ports: [{port: 5432}, {port: 22}]")
    text = text.replace("    ports: [{port: http}]\n", "    ports: [{port: 9999}]\n")  # dev api-from-web now 9999
    policies.write_text(text)
    return after


def test_diff_reports_both_directions_with_rules(tmp_path):
    after = _after(tmp_path)
    r = CliRunner().invoke(cli, ["diff", "--before", str(EXAMPLE), "--after", str(after), "-o", "json", "--exit-code"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    changes = {(c["from"], c["to"], c["port"]): c for c in doc["changes"]}
    ssh = changes[("prod/web-0", "prod/db-0", "TCP/22")]
    assert ssh["change"] == "newly allowed" and ssh["decidedAfter"]["policy"] == "NetworkPolicy/prod/db-from-web"
    http = changes[("dev/web-0", "dev/api-0", "TCP/8080")]
    assert http["change"] == "newly denied" and "isolated" in http["decidedAfter"]["explanation"]
    assert ("dev/web-0", "dev/api-0", "TCP/9999") in changes
    assert doc["summary"]["newlyAllowed"] >= 2 and doc["summary"]["newlyDenied"] == 1


def test_no_change_exits_0():
    r = CliRunner().invoke(cli, ["diff", "--before", str(EXAMPLE), "--after", str(EXAMPLE), "--exit-code"])
    assert r.exit_code == 0 and "no connectivity changes" in r.output


def test_git_revisions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "deploy")
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "v1")
    shutil.rmtree(repo / "deploy")
    shutil.copytree(_after(tmp_path), repo / "deploy")
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(cli, ["diff", "--before", "git:HEAD:deploy/", "--after", "deploy/", "-o", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert any(c["port"] == "TCP/22" for c in doc["changes"])
    assert any(c["decidedBefore"]["origin"] and c["decidedBefore"]["origin"].startswith("git:HEAD:deploy/")
               for c in doc["changes"])
    r = CliRunner().invoke(cli, ["diff", "--before", "git:nosuchrev:deploy/", "--after", "deploy/"])
    assert r.exit_code == 2 and "cannot read from git" in r.output


EGRESS_TO_PODS_ONLY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-in-cluster-only, namespace: test}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}}]
"""

NODE = """
apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {addresses: [{type: InternalIP, address: 192.168.10.11}]}
"""


def test_dropping_the_internet_and_the_nodes_is_a_change(tmp_path):
    """Regression (issue 13): an egress policy that drops every address outside the pod network
    printed 'no connectivity changes' and exited 0."""
    before = tmp_path / "before"
    shutil.copytree(EXAMPLE, before)
    (before / "node.yaml").write_text(NODE)
    after = tmp_path / "after"
    shutil.copytree(before, after)
    (after / "egress.yaml").write_text(EGRESS_TO_PODS_ONLY)
    r = CliRunner().invoke(cli, ["diff", "--before", str(before), "--after", str(after), "--by", "namespace",
                                 "-o", "json", "--exit-code"])
    assert r.exit_code == 1, r.output
    denied = {(c["from"], c["to"]) for c in json.loads(r.stdout)["changes"] if c["change"] == "newly denied"}
    assert ("test", "internet") in denied and ("test", "node/node-1") in denied
    assert not any(src != "test" for src, _ in denied)


def test_an_ipblock_boundary_is_its_own_destination(tmp_path):
    """A CIDR one side names cuts the address space for both sides: ext:CIDR rows appear in the diff."""
    after = tmp_path / "after"
    shutil.copytree(EXAMPLE, after)
    (after / "egress.yaml").write_text(EGRESS_TO_PODS_ONLY.replace(
        "  - to: [{namespaceSelector: {}}]", "  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [203.0.113.0/24]}}]"))
    r = CliRunner().invoke(cli, ["diff", "--before", str(EXAMPLE), "--after", str(after), "--by", "namespace",
                                 "-o", "json"])
    assert r.exit_code == 0, r.output
    denied = {(c["from"], c["to"]) for c in json.loads(r.stdout)["changes"] if c["change"] == "newly denied"}
    assert ("test", "ext:203.0.113.0/24") in denied and ("test", "internet") not in denied


def test_text_lists_every_port_class_of_one_change_on_one_line(tmp_path):
    after = tmp_path / "after"
    shutil.copytree(EXAMPLE, after)
    (after / "egress.yaml").write_text(EGRESS_TO_PODS_ONLY)
    r = CliRunner().invoke(cli, ["diff", "--before", str(EXAMPLE), "--after", str(after), "--by", "namespace",
                                 "--exit-code"], terminal_width=400)
    assert r.exit_code == 1
    line = next(x for x in r.stdout.splitlines() if "test → internet" in x)
    assert "ICMP" in line and "UDP/other" in line and "TCP/other" in line and "Allow → Drop" in line
