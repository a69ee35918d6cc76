"""who-can and the tamper search read RBAC and admission objects live (k8s://) as from files."""

from __future__ import annotations

import json

from click.testing import CliRunner

from apiserver import Cluster, catalog_for
from recorded import EXAMPLES, example_cluster
from tierwall.cli.main import cli

BUNDLE = EXAMPLES / "rbac-tamper"


def _json(*args):
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _strip(doc):
    if isinstance(doc, dict):
        return {k: _strip(v) for k, v in doc.items() if k not in ("origin", "file", "line")}
    if isinstance(doc, list):
        return [_strip(v) for v in doc]
    return doc


def test_who_can_live_equals_files(serve):
    objects = example_cluster(BUNDLE)
    assert {o["kind"] for o in objects} >= {"ClusterRole", "RoleBinding", "ValidatingAdmissionPolicy"}
    serve(Cluster(objects, groups=catalog_for(objects)))
    live = _json("who-can", "-f", "k8s://test-ctx", "-o", "json")
    files = _json("who-can", "-f", str(BUNDLE), "-o", "json")
    assert _strip(live) == _strip(files)
    assert any(t["verbs"].get("create") for t in live["targets"] if t["resource"] == "networkpolicies.crd.antrea.io")
