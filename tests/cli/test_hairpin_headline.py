"""Hairpin (a pod reaching itself through its own Service): ingress is exempt, so the headline
must say so and name the egress rule that allowed the flow and the ingress rule it overrode —
never "allowed by default" when a Drop rule applies to the pod."""

import json

import yaml
from click.testing import CliRunner

from tierwall.cli.main import cli

BASE = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}},
     "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}, "status": {"podIP": "10.0.0.1"}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "x"},
     "spec": {"selector": {"app": "a"}, "clusterIP": "10.96.0.10", "ports": [{"port": 80, "targetPort": 80}]}},
    {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "deny-in"},
     "spec": {"priority": 5, "appliedTo": [{"podSelector": {}}], "ingress": [{"action": "Drop", "name": "drop-all"}]}},
]
EGRESS = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "allow-out"},
          "spec": {"priority": 1, "appliedTo": [{"podSelector": {}}],
                   "egress": [{"action": "Allow", "name": "to-svc", "ports": [{"port": 80}]}]}}


def _trace(tmp_path, objs, *extra):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    r = CliRunner().invoke(cli, ["trace", "-f", str(path), "--from", "x/a", "--to", "service/x/svc", "--port", "80",
                                 *extra])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_hairpin_headline_names_the_exemption_and_the_overridden_rule(tmp_path):
    out = _trace(tmp_path, BASE)
    headline = [line for line in out.splitlines() if line.startswith("ingress · hairpin")]
    assert headline and 'ClusterNetworkPolicy/deny-in ingress rule 0 "drop-all"' in headline[0]
    assert "allowed by default" in headline[0]  # egress: nothing decided, and it says so


def test_hairpin_headline_names_the_egress_rule_that_decided(tmp_path):
    out = _trace(tmp_path, BASE + [EGRESS])
    headline = [line for line in out.splitlines() if line.startswith("ingress · hairpin")][0]
    assert 'ClusterNetworkPolicy/allow-out egress rule 0 "to-svc"' in headline
    doc = json.loads(_trace(tmp_path, BASE + [EGRESS], "-o", "json"))
    decided = doc["paths"][0]["decidedBy"]
    assert doc["paths"][0]["verdict"] == "Allow" and decided["policy"] == "ClusterNetworkPolicy/allow-out"
    assert decided["explanation"].startswith("hairpin:")
