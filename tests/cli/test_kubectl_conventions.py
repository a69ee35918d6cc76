"""What a kubectl user expects: did-you-mean for unknown names, port and protocol checks as
usage errors (exit 2), one message per error."""

from pathlib import Path

import yaml
from click.testing import CliRunner

from tierwall.cli.main import cli

EX = Path(__file__).resolve().parents[2] / "examples"
ENV = str(EX / "environments")


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_unknown_pods_get_a_did_you_mean():
    r = invoke("trace", "-f", ENV, "--from", "de/web-0", "--to", "prod/db-0", "--port", "80")
    assert r.exit_code == 2 and "namespace de does not exist" in r.output and "did you mean dev/web-0?" in r.output
    r = invoke("trace", "-f", ENV, "--from", "dev/web-0", "--to", "prod/db-00", "--port", "80")
    assert r.exit_code == 2 and "pod prod/db-00 is not in the input (did you mean prod/db-0" in r.output
    # the unknown endpoint is the problem, not the missing port
    r = invoke("trace", "-f", ENV, "--from", "dev/web-0", "--to", "prod/db-00")
    assert r.exit_code == 2 and "prod/db-00" in r.output and "needs a port" not in r.output


def test_unknown_service_gets_a_did_you_mean(tmp_path):
    objs = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "frontend", "namespace": "web"},
             "spec": {"selector": {"app": "fe"}, "ports": [{"port": 80}]}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fe", "namespace": "web", "labels": {"app": "fe"}},
             "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": "10.0.0.2"}}]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    r = invoke("trace", "-f", str(path), "--from", "web/fe", "--to", "service/web/frontnd", "--port", "80")
    assert r.exit_code == 2 and "did you mean web/frontend?" in r.output


def test_ports_and_protocols_are_usage_errors(tmp_path):
    for port in ("70000", "-1", "not_a_name!", "65536"):
        r = invoke("trace", "-f", ENV, "--from", "dev/web-0", "--to", "prod/db-0", "--port", port)
        assert r.exit_code == 2 and "0-65535" in r.output, (port, r.output)
    r = invoke("trace", "-f", ENV, "--from", "dev/web-0", "--to", "prod/db-0", "--port", "80", "--protocol", "FOO")
    assert r.exit_code == 2
    tests = {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "t"},
             "spec": {"cases": [{"from": "dev/web-0", "to": "prod/db-0", "port": 70000, "expect": "Allow"},
                                {"from": "dev/web-0", "to": "prod/db-0", "port": "-5", "expect": "Allow"},
                                {"from": "dev/web-0", "to": "prod/db-0", "port": 80, "protocol": "FOO",
                                 "expect": "Allow"}]}}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(tests))
    r = invoke("check", "-f", ENV, "--tests", str(path))
    assert r.exit_code == 2
    assert r.output.count("port 70000 is outside 0-65535") == 1 and r.output.count("port -5 is outside") == 1
    assert r.output.count("protocol 'FOO'") == 1


def test_check_tests_file_that_does_not_exist():
    r = invoke("check", "-f", ENV, "--tests", "nosuch.yaml")
    assert r.exit_code == 2 and r.output.count("no such file") == 1
