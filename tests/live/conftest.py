"""Fixtures for the live source: a test CA, a recorded cluster served over HTTPS, kubeconfigs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apiserver import ApiServer, Cluster
from pki import Pki, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def write_kubeconfig(path: Path, server: str, pki: Pki, auth: str = "token", token: str = "test-token",
                     context: str = "test-ctx") -> Path:
    """A kubeconfig with one context; ``auth`` is ``token`` or ``cert`` (client certificate)."""
    user = {"token": token} if auth == "token" else {
        "client-certificate-data": Pki.b64(pki.client_cert), "client-key-data": Pki.b64(pki.client_key)}
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": context,
           "clusters": [{"name": "test", "cluster": {"server": server,
                                                     "certificate-authority-data": Pki.b64(pki.ca_cert)}}],
           "users": [{"name": "alice", "user": user}],
           "contexts": [{"name": context, "context": {"cluster": "test", "user": "alice"}}]}
    path.write_text(yaml.safe_dump(doc))
    return path


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
