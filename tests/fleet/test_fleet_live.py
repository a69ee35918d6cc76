"""A fleet cluster whose source is a live cluster (``k8s://CONTEXT``, tierwall.live): the fleet
passes the source to the loader, so it is read, delivered to and checked like a folder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from fleetkit import case, connectivity_test, deny_tools, fleet_file, small_cluster, write
from tierwall.fleet import check_fleet

LIVE = Path(__file__).resolve().parents[1] / "live"
sys.path.insert(0, str(LIVE))
from apiserver import ApiServer, Cluster, catalog_for  # noqa: E402  (the live helper's test API server)
from pki import make_pki  # noqa: E402

_spec = importlib.util.spec_from_file_location("live_fixtures", LIVE / "conftest.py")
live_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(live_fixtures)


@pytest.fixture
def live_cluster(tmp_path, monkeypatch):
    """The objects of a small cluster, served over HTTPS as context ``test-ctx``."""
    import yaml
    folder = small_cluster(tmp_path / "objects", "live", 5)
    objects = list(yaml.safe_load_all((folder / "cluster.yaml").read_text()))
    pki = make_pki(tmp_path / "pki")
    server = ApiServer(Cluster(objects, groups=catalog_for(objects)), pki).__enter__()
    kubeconfig = live_fixtures.write_kubeconfig(tmp_path / "kubeconfig", server.url, pki)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    yield
    server.stop()


def test_a_k8s_source_is_checked_with_what_the_fleet_delivers(tmp_path, live_cluster):
    write(tmp_path / "sets" / "p.yaml", deny_tools())
    write(tmp_path / "tests.yaml", connectivity_test("t", case("tools/box-0", "app/web-0", 80, "Drop"),
                                                     case("app/web-1", "app/web-0", 80, "Allow")))
    path = fleet_file(tmp_path, [{"name": "live", "sources": ["k8s://test-ctx"]}],
                      [{"name": "all", "clusters": ["live"], "policySets": [{"name": "p", "path": "sets/"}],
                        "tests": ["tests.yaml"]}])
    report = check_fleet(str(path), "serial")
    [cluster] = report["clusters"]
    assert cluster["status"] == "passed", cluster["diagnostics"]
    assert cluster["delivery"]["created"] == ["ClusterNetworkPolicy/deny-tools"]
    assert [c["pairs"] for c in cluster["cases"]] == [1, 1]
