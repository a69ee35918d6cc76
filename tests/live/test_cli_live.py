"""Commands on ``-f k8s://``: options as kubectl spells them, status shown, one-line failures."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from apiserver import Cluster, catalog_for
from recorded import small_cluster
from tierwall.cli.main import cli


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def test_get_acnp_shows_realized_status_and_nsx_display_name(serve):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    r = _run("get", "acnp", "-f", "k8s://test-ctx")
    assert r.exit_code == 0, r.output
    header, row = r.stdout.splitlines()[:2]
    cells = dict(zip([h.strip() for h in header.split("  ") if h.strip()], [c.strip() for c in row.split("  ")
                                                                              if c.strip()]))
    assert cells["CURRENT NODES"] == "1"  # status.currentNodesRealized, not a copy of DESIRED
    assert cells["DISPLAY NAME"] == "Deny other teams"
    doc = yaml.safe_load(_run("get", "acnp", "-f", "k8s://test-ctx", "-o", "yaml").stdout)
    assert doc["items"][0]["status"] == {"phase": "Realized", "observedGeneration": 1, "currentNodesRealized": 1,
                                         "desiredNodesRealized": 2}
    assert "PHASE" not in header  # kubectl's default columns have none
    wide = _run("get", "acnp", "-f", "k8s://test-ctx", "-o", "wide").stdout.splitlines()
    header, row = wide[:2]
    cells = dict(zip([h.strip() for h in header.split("  ") if h.strip()], [c.strip() for c in row.split("  ")
                                                                              if c.strip()]))
    assert cells["PHASE"] == "Realized" and cells["CURRENT NODES"] == "1"


def test_kubeconfig_and_context_options(serve, monkeypatch, tmp_path):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nothing-here"))
    r = _run("get", "networkpolicies", "-n", "shop", "-f", "k8s://", "--kubeconfig", str(server.kubeconfig),
             "--context", "test-ctx")
    assert r.exit_code == 0 and "db-from-web" in r.stdout, r.output
    r = _run("get", "networkpolicies", "-n", "shop", "-f", "k8s://", "--kubeconfig", str(server.kubeconfig),
             "--context", "staging")
    assert r.exit_code == 2 and "context 'staging' is not in" in r.output


def test_unreachable_cluster_is_exit_2_with_one_line_and_no_traceback(serve):
    server = serve(Cluster(small_cluster()))
    server.stop()
    r = _run("trace", "-f", "k8s://test-ctx", "--from", "shop/web-0", "--to", "shop/db-0", "--port", "8080")
    assert r.exit_code == 2 and "Traceback" not in r.output
    lines = r.stderr.splitlines()
    assert lines[0].startswith("k8s://test-ctx: error: cannot reach the API server https://127.0.0.1:")
    assert lines[1:] == ["1 error: input is not usable"]


def test_expired_token_is_exit_2_for_lint_too(serve):
    serve(Cluster(small_cluster(), expired_tokens=frozenset({"old"})), token="old")
    r = _run("lint", "-f", "k8s://test-ctx")
    assert r.exit_code == 2 and "401 Unauthorized" in r.output and "Traceback" not in r.output


def test_live_inventory_with_policies_from_files(serve, tmp_path):
    """The documented mix: the cluster's inventory and the policies of a branch."""
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    policy = tmp_path / "policies.yaml"
    policy.write_text(yaml.safe_dump({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                      "metadata": {"name": "lock-db", "namespace": "shop"},
                                      "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                                               "policyTypes": ["Ingress"]}}))
    args = ["--from", "shop/web-0", "--to", "shop/db-0", "--port", "8080"]
    live = _run("trace", "-f", "k8s://test-ctx", *args)
    mixed = _run("trace", "-f", "k8s://test-ctx?read=inventory", "-f", str(policy), *args)
    assert "Verdict  Allow" in live.stdout and "db-from-web" in live.stdout
    assert "Verdict  Drop" in mixed.stdout and "lock-db" in mixed.stdout and "db-from-web" not in mixed.stdout
    twice = _run("trace", "-f", "k8s://test-ctx", "-f", "k8s://test-ctx", *args)
    assert twice.exit_code == 2 and "declared twice" in twice.output


def test_progress_counts_per_kind_on_a_terminal_only(serve):
    import os
    import pty
    import subprocess
    import sys
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "tierwall", "lint", "-f", "k8s://test-ctx"], stdout=subprocess.PIPE,
                          stderr=slave, env=os.environ.copy(), timeout=120)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    text = shown.decode()
    assert proc.returncode in (0, 1)
    assert "reading k8s://test-ctx:" in text and "pods 3" in text and "namespaces 2" in text
    piped = _run("lint", "-f", "k8s://test-ctx")
    assert "reading k8s://" not in piped.stderr
