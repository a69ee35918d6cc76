"""Regression: the answers do not depend on the order objects are read in.

A cluster lists objects sorted by name, files hold them in the author's order; an end-of-tier
drop used to be attributed to whichever selecting policy came first in the input."""

import json
from pathlib import Path

import yaml

from tierwall.cluster import load_cluster
from tierwall.engine import Request, trace
from tierwall.expect import endpoint_from_text, resolve_destinations, resolve_sources

BUNDLE = Path(__file__).resolve().parents[2] / "examples" / "calico-rancher-lockdown"


def _trace(paths, src, dst, port):
    cluster = load_cluster([str(p) for p in paths])
    s = resolve_sources(cluster.compiled, endpoint_from_text(src))[0]
    d = resolve_destinations(cluster.compiled, endpoint_from_text(dst))[0]
    result = trace(cluster.compiled, Request(s, d, None, "TCP", port, None, None, None)).to_dict()
    return result


def test_end_of_tier_attribution_ignores_input_order(tmp_path):
    docs = [d for d in yaml.safe_load_all((BUNDLE / "policies.yaml").read_text()) if d]
    reversed_file = tmp_path / "policies.yaml"
    reversed_file.write_text(yaml.safe_dump_all(list(reversed(docs)), sort_keys=False))
    forward = _trace([BUNDLE / "cluster.yaml", BUNDLE / "policies.yaml"], "web/backend-0", "8.8.8.8", 443)
    backward = _trace([BUNDLE / "cluster.yaml", reversed_file], "web/backend-0", "8.8.8.8", 443)
    assert forward["verdict"] == backward["verdict"] == "Drop"
    assert forward["paths"][0]["decidedBy"]["policy"] == backward["paths"][0]["decidedBy"]["policy"]
    assert forward["paths"][0]["decidedBy"]["explanation"] == backward["paths"][0]["decidedBy"]["explanation"]
