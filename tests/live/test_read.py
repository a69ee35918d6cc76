"""The live reader against the test API server: what it reads, how it names it, how it fails."""

from __future__ import annotations

import pytest

from apiserver import Cluster, catalog_for
from recorded import small_cluster
from tierwall.errors import Diagnostics
from tierwall.live import read_live
from tierwall.live import read as live_read


def _read(spec="k8s://test-ctx"):
    diags = Diagnostics()
    return read_live(spec, diags), diags


def test_reads_every_kind_with_cluster_origins_and_cleaned(serve):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    raws, diags = _read()
    assert not diags.errors, diags.items
    got = {(r.kind, r.namespace, r.name) for r in raws}
    assert got == {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objs}
    pod = next(r for r in raws if r.name == "web-0")
    # built-in list items come without kind/apiVersion; the reader restores them
    assert (pod.data["apiVersion"], pod.data["kind"]) == ("v1", "Pod")
    assert pod.origin.file == "k8s://test-ctx/namespaces/shop/pods/web-0"
    assert "uid" not in pod.data["metadata"] and "containerStatuses" not in pod.data["status"]
    assert pod.data["status"]["podIP"] == "10.0.0.10"
    assert pod.data["metadata"]["ownerReferences"][0]["name"] == "web-5d9"
    ns = next(r for r in raws if r.kind == "Namespace" and r.name == "shop")
    assert "managedFields" not in ns.data["metadata"] and ns.origin.file == "k8s://test-ctx/namespaces/shop"
    np = next(r for r in raws if r.kind == "NetworkPolicy")
    assert np.origin.file == "k8s://test-ctx/namespaces/shop/networkpolicies.networking.k8s.io/db-from-web"
    assert "annotations" not in np.data["metadata"]  # only last-applied was there
    acnp = next(r for r in raws if r.kind == "ClusterNetworkPolicy")
    assert acnp.data["status"]["currentNodesRealized"] == 1  # status survives
    assert acnp.data["metadata"]["annotations"]["ccp-adapter.antrea.tanzu.vmware.com/display-name"] == \
        "Deny other teams"


def test_current_context_when_none_named(serve):
    serve(Cluster(small_cluster(), groups=catalog_for(small_cluster())))
    raws, diags = _read("k8s://")
    assert not diags.errors and raws
    assert raws[0].origin.file.startswith("k8s://test-ctx/")


def test_pagination_follows_continue_tokens(serve, monkeypatch):
    objs = small_cluster() + [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p-{i:03d}", "namespace": "shop"},
         "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {"phase": "Running", "podIP": f"10.9.0.{i}"}}
        for i in range(1, 8)]
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    monkeypatch.setattr(live_read, "PAGE_SIZE", 3)
    raws, diags = _read()
    assert not diags.errors
    names = [r.name for r in raws if r.kind == "Pod"]
    assert names == sorted(names, key=lambda n: ("other" if n == "probe-0" else "shop", n))
    assert len(names) == 10
    pod_requests = [p for p in server.cluster.requests if p.startswith("/api/v1/pods")]
    assert len(pod_requests) == 4 and sum("continue=" in p for p in pod_requests) == 3


def test_expired_continue_token_restarts_the_list_once(serve, monkeypatch):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    monkeypatch.setattr(live_read, "PAGE_SIZE", 1)
    real_get = live_read.Connection.get

    def get(self, path, query=None):  # the store compacts once while the pods are paged
        if path == "/api/v1/pods" and any(k == "continue" for k, _ in query or []) and server.cluster.resource_version == 4711:
            server.cluster.resource_version = 4712
        return real_get(self, path, query)

    monkeypatch.setattr(live_read.Connection, "get", get)
    raws, diags = _read()
    assert not diags.errors, diags.items
    assert sum(r.kind == "Pod" for r in raws) == 3
    assert any("continue=" in p for p in server.cluster.requests)


def test_forbidden_kind_warns_in_can_i_words_and_the_rest_loads(serve):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs), forbidden=frozenset({"networkpolicies.networking.k8s.io"})))
    raws, diags = _read()
    assert not diags.errors
    assert [d.code for d in diags.warnings] == ["TW230"]
    message = diags.warnings[0].message
    assert "kubectl auth can-i list networkpolicies.networking.k8s.io -A" in message
    assert "NetworkPolicy (networking.k8s.io/v1) is missing" in message
    assert {r.kind for r in raws} == {"Namespace", "Pod", "ClusterNetworkPolicy"}


def test_absent_crd_groups_are_not_an_error(serve):
    objs = [o for o in small_cluster() if not o["apiVersion"].startswith("crd.antrea.io")]
    server = serve(Cluster(objs))  # built-in groups only: no Antrea, Calico or ANP CRDs
    raws, diags = _read()
    assert not diags.items
    assert len(raws) == len(objs)
    assert not any("/apis/crd.antrea.io" in p or "calico" in p for p in server.cluster.requests)


