"""``fleet check``: every cluster against its groups' tests, one bad cluster never hiding the
others, and the same report from every executor (processes, Dask)."""

import json
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from fleetkit import EXAMPLE, case, connectivity_test, deny_tools, fleet_file, small_cluster, write
from tierwall.cli.main import cli
from tierwall.errors import Diagnostics
from tierwall.fleet import check_fleet
from tierwall.fleet.check import check_job
from tierwall.fleet.executor import run_map
from tierwall.fleet.plan import plan_fleet


def _run(*args):
    return CliRunner().invoke(cli, ["fleet", "check", *args])


def test_the_example_fleet_report():
    r = _run(str(EXAMPLE / "fleet.yaml"), "-o", "json")
    assert r.exit_code == 1, r.output
    report = json.loads(r.stdout)
    status = {c["cluster"]: c["status"] for c in report["clusters"]}
    assert status == {"dev-eu": "passed", "dev-us": "passed", "prod-eu": "passed", "prod-us": "failed"}
    failed = [(c["cluster"], k["name"]) for c in report["clusters"] for k in c["cases"] if not k["passed"]]
    assert failed == [("prod-us", "tools cannot reach prod apps")]
    failure = next(k for c in report["clusters"] for k in c["cases"] if not k["passed"])["failures"][0]
    assert failure["decidedBy"]["policy"] == "ClusterNetworkPolicy/hotfix-tools-to-api"
    assert failure["decidedBy"]["tier"] == "hotfix"
    assert failure["decidedBy"]["origin"]["file"].endswith("clusters/prod-us/local-overrides.yaml")
    drift = {c["cluster"]: c["delivery"] for c in report["clusters"]}["dev-us"]
    assert [d["object"] for d in drift["pruned"]] == ["ClusterNetworkPolicy/baseline-legacy-allow-tools"]
    assert [d["object"] for d in drift["drifted"]] == ["ClusterNetworkPolicy/baseline-isolate-app-namespaces"]


def test_text_markdown_and_junit_show_the_same_failure():
    text = _run(str(EXAMPLE / "fleet.yaml")).stdout
    assert "prod-us" in text and "✗ 1/2" in text and "hotfix-tools-to-api" in text
    md = _run(str(EXAMPLE / "fleet.yaml"), "-o", "md").stdout
    assert "| **prod-us** | prod-clusters | ✓ 5/5 | · | · | ✗ 1/2 | ✓ 1/1 |" in md
    root = ET.fromstring(_run(str(EXAMPLE / "fleet.yaml"), "-o", "junit").stdout)
    assert root.get("failures") == "1"
    suite = next(s for s in root if s.get("name") == "prod-us")
    failing = [c.get("name") for c in suite if c.find("failure") is not None]
    assert failing == ["tools cannot reach prod apps"]


def _fleet_with_a_broken_cluster(tmp_path):
    small_cluster(tmp_path / "good", "good", 1)
    small_cluster(tmp_path / "open", "open", 2)
    small_cluster(tmp_path / "bad", "bad", 3, extra=[{"apiVersion": "crd.antrea.io/v1beta1",
                                                       "kind": "ClusterNetworkPolicy", "metadata": {"name": "x"},
                                                       "spec": {"tier": "no-such-tier", "priority": 1}}])
    write(tmp_path / "sets" / "p.yaml", deny_tools())
    write(tmp_path / "tests.yaml", connectivity_test("isolation", case("tools/box-0", "app/web-0", 80, "Drop")))
    clusters = [{"name": n, "labels": {"g": "yes" if n != "open" else "no"}, "sources": [f"{n}/"]}
                for n in ("good", "bad", "open", "missing")]
    return fleet_file(tmp_path, clusters, [
        {"name": "secured", "clusterSelector": {"matchLabels": {"g": "yes"}}, "clusters": ["missing"],
         "policySets": [{"name": "p", "path": "sets/"}], "tests": ["tests.yaml"]},
        {"name": "unsecured", "clusters": ["open"], "tests": ["tests.yaml"]}])


def test_one_cluster_with_bad_input_is_reported_and_the_others_still_run(tmp_path):
    r = _run(str(_fleet_with_a_broken_cluster(tmp_path)), "-o", "json")
    assert r.exit_code == 2
    report = json.loads(r.stdout)
    by = {c["cluster"]: c for c in report["clusters"]}
    assert by["good"]["status"] == "passed"
    assert by["open"]["status"] == "failed"  # no policy set: tools reach app
    assert by["bad"]["status"] == "error"
    assert any("no-such-tier" in d["message"] and d["origin"]["field"] == "spec.tier"
               for d in by["bad"]["diagnostics"])
    assert by["missing"]["status"] == "error"
    assert any(d["code"] == "TW101" for d in by["missing"]["diagnostics"])
    assert report["summary"] == {"clusters": 4, "passed": 1, "failed": 1, "errors": 2, "cases": 2, "failedCases": 1}


def test_cluster_option_limits_the_run_and_rejects_unknown_names(tmp_path):
    path = str(_fleet_with_a_broken_cluster(tmp_path))
    r = _run(path, "--cluster", "good", "-o", "json")
    assert r.exit_code == 0 and [c["cluster"] for c in json.loads(r.stdout)["clusters"]] == ["good"]
    r = _run(path, "--cluster", "nope")
    assert r.exit_code == 2 and "cluster 'nope' is not in fleet" in r.stderr


def test_processes_and_dask_give_identical_reports(tmp_path):
    import distributed  # the distributed extra; make test installs it (a missing one fails, never skips)
    plan = plan_fleet(str(_fleet_with_a_broken_cluster(tmp_path)), Diagnostics())
    jobs = plan.jobs() + plan_fleet(str(EXAMPLE / "fleet.yaml"), Diagnostics()).jobs()
    serial = run_map(check_job, jobs, "serial")
    processes = run_map(check_job, jobs, "processes", workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, host="127.0.0.1",
                                  protocol="tcp://", dashboard_address=None) as lc:
        seen = []
        dask = run_map(check_job, jobs, f"dask://{lc.scheduler_address.removeprefix('tcp://')}", seen.append)
        # the whole command's report, cross-cluster round included
        whole = check_fleet(str(EXAMPLE / "fleet.yaml"), f"dask://{lc.scheduler_address.removeprefix('tcp://')}")
    assert json.dumps(whole) == json.dumps(check_fleet(str(EXAMPLE / "fleet.yaml"), "processes"))
    assert any("crossCluster" in c for r in whole["clusters"] for c in r["cases"])
    assert json.dumps(processes, sort_keys=True) == json.dumps(serial, sort_keys=True)
    assert json.dumps(dask, sort_keys=True) == json.dumps(serial, sort_keys=True)
    assert seen == list(range(1, len(jobs) + 1))
    assert {r["status"] for r in serial} == {"passed", "failed", "error"}


def test_an_unreachable_dask_scheduler_is_a_usage_error(monkeypatch):
    monkeypatch.setattr("tierwall.fleet.executor.DASK_CONNECT_TIMEOUT", "1s")
    r = _run(str(EXAMPLE / "fleet.yaml"), "--executor", "dask://127.0.0.1:1")
    assert r.exit_code == 2 and "cannot reach the Dask scheduler" in r.stderr
    r = _run(str(EXAMPLE / "fleet.yaml"), "--executor", "threads")
    assert r.exit_code == 2 and "unknown executor" in r.stderr
