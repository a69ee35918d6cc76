"""The command line as users and CI run it: outputs, exit codes, errors without tracebacks."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml
from click.testing import CliRunner

from helpers import dump, namespace, pod, service, world
from tierwall.cli.main import cli

DENY_X = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "deny-x", "namespace": "x"},
          "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                   "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}], "ports": [{"port": 80}]}]}}


def make_tests(*cases):
    return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "t"},
            "spec": {"cases": list(cases)}}


def write(tmp_path, name, objs):
    path = tmp_path / name
    path.write_text(dump(objs))
    return str(path)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_check_json_shape_and_exit_codes(tmp_path):
    cluster = write(tmp_path, "c.yaml", world() + [DENY_X])
    ok = write(tmp_path, "ok.yaml", [make_tests({"name": "y to x", "from": "y/a", "to": "x/a", "port": 80,
                                               "expect": "Allow"})])
    bad = write(tmp_path, "bad.yaml", [make_tests({"from": {"pod": "z/a"}, "to": "x/a", "port": 80, "expect": "Allow"})])
    r = invoke("check", "-f", cluster, "--tests", ok, "-o", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["summary"] == {"total": 1, "passed": 1, "failed": 0}
    res = report["results"][0]
    assert {k: res[k] for k in ("name", "from", "to", "port", "protocol", "expect", "verdict", "passed")} == {
        "name": "y to x", "from": "y/a", "to": "x/a", "port": 80, "protocol": "TCP", "expect": "Allow",
        "verdict": "Allow", "passed": True}
    assert res["decidedBy"]["policy"] == "NetworkPolicy/x/deny-x" and res["decidedBy"]["side"] == "ingress"
    assert res["decidedBy"]["rule"] == {"index": 0, "name": None}
    assert res["decidedBy"]["origin"]["file"] == cluster and res["decidedBy"]["origin"]["line"]
    r = invoke("check", "-f", cluster, "--tests", bad, "-o", "json")
    assert r.exit_code == 1
    res = json.loads(r.stdout)["results"][0]
    assert res["verdict"] == "Drop" and res["decidedBy"]["kind"] == "isolation"
    assert res["decidedBy"]["tier"] == "kubernetes-networkpolicy"


def test_check_text_lists_failures_first_and_junit(tmp_path):
    cluster = write(tmp_path, "c.yaml", world() + [DENY_X])
    tests = write(tmp_path, "t.yaml", [make_tests(
        {"name": "fine", "from": "y/a", "to": "x/a", "port": 80, "expect": "Allow"},
        {"name": "broken", "from": "z/a", "to": "x/a", "port": 80, "expect": "Allow"})])
    r = invoke("check", "-f", cluster, "--tests", tests)
    assert r.exit_code == 1
    assert r.stdout.index("FAIL") < r.stdout.index("1 passed, 1 failed")
    assert "isolated for ingress by NetworkPolicy/x/deny-x" in " ".join(r.stdout.split())
    r = invoke("check", "-f", cluster, "--tests", tests, "-o", "junit")
    root = ET.fromstring(r.stdout)
    assert root.get("tests") == "2" and root.get("failures") == "1"
    assert len(root.findall(".//failure")) == 1


def test_selector_and_service_fan_out_share_the_case_name(tmp_path):
    objs = world() + [DENY_X, service("x", "web", {"pod": "a"}, [(8080, 80, "TCP")])]
    objs += [pod("x", "a2", "10.10.1.19", {"pod": "a"})]
    cluster = write(tmp_path, "c.yaml", objs)
    tests = write(tmp_path, "t.yaml", [make_tests(
        {"name": "ns y reaches web", "from": {"namespaceSelector": {"matchLabels": {"ns": "y"}}},
         "to": {"service": "x/web"}, "port": 8080, "expect": "Allow"})])
    r = invoke("check", "-f", cluster, "--tests", tests, "-o", "json")
    results = json.loads(r.stdout)["results"]
    assert len(results) == 3 * 2 and {x["name"] for x in results} == {"ns y reaches web"}
    assert all(x["passed"] and x["port"] == 80 for x in results)


def test_connectivity_test_may_sit_among_inputs(tmp_path):
    write(tmp_path, "c.yaml", world() + [DENY_X])
    write(tmp_path, "t.yaml", [make_tests({"from": "10.0.0.1", "to": "x/b", "port": 80, "expect": "Drop"})])
    r = invoke("check", "-f", str(tmp_path))
    assert r.exit_code == 0, r.output


def test_trace_json_and_yaml(tmp_path):
    cluster = write(tmp_path, "c.yaml", world() + [DENY_X])
    r = invoke("trace", "-f", cluster, "--from", "z/a", "--to", "x/b", "--port", "80", "-o", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["apiVersion"] == "tierwall.dev/v1alpha1" and doc["kind"] == "Trace"
    assert doc["verdict"] == "Drop"
    path = doc["paths"][0]
    assert path["egress"]["verdict"] == "Allow" and path["ingress"]["verdict"] == "Drop"
    np_stage = [s for s in path["ingress"]["stages"] if s["stage"] == "kubernetes-networkpolicy"][0]
    assert np_stage["outcome"] == "isolation" and np_stage["isolatedBy"][0]["ref"] == "NetworkPolicy/x/deny-x"
    assert np_stage["rules"][0]["matched"] == "no" and "source does not match" in np_stage["rules"][0]["reason"]
    r = invoke("trace", "-f", cluster, "--from", "z/a", "--to", "x/b", "--port", "80", "-o", "yaml")
    assert yaml.safe_load(r.stdout)["verdict"] == "Drop"


def test_trace_text_explains_isolation(tmp_path):
    cluster = write(tmp_path, "c.yaml", world() + [DENY_X])
    r = invoke("trace", "-f", cluster, "--from", "z/a", "--to", "x/b", "--port", "80")
    text = " ".join(r.stdout.split())
    assert "Verdict Drop" in text
    assert "isolated by NetworkPolicy/x/deny-x; none of their rules matched" in text


def test_bad_input_exits_2_with_located_messages_and_no_traceback(tmp_path):
    cluster = write(tmp_path, "c.yaml", world())
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    policy = dict(DENY_X, spec={"podSelector": {}, "ingress": [{"ports": [{"port": "no_good"}]}]})
    write(tmp_path, "p.yaml", [policy])
    r = invoke("trace", "-f", str(tmp_path), "--from", "x/a", "--to", "x/b", "--port", "80")
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert "broken.yaml:2" in r.output or "broken.yaml:1" in r.output
    assert "p.yaml:" in r.output and "NetworkPolicy/x/deny-x spec.ingress[0].ports[0].port" in r.output
    r = invoke("trace", "-f", cluster, "--from", "x/nope", "--to", "x/b", "--port", "80")
    assert r.exit_code == 2 and "pod x/nope is not in the input" in r.output
    r = invoke("trace", "-f", cluster, "--from", "x/a", "--to", "x/b")
    assert r.exit_code == 2 and "needs a port" in r.output


def test_malformed_connectivity_test_exits_2(tmp_path):
    cluster = write(tmp_path, "c.yaml", world())
    tests = write(tmp_path, "t.yaml", [make_tests({"from": "x/a", "to": "x/b", "port": 80, "expect": "Maybe"},
                                                 {"from": "x/a", "to": "nowhere", "expect": "Allow", "port": 80},
                                                 {"from": "x/zz", "to": "x/b", "expect": "Allow", "port": 80})])
    r = invoke("check", "-f", cluster, "--tests", tests)
    assert r.exit_code == 2 and "Traceback" not in r.output
    out = " ".join(r.output.split())
    assert "spec.cases[0].expect" in out and "spec.cases[1].to" in out and "pod x/zz is not in the input" in out


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "tierwall", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "tierwall" in out.stdout


def test_no_input_is_a_usage_error():
    r = invoke("check")
    assert r.exit_code == 2 and "no input" in r.output


def test_stdin_input(tmp_path):
    tests = write(tmp_path, "t.yaml", [make_tests({"from": "x/a", "to": "x/b", "port": 80, "expect": "Allow"})])
    r = CliRunner().invoke(cli, ["check", "-f", "-", "--tests", tests], input=dump([namespace("x"),
                                                                                    pod("x", "a", "10.0.0.1"),
                                                                                    pod("x", "b", "10.0.0.2")]))
    assert r.exit_code == 0, r.output


def test_tests_given_with_f_and_tests_count_once(tmp_path):
    """Regression: the demo passed a bundle directory with -f and its tests/ with --tests, and
    every case ran twice."""
    write(tmp_path, "c.yaml", world() + [DENY_X])
    tests = write(tmp_path, "t.yaml", [make_tests({"from": "y/a", "to": "x/a", "port": 80, "expect": "Allow"})])
    r = invoke("check", "-f", str(tmp_path), "--tests", tests, "-o", "json")
    assert json.loads(r.stdout)["summary"]["total"] == 1