def test_namespace_restriction_reads_only_that_namespace_and_says_so(serve):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    raws, diags = _read("k8s://test-ctx?namespace=shop")
    assert {r.namespace for r in raws if r.kind not in ("ClusterNetworkPolicy", "Namespace")} == {"shop"}
    assert [r.name for r in raws if r.kind == "Namespace"] == ["shop"]
    assert [d.code for d in diags.items] == ["TW330"]
    assert "/api/v1/namespaces/shop/pods?limit=500" in server.cluster.requests


def test_read_inventory_only(serve):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    raws, _ = _read("k8s://test-ctx?read=inventory")
    assert {r.kind for r in raws} == {"Namespace", "Pod"}


def test_client_certificate_kubeconfig(serve):
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)), auth="cert")
    raws, diags = _read()
    assert not diags.errors and len(raws) == len(objs)


@pytest.mark.parametrize("case", ["expired", "unreachable", "no-context", "no-kubeconfig", "bad-address"])
def test_unusable_source_is_one_error(serve, case, monkeypatch, tmp_path):
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs), expired_tokens=frozenset({"old"})),
                   token="old" if case == "expired" else "test-token")
    spec = "k8s://test-ctx"
    if case == "unreachable":
        server.stop()
    elif case == "no-context":
        spec = "k8s://prod"
    elif case == "no-kubeconfig":
        monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope"))
    elif case == "bad-address":
        spec = "k8s://test-ctx?nmespace=x"
    raws, diags = _read(spec)
    assert raws == [] and len(diags.items) == 1 and diags.errors[0].code == "TW130"
    message = diags.errors[0].message
    expected = {"expired": "401 Unauthorized", "unreachable": "cannot reach the API server https://127.0.0.1:",
                "no-context": "context 'prod' is not in", "no-kubeconfig": "no kubeconfig at",
                "bad-address": "unknown parameter 'nmespace'"}[case]
    assert expected in message and "\n" not in message


def test_progress_shows_counts_while_a_long_list_pages(serve, monkeypatch):
    import io
    objs = small_cluster()
    serve(Cluster(objs, groups=catalog_for(objs)))
    monkeypatch.setattr(live_read, "PAGE_SIZE", 1)
    stream = io.StringIO()
    live_read.read_cluster("k8s://test-ctx", Diagnostics(), progress=live_read.Progress("test-ctx", stream))
    shown = stream.getvalue()
    assert "pods 1…" in shown and "pods 2…" in shown and shown.endswith("\n")
    final = shown.rstrip().split("\r")[-1]
    assert final.startswith("reading k8s://test-ctx: clustergroups.crd.antrea.io 0, clusternetworkpolicies.crd.antrea.io 1, ")
    assert "networkpolicies.networking.k8s.io 1" in final and "pods 3" in final


def test_live_objects_equal_the_same_objects_read_from_a_kubectl_dump(serve, tmp_path):
    """Cleaning drops what the file reader drops (and the server's bookkeeping): an object reads
    the same from the cluster as from ``kubectl get -o yaml`` output of it."""
    import yaml as _yaml
    from tierwall.load import load_paths
    objs = small_cluster()
    objs[-1]["status"]["conditions"] = [{"type": "Realizable", "status": "True"}]
    serve(Cluster(objs, groups=catalog_for(objs)))
    raws, _ = _read()
    dump = tmp_path / "dump.yaml"
    dump.write_text(_yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": objs}))
    from_file = {(r.kind, r.name): r.data for r in load_paths([str(dump)], Diagnostics())}
    for raw in raws:
        mine, theirs = raw.data, from_file[(raw.kind, raw.name)]
        assert "conditions" not in (mine.get("status") or {})
        for key in ("spec", "status"):
            assert mine.get(key) == theirs.get(key), (raw.kind, raw.name, key)
        assert mine["metadata"].get("labels") == theirs["metadata"].get("labels")


def test_merged_kubeconfig_paths_and_a_context_name_with_slashes(serve, pki, tmp_path, monkeypatch):
    """KUBECONFIG may list several files (kubectl merges them); EKS context names are ARNs with '/'."""
    from kubeconfigs import write_kubeconfig
    objs = small_cluster()
    server = serve(Cluster(objs, groups=catalog_for(objs)))
    arn = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
    other = write_kubeconfig(tmp_path / "eks", server.url, pki, context=arn)
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{server.kubeconfig}:{other}")
    raws, diags = _read(f"k8s://{arn}?namespace=shop")
    assert not diags.errors, diags.items
    pod = next(r for r in raws if r.name == "web-0")
    assert pod.origin.file == f"k8s://{arn}/namespaces/shop/pods/web-0"
    raws, diags = _read("k8s://test-ctx")  # the first file's context, from the same merged list
    assert not diags.errors and raws
