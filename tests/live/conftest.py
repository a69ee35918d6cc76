"""Fixtures for the live source: a test CA, a recorded cluster served over HTTPS, kubeconfigs."""

from __future__ import annotations


import pytest

from apiserver import ApiServer, Cluster
from kubeconfigs import write_kubeconfig
from pki import Pki, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def serve(pki, tmp_path, monkeypatch):
    """``serve(cluster, auth=...)`` starts the server and points KUBECONFIG at it; returns the server."""
    servers = []

    def start(cluster: Cluster, auth: str = "token", token: str = "test-token") -> ApiServer:
        server = ApiServer(cluster, pki).__enter__()
        servers.append(server)
        kubeconfig = write_kubeconfig(tmp_path / f"kubeconfig-{len(servers)}", server.url, pki, auth, token)
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        server.kubeconfig = kubeconfig
        return server

    yield start
    for s in servers:
        s.stop()
