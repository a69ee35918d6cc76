"""``tierwall snapshot``: the files it writes, and that they answer exactly as the cluster does."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from apiserver import Cluster, catalog_for
from recorded import example_cluster, examples, small_cluster
from tierwall.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def test_snapshot_writes_one_cleaned_file_per_kind(serve, tmp_path):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    r = _run("snapshot", "-f", "k8s://test-ctx", "--out", str(tmp_path / "snap"))
    assert r.exit_code == 0, r.output
    files = sorted(p.name for p in (tmp_path / "snap").iterdir())
    # every kind the server serves gets a file, an empty List when there are none (that is news too)
    assert files == [".tierwall-snapshot", "clustergroups.crd.antrea.io.yaml",
                     "clusternetworkpolicies.crd.antrea.io.yaml", "endpointslices.discovery.k8s.io.yaml",
                     "groups.crd.antrea.io.yaml", "namespaces.yaml", "networkpolicies.crd.antrea.io.yaml",
                     "networkpolicies.networking.k8s.io.yaml", "nodes.yaml", "pods.yaml", "serviceaccounts.yaml",
                     "services.yaml", "tiers.crd.antrea.io.yaml"]
    assert yaml.safe_load((tmp_path / "snap" / "nodes.yaml").read_text())["items"] == []
    pods = yaml.safe_load((tmp_path / "snap" / "pods.yaml").read_text())
    assert pods["kind"] == "List" and [p["metadata"]["name"] for p in pods["items"]] == ["probe-0", "db-0", "web-0"]
    text = (tmp_path / "snap" / "namespaces.yaml").read_text()
    assert "managedFields" not in text and "resourceVersion" not in text and "uid" not in text
    index = json.loads((tmp_path / "snap" / ".tierwall-snapshot").read_text())
    assert index["context"] == "test-ctx" and index["files"]["pods.yaml"]["count"] == 3
    assert "7 objects of 12 kinds" in r.output


def test_snapshot_answers_byte_for_byte_as_live(serve, tmp_path):
    """Every command's output (and its warnings) is the same from the snapshot as from the cluster:
    the objects, their order and their origins (the cluster addresses) are the same."""
    bundle = next(p for p in examples() if p.name == "org-baseline")
    objs = example_cluster(bundle)
    serve(Cluster(objs, groups=catalog_for(objs), forbidden=frozenset({"serviceaccounts"})))
    snap = str(tmp_path / "snap")
    assert _run("snapshot", "-f", "k8s://test-ctx", "--out", snap).exit_code == 0
    tests = str(bundle / "tests")
    commands = [
        ["check", "--tests", tests, "-o", "json"],
        ["check", "--tests", tests],
        ["trace", "--from", "dev-app/web-0", "--to", "kube-system/coredns-0", "--port", "53", "--protocol", "UDP",
         "-o", "json"],
        ["trace", "--from", "prod-app/api-0", "--to", "dev-app/web-1", "--port", "http"],
        ["matrix", "--by", "namespace", "-o", "json"],
        ["lint", "-o", "json"],
        ["get", "acnp", "-o", "wide"],
        ["get", "policies", "-o", "yaml"],
        ["explain", "pod", "dev-app/web-0"],
    ]
    for command in commands:
        live = _run(command[0], "-f", "k8s://test-ctx", *command[1:])
        offline = _run(command[0], "-f", snap, *command[1:])
        assert live.exit_code == offline.exit_code, (command, live.output)
        assert offline.stdout == live.stdout, command
        assert offline.stderr == live.stderr, command
        assert "k8s://test-ctx" in live.stdout + live.stderr, command  # cluster addresses, not snapshot files
    assert "cannot list serviceaccounts" in live.stderr  # the read's warning is repeated offline too


def test_snapshot_needs_a_live_source(tmp_path):
    r = _run("snapshot", "-f", str(tmp_path), "--out", str(tmp_path / "x"))
    assert r.exit_code == 2 and "give -f k8s://" in r.output


def test_snapshot_of_an_unreachable_cluster_is_exit_2_without_files(serve, tmp_path):
    server = serve(Cluster(small_cluster()))
    server.stop()
    r = _run("snapshot", "-f", "k8s://test-ctx", "--out", str(tmp_path / "snap"))
    assert r.exit_code == 2 and "cannot reach the API server" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "snap").exists()


def test_a_file_added_to_a_snapshot_directory_is_named_not_silently_read_or_dropped(serve, tmp_path):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    snap = tmp_path / "snap"
    assert _run("snapshot", "-f", "k8s://test-ctx", "--out", str(snap)).exit_code == 0
    (snap / "extra.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n")
    r = _run("get", "networkpolicies", "-A", "-f", str(snap))
    assert r.exit_code == 0 and "db-from-web" in r.stdout
    assert f"{snap / 'extra.yaml'}: warning: not part of the snapshot" in r.stderr
