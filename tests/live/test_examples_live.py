"""Every example bundle, served as a cluster, gives the same answers live as from its files.

Only where an object came from differs (``examples/x/policies.yaml:39`` vs
``k8s://test-ctx/…``), so origins are compared by object and field, not by file and line.
"""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from apiserver import Cluster, catalog_for
from recorded import example_cluster, examples
from tierwall.cli.main import cli


def _run(*args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code in (0, 1), result.output
    return result


def _strip_locations(doc):
    if isinstance(doc, dict):
        return {k: _strip_locations(v) for k, v in doc.items()
                if not (k in ("file", "line") and ("kind" in doc or "field" in doc))}
    if isinstance(doc, list):
        return [_strip_locations(v) for v in doc]
    return doc


INVENTED = "invented address"


def _without_invented_notes(doc):
    """The bundles' pods have no status.podIP, so from files their addresses are invented and traces
    say so; a cluster's pods have real ones (the same addresses here), so live traces rightly don't."""
    for path in doc.get("paths", []):
        path["notes"] = [n for n in path.get("notes", []) if INVENTED not in n]
    return doc


def _without_search_details(doc):
    """A tamper search tries writes on the objects it is given: from files a pod is a workload's
    template (relabelled through the Deployment), live it is a Pod (relabelled itself). Whether
    a path exists, and its witness route, must agree; the candidate counts need not."""
    for outcome in (doc.get("tamper") or {}).get("outcomes", []):
        outcome.pop("tried", None)
        outcome.pop("guardBlocked", None)
    return doc


def _tests_file(bundle):
    return next(p for p in sorted(bundle.rglob("*.yaml")) if "ConnectivityTest" in p.read_text())


def _flows(tests_file):
    """Cases whose both ends are pods (``ns/name``): they can be traced as given."""
    doc = yaml.safe_load(tests_file.read_text())
    for case in doc["spec"]["cases"]:
        src, dst = case.get("from"), case.get("to")
        if isinstance(src, str) and isinstance(dst, str) and src.count("/") == 1 and dst.count("/") <= 2:
            yield src, dst, str(case.get("port", "")), case.get("protocol", "TCP")


@pytest.mark.parametrize("bundle", examples(), ids=lambda p: p.name)
def test_example_answers_are_the_same_live(bundle, serve):
    objects = example_cluster(bundle)
    serve(Cluster(objects, groups=catalog_for(objects)))
    tests = _tests_file(bundle)
    files = _run("check", "-f", str(bundle), "--tests", str(tests), "-o", "json")
    live = _run("check", "-f", "k8s://test-ctx", "--tests", str(tests), "-o", "json")
    assert files.exit_code == live.exit_code
    assert _without_search_details(_strip_locations(json.loads(live.stdout))) == \
        _without_search_details(_strip_locations(json.loads(files.stdout)))
    flows = list(_flows(tests))
    assert flows, f"{bundle.name}: no pod-to-pod case to trace"
    for src, dst, port, protocol in flows:
        args = ["--from", src, "--to", dst, "--protocol", protocol] + (["--port", port] if port else []) + ["-o", "json"]
        from_files = _without_invented_notes(json.loads(_run("trace", "-f", str(bundle), *args).stdout))
        from_live = json.loads(_run("trace", "-f", "k8s://test-ctx", *args).stdout)
        assert INVENTED not in json.dumps(from_live)
        assert _strip_locations(from_live) == _strip_locations(from_files), (src, dst, port)
        assert "k8s://test-ctx/" in json.dumps(from_live) or from_live["decidedBy"] is None
