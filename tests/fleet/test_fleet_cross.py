"""Cross-cluster reach: egress at the source cluster, ingress at the destination cluster, the
source seen at its node's address (SNAT) unless the fleet says the pod network is routed."""

import json

import pytest
from click.testing import CliRunner

from fleetkit import EXAMPLE, acnp, case, connectivity_test, fleet_file, service, small_cluster, write
from tierwall.cli.main import cli
from tierwall.fleet import check_fleet

DROP_FROM_A_NODES = acnp("no-a-nodes", "securityops", ingress=[
    {"name": "a-nodes", "action": "Drop", "from": [{"ipBlock": {"cidr": "172.30.1.0/24"}}]}])


def _fleet(tmp_path, snat=True, a_extra=(), cases=None):
    small_cluster(tmp_path / "a", "a", 1, a_extra)
    small_cluster(tmp_path / "b", "b", 2, [DROP_FROM_A_NODES,
                                           service("app", "web", {"app": "web"}, [(8080, 80, "TCP")], "10.96.0.5")])
    write(tmp_path / "tests.yaml", connectivity_test("cross", *(cases or [
        case("app/web-0", "b/app/web-0", 80, "Allow", name="a to b"),
        case("a/tools/box-0", "b/node/b-node", 22, "Allow", name="a to b's node"),
    ])))
    return fleet_file(tmp_path, [{"name": "a", "labels": {"g": "1"}, "sources": ["a/"], "snat": snat},
                                 {"name": "b", "labels": {"g": "2"}, "sources": ["b/"]}],
                      [{"name": "from-a", "clusters": ["a"], "tests": ["tests.yaml"]}])


def _cases(report, cluster="a"):
    return {c["name"]: c for r in report["clusters"] if r["cluster"] == cluster for c in r["cases"]}


def test_ingress_at_the_destination_sees_the_source_nodes_address(tmp_path):
    report = check_fleet(str(_fleet(tmp_path)), "serial")
    got = _cases(report)
    assert not got["a to b"]["passed"] and got["a to b's node"]["passed"]
    [pair] = got["a to b"]["failures"]
    assert pair["from"] == "a/app/web-0" and pair["to"] == "b/app/web-0"
    assert pair["seenAtDestinationAs"] == "172.30.1.2"
    assert pair["decidedBy"]["cluster"] == "b" and pair["decidedBy"]["policy"] == "ClusterNetworkPolicy/no-a-nodes"
    egress, ingress = pair["sides"]
    assert (egress["cluster"], egress["side"], egress["verdict"]) == ("a", "egress", "Allow")
    assert (ingress["cluster"], ingress["side"], ingress["verdict"]) == ("b", "ingress", "Drop")
    assert report["clusters"][0]["status"] == "failed" and "addresses" not in report["clusters"][0]


def test_a_routed_pod_network_keeps_the_pod_address(tmp_path):
    report = check_fleet(str(_fleet(tmp_path, snat=False)), "serial")
    assert _cases(report)["a to b"]["passed"]


def test_egress_at_the_source_decides_first(tmp_path):
    block = acnp("no-b-pods", "securityops", egress=[
        {"name": "b", "action": "Drop", "to": [{"ipBlock": {"cidr": "10.2.0.0/16"}}]}])
    report = check_fleet(str(_fleet(tmp_path, a_extra=[block])), "serial")
    [pair] = _cases(report)["a to b"]["failures"]
    assert pair["verdict"] == "Drop" and pair["decidedBy"]["cluster"] == "a"
    assert pair["decidedBy"]["policy"] == "ClusterNetworkPolicy/no-b-pods"


def test_a_service_of_the_other_cluster_is_each_of_its_endpoints_after_target_port(tmp_path):
    path = _fleet(tmp_path, snat=False, cases=[case("app/web-0", "b/service/app/web", 8080, "Drop", name="svc")])
    [got] = _cases(check_fleet(str(path), "serial")).values()
    assert got["pairs"] == 2 and got["failedPairs"] == 2
    assert {(f["to"], f["port"]) for f in got["failures"]} == {("b/app/web-0", 80), ("b/app/web-1", 80)}


def test_unknown_ends_in_the_other_cluster_are_that_case_s_error_only(tmp_path):
    path = _fleet(tmp_path, cases=[case("app/web-0", "b/app/nope-0", 80, "Allow", name="bad"),
                                   case("app/web-0", "app/web-1", 80, "Allow", name="local")])
    report = check_fleet(str(path), "serial")
    a = report["clusters"][0]
    assert a["status"] == "error" and any("nope-0" in d["message"] for d in a["diagnostics"])
    assert _cases(report)["local"]["passed"]


@pytest.mark.parametrize("bad, field", [("b/service/app", "from"), ("service/app/web", "from")])
def test_a_cross_cluster_source_must_be_a_pod(tmp_path, bad, field):
    path = _fleet(tmp_path, cases=[case(bad, "b/app/web-0", 80, "Allow")])
    r = CliRunner().invoke(cli, ["fleet", "check", str(path)])
    assert r.exit_code == 2 and f"spec.cases[0].{field}" in r.stderr


def test_the_example_dev_cannot_reach_prod_across_clusters():
    r = CliRunner().invoke(cli, ["fleet", "check", str(EXAMPLE / "fleet.yaml"), "-o", "json"])
    report = json.loads(r.stdout)
    cross = [c for r_ in report["clusters"] for c in r_["cases"] if "crossCluster" in c]
    assert {(c["crossCluster"]["from"], c["crossCluster"]["to"], c["passed"]) for c in cross} == {
        ("dev-eu", "prod-eu", True), ("dev-eu", "prod-us", True), ("dev-eu", "dev-eu", True),
        ("dev-us", "prod-eu", True), ("dev-us", "prod-us", True), ("dev-us", "dev-eu", True),
        ("prod-eu", "dev-eu", True), ("prod-us", "dev-eu", True)}


def test_fleet_trace_shows_both_sides_with_their_clusters():
    args = ["fleet", "trace", str(EXAMPLE / "fleet.yaml"), "--from", "dev-eu/dev-app/web-0",
            "--to", "prod-us/prod-app/api-0", "--port", "8080"]
    r = CliRunner().invoke(cli, args + ["-o", "json"])
    assert r.exit_code == 0, r.output
    [pair] = json.loads(r.stdout)["pairs"]
    assert pair["verdict"] == "Drop" and pair["decidedBy"]["cluster"] == "prod-us"
    assert [(s["side"], s["cluster"], s["verdict"]) for s in pair["sides"]] == \
        [("egress", "dev-eu", "Allow"), ("ingress", "prod-us", "Drop")]
    assert pair["seenAtDestinationAs"] == "172.20.1.2"  # dev-eu-node-1's address: SNAT
    text = CliRunner().invoke(cli, args).stdout
    assert "ingress at prod-us (source seen as 172.20.1.2): Drop" in text
    r = CliRunner().invoke(cli, ["fleet", "trace", str(EXAMPLE / "fleet.yaml"), "--from", "web-0",
                                 "--to", "prod-us/prod-app/api-0", "--port", "8080"])
    assert r.exit_code == 2 and "CLUSTER/NAMESPACE/POD" in r.stderr
