"""Precedence report: local rules against central and baseline rules, with the winner, why,
and a traced flow that shows it."""

import json

from click.testing import CliRunner

from fleetkit import EXAMPLE, acnp, deny_tools, fleet_file, small_cluster, write
from tierwall.cli.main import cli
from tierwall.errors import Diagnostics
from tierwall.fleet.plan import plan_fleet
from tierwall.fleet.precedence import precedence_job

ALLOW_TOOLS = [{"name": "tools-in", "action": "Allow",
                "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tools"}}}]}]


def _fleet(tmp_path):
    small_cluster(tmp_path / "tries", "tries", 1, [acnp("let-tools-in", "application", ingress=ALLOW_TOOLS)])
    small_cluster(tmp_path / "wins", "wins", 2, [
        {"apiVersion": "crd.antrea.io/v1beta1", "kind": "Tier", "metadata": {"name": "early"},
         "spec": {"priority": 20}},
        acnp("let-tools-in", "early", ingress=ALLOW_TOOLS)])
    small_cluster(tmp_path / "quiet", "quiet", 3)
    write(tmp_path / "sets" / "p.yaml", deny_tools())
    return fleet_file(tmp_path, [{"name": n, "labels": {"all": "yes"}, "sources": [f"{n}/"]}
                                 for n in ("tries", "wins", "quiet")],
                      [{"name": "all", "clusterSelector": {"matchLabels": {"all": "yes"}},
                        "policySets": [{"name": "base", "path": "sets/", "namePrefix": "org-"}]}])


def _findings(path):
    plan = plan_fleet(str(path), Diagnostics())
    return {j.cluster.name: precedence_job(j) for j in plan.jobs()}


def test_a_local_allow_under_a_baseline_drop_loses_and_the_trace_shows_the_baseline_deciding(tmp_path):
    result = _findings(_fleet(tmp_path))["tries"]
    [f] = result["findings"]
    assert f["kind"] == "fleet-wins"
    assert f["winner"]["policy"] == "ClusterNetworkPolicy/org-deny-tools" and f["winner"]["owner"] == "baseline base"
    assert f["overridden"]["policy"] == "ClusterNetworkPolicy/let-tools-in" and f["overridden"]["owner"] == "cluster-local"
    assert f["why"] == "Tier securityops (100) is evaluated before Tier application (250)"
    ex = f["example"]
    assert ex["verdict"] == "Drop" and ex["decidedBy"]["policy"] == "ClusterNetworkPolicy/org-deny-tools"
    assert ex["flow"]["from"]["pod"] == "tools/box-0" and ex["flow"]["to"]["pod"].startswith("app/")


def test_a_local_tier_ahead_of_the_baseline_tier_wins_and_is_reported_as_broken(tmp_path):
    results = _findings(_fleet(tmp_path))
    [f] = results["wins"]["findings"]
    assert f["kind"] == "local-overrides-fleet"
    assert f["winner"]["owner"] == "cluster-local" and f["overridden"]["policy"] == "ClusterNetworkPolicy/org-deny-tools"
    assert f["why"] == "Tier early (20) is evaluated before Tier securityops (100)"
    assert f["example"]["verdict"] == "Allow"
    assert f["example"]["decidedBy"]["policy"] == "ClusterNetworkPolicy/let-tools-in"
    assert results["quiet"]["findings"] == [] and results["quiet"]["status"] == "ok"


def test_the_example_fleet_central_rule_wins_and_the_hotfix_tier_does_not_lose():
    r = CliRunner().invoke(cli, ["fleet", "precedence", str(EXAMPLE / "fleet.yaml"), "-o", "json"])
    assert r.exit_code == 1, r.output  # a local rule wins somewhere
    found = {(c["cluster"], f["kind"], f["winner"]["policy"]) for c in json.loads(r.stdout)["clusters"]
             for f in c["findings"]}
    assert found == {("prod-us", "local-overrides-fleet", "ClusterNetworkPolicy/hotfix-tools-to-api"),
                     ("prod-us", "fleet-wins", "ClusterNetworkPolicy/4b7a0c11-prod-isolation")}
    text = CliRunner().invoke(cli, ["fleet", "precedence", str(EXAMPLE / "fleet.yaml")]).stdout
    assert "Tier nsx-category-environment (3) is evaluated before Tier application (250)" in text


def test_the_reverse_a_local_drop_under_a_central_allow_loses_too(tmp_path):
    small_cluster(tmp_path / "c", "c", 4, [acnp("block-tools", "application", ingress=[
        {"name": "no-tools", "action": "Drop",
         "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tools"}}}]}])])
    write(tmp_path / "central" / "allow.yaml", acnp("tools-allowed", "application", ingress=ALLOW_TOOLS))
    path = fleet_file(tmp_path, [{"name": "c", "sources": ["c/"]}], [{"name": "g", "clusters": ["c"]}],
                      central=[{"name": "nsx", "path": "central/", "category": "Application"}])
    [f] = _findings(path)["c"]["findings"]
    assert (f["kind"], f["winner"]["owner"], f["winner"]["action"]) == ("fleet-wins", "central nsx", "Allow")
    assert f["overridden"]["policy"] == "ClusterNetworkPolicy/block-tools" and f["overridden"]["action"] == "Drop"
    assert f["why"] == "Tier nsx-category-application (4) is evaluated before Tier application (250)"
    assert f["example"]["verdict"] == "Allow"
