"""kubeconfig files for the test API server (a module of its own: ``conftest`` is not importable
by name once several test folders have one)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pki import Pki


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
