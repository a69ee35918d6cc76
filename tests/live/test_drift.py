"""``tierwall diff --before git:… --after k8s://…``: objects that drifted and the connectivity they change."""

from __future__ import annotations

import copy
import json
import subprocess

import yaml
from click.testing import CliRunner

from apiserver import Cluster, catalog_for
from recorded import netpol, small_cluster
from tierwall.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def _git_repo(tmp_path, objects):
    """A repository whose main branch holds ``objects`` (policies only, as deploy repos do)."""
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "policies.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    for cmd in (["init", "-q", "-b", "main"], ["add", "-A"],
                ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "policies"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True)
    return repo


def _policies(objs):
    return [copy.deepcopy(o) for o in objs if o["kind"] in ("NetworkPolicy", "ClusterNetworkPolicy")]


def test_git_vs_cluster_reports_missing_extra_changed_and_connectivity(serve, tmp_path, monkeypatch):
    cluster_objs = small_cluster()
    # by hand in the cluster: a policy Git does not have, and the NetworkPolicy's port changed
    cluster_objs.append(netpol("other", "hand-made", {"app": "probe"}, {"app": "nobody"}))
    live_np = next(o for o in cluster_objs if o["metadata"]["name"] == "db-from-web")
    live_np["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 9090}]
    serve(Cluster(cluster_objs, groups=catalog_for(cluster_objs)))
    git_objs = _policies(small_cluster())
    for o in git_objs:  # Git writes without defaults and without server fields
        o["metadata"].pop("generation", None)
        o.pop("status", None)
        if o["kind"] == "NetworkPolicy":
            del o["spec"]["policyTypes"]
            del o["spec"]["ingress"][0]["ports"][0]["protocol"]
    git_objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": "not-applied", "namespace": "shop"},
                     "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"]}})
    repo = _git_repo(tmp_path, git_objs)
    monkeypatch.chdir(repo)
    r = _run("diff", "--before", "git:main:deploy/", "--after", "k8s://test-ctx", "-o", "json", "--exit-code")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    drift = {(o["state"], o["kind"], o["name"]): o for o in doc["objectDrift"]["objects"]}
    assert set(drift) == {("missing", "NetworkPolicy", "not-applied"), ("extra", "NetworkPolicy", "hand-made"),
                          ("changed", "NetworkPolicy", "db-from-web")}
    changed = drift[("changed", "NetworkPolicy", "db-from-web")]
    # the defaults Git omitted (protocol, policyTypes) are not drift; the port is
    assert changed["fields"] == [{"field": "spec.ingress[0].ports[0].port", "before": 8080, "after": 9090}]
    assert changed["before"].startswith("git:main:deploy/policies.yaml:")
    assert changed["after"] == "k8s://test-ctx/namespaces/shop/networkpolicies.networking.k8s.io/db-from-web"
    assert drift[("missing", "NetworkPolicy", "not-applied")]["after"] is None
    # the connectivity each drift changes, on the cluster's pods: the changed port opens web→db 9090, the
    # missing egress lockdown leaves web's egress open, the hand-made policy isolates probe's ingress
    moves = {(c["from"], c["to"], c["port"], c["change"]) for c in doc["changes"]}
    assert ("shop/web-0", "shop/db-0", "TCP/9090", "newly allowed") in moves
    assert ("shop/web-0", "internet", "TCP/other", "newly allowed") in moves
    assert ("shop/db-0", "other/probe-0", "TCP/8080", "newly denied") in moves
    assert doc["summary"]["podsAdded"] == 0 and doc["summary"]["podsRemoved"] == 0
    text = _run("diff", "--before", "git:main:deploy/", "--after", "k8s://test-ctx")
    assert "Missing in the cluster" in text.stdout and "Only in the cluster (not in Git: applied by hand?)" in text.stdout
    assert "spec.ingress[0].ports[0].port: 8080 → 9090" in text.stdout
    assert "no Pods of its own" in text.stderr


def test_no_drift_is_exit_0(serve, tmp_path, monkeypatch):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    repo = _git_repo(tmp_path, _policies(objs))
    monkeypatch.chdir(repo)
    r = _run("diff", "--before", "git:main:deploy/", "--after", "k8s://test-ctx", "--exit-code")
    assert r.exit_code == 0, r.output
    assert "no object differs" in r.stdout and "no connectivity changes" in r.stdout


def test_file_diffs_do_not_list_objects_unless_asked(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(yaml.safe_dump_all(small_cluster()))
    b.write_text(yaml.safe_dump_all(small_cluster()[:-1]))
    plain = _run("diff", "--before", str(a), "--after", str(b))
    assert "Objects" not in plain.stdout
    asked = _run("diff", "--before", str(a), "--after", str(b), "--objects", "-o", "json")
    drift = json.loads(asked.stdout)["objectDrift"]
    assert [(o["state"], o["name"]) for o in drift["objects"]] == [("missing", "deny-other")]
