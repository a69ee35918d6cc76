"""A reference to a group that does not exist: Antrea's webhook accepts it and the peer matches
nothing until the group is created (spec/antrea.md §5; validate.go checks no group existence)."""

import json

import yaml
from click.testing import CliRunner

from tierwall.cli.main import cli

OBJS = [
    {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterGroup", "metadata": {"name": "web-pods"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}}}},
    {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "p"},
     "spec": {"priority": 1, "appliedTo": [{"podSelector": {}}],
              "ingress": [{"action": "Drop", "from": [{"group": "web-pod"}]}]}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
] + [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "x", "labels": {"app": n}},
      "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": ip}} for n, ip in (("web", "10.0.0.1"),
                                                                                   ("db", "10.0.0.2"))]


def test_missing_group_is_a_warning_that_does_not_blame_the_webhook(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(OBJS))
    r = CliRunner().invoke(cli, ["lint", "-f", str(path), "-o", "json"])
    findings = json.loads(r.stdout)["findings"]
    missing = [f for f in findings if f["code"] == "TW227"]
    assert r.exit_code == 0 and len(missing) == 1
    assert "did you mean web-pods?" in missing[0]["message"]
    assert "webhook would refuse" not in missing[0]["hint"] and "accepts" in missing[0]["hint"]
    # the peer matches nothing: the Drop never applies
    r = CliRunner().invoke(cli, ["trace", "-f", str(path), "--from", "x/web", "--to", "x/db", "--port", "80",
                                 "-o", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["paths"][0]["verdict"] == "Allow"


def test_misspelt_kind_in_a_known_group_is_an_error(tmp_path):
    bad = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolcy", "metadata": {"name": "p"},
           "spec": {"priority": 1, "appliedTo": [{"podSelector": {}}], "ingress": [{"action": "Drop"}]}}
    other = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "Egress", "metadata": {"name": "e"}, "spec": {}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all([bad, other]))
    r = CliRunner().invoke(cli, ["lint", "-f", str(path)])
    assert r.exit_code == 1 and "TW108" in r.output and "did you mean ClusterNetworkPolicy" in r.output
    assert r.output.count("TW108") == 1  # Egress is a real Antrea kind tierwall skips, not an error
    r = CliRunner().invoke(cli, ["lint", "-f", str(path), "-v"])
    assert "skipped kinds: Egress (crd.antrea.io/v1beta1)" in r.output
    r = CliRunner().invoke(cli, ["trace", "-f", str(path), "--from", "1.1.1.1", "--to", "2.2.2.2", "--port", "1"])
    assert r.exit_code == 2 and "ClusterNetworkPolcy" in r.output


def test_every_command_lists_skipped_kinds_with_v(tmp_path):
    objs = [{"apiVersion": "projectcalico.org/v3", "kind": "FelixConfiguration", "metadata": {"name": "default"},
             "spec": {}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    for args in (["lint"], ["get", "gnp"], ["matrix"]):
        r = CliRunner().invoke(cli, args + ["-f", str(path), "-v"])
        assert "skipped kinds: ConfigMap (v1), FelixConfiguration" in r.output, (args, r.output)
