"""Shared by the web UI tests: the hostile input bundle, in-process clients and their fixtures.

Fixtures live here, imported by the test modules that use them, not in a ``conftest.py``: a
second module named ``conftest`` would shadow the one other test folders import by name.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx's successor package
    from starlette.testclient import TestClient

from tierwall.web import Workspace, create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

HOSTILE = """\
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Pod
metadata: {name: "<script>alert(1)</script>", namespace: app, labels: {app: web}}
spec: {nodeName: n1}
status: {podIP: 10.244.1.5}
---
apiVersion: v1
kind: Pod
metadata: {name: "<script>", namespace: app, labels: {app: web}}
spec: {nodeName: n1}
status: {podIP: 10.244.1.7}
---
apiVersion: v1
kind: Pod
metadata: {name: stray, namespace: ghost}
spec: {nodeName: n1}
status: {podIP: 10.244.1.8}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: app, labels: {app: client}}
spec: {nodeName: n1}
status: {podIP: 10.244.1.6}
---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata:
  name: nsx-1234
  labels: {ccp-adapter.antrea.tanzu.vmware.com/managedBy: ccp-adapter}
  annotations: {ccp-adapter.antrea.tanzu.vmware.com/display-name: "<img src=x onerror=alert(2)>"}
spec:
  priority: 5
  tier: securityops
  appliedTo: [{podSelector: {matchLabels: {app: web}}}]
  ingress:
  - action: Drop
    name: "<b>bold</b>"
    from: [{podSelector: {}}]
"""
"""Input strings that would be markup if a page printed them raw (a pod name, an NSX display
name — free text — and a rule name, all accepted by the loader), and a pod in an undeclared
namespace (lint TW206)."""


def client_for(*paths, warm: bool = False, **kw) -> TestClient:
    """In-process client; ``warm=False``: views are built on request (deterministic pages)."""
    return TestClient(create_app(Workspace([str(p) for p in paths], **kw), warm=warm))


@pytest.fixture(scope="module")
def org():
    """The org-baseline example with its tests (module-scoped: loading is the slow part)."""
    base = EXAMPLES / "org-baseline"
    return client_for(base / "cluster", base / "policies", test_paths=[str(base / "tests")])


@pytest.fixture
def hostile(tmp_path):
    (tmp_path / "c.yaml").write_text(HOSTILE)
    return client_for(tmp_path / "c.yaml")
