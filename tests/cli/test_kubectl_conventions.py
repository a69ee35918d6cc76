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


ORG = str(EX / "org-baseline")


def _lines(r):
    assert r.exit_code == 0, r.output
    return [line.split() for line in r.stdout.strip().splitlines()]


def test_get_by_name_and_kind_slash_name():
    rows = _lines(invoke("get", "acnp", "allow-cluster-dns", "-f", ORG))
    assert [r[0] for r in rows[1:]] == ["allow-cluster-dns"]
    rows = _lines(invoke("get", "acnp/egress-private-ranges", "acnp/allow-cluster-dns", "-f", ORG))
    assert [r[0] for r in rows[1:]] == ["egress-private-ranges", "allow-cluster-dns"]
    doc = yaml.safe_load(invoke("get", "acnp", "allow-cluster-dns", "-f", ORG, "-o", "yaml").stdout)
    assert doc["kind"] == "ClusterNetworkPolicy" and doc["metadata"]["name"] == "allow-cluster-dns"
    r = invoke("get", "acnp", "allow-cluster-dn", "-f", ORG)
    assert r.exit_code == 2 and "did you mean allow-cluster-dns?" in r.output
    r = invoke("get", "acnp/a", "tiers/b", "-f", ORG)
    assert r.exit_code == 2 and "one kind at a time" in r.output


def test_get_output_name():
    r = invoke("get", "acnp", "-f", ORG, "-o", "name")
    assert r.exit_code == 0
    assert "clusternetworkpolicy.crd.antrea.io/allow-cluster-dns" in r.stdout.splitlines()


def test_get_sort_by_field_column_and_unknown():
    rows = _lines(invoke("get", "acnp", "-f", ORG, "--sort-by", ".spec.priority"))
    prios = [float(r[2]) for r in rows[1:]]
    assert prios == sorted(prios)
    rows = _lines(invoke("get", "acnp", "-f", ORG, "--sort-by", "{.metadata.name}"))
    assert [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:])
    r = invoke("get", "acnp", "-f", ORG, "--sort-by", ".spec.nope")
    assert r.exit_code == 2 and ".spec.nope" in r.output


def test_unknown_kind_and_namespace_suggest():
    r = invoke("get", "acnpp", "-f", ORG)
    assert r.exit_code == 2 and "did you mean acnp" in r.output
    r = invoke("get", "networkpolicies", "-n", "dev-ap", "-f", ORG)
    assert r.exit_code == 2 and "did you mean dev-app?" in r.output


def _policy_files(tmp_path, *objs):
    path = tmp_path / "p.yaml"
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}
    path.write_text(yaml.safe_dump_all([ns, *objs]))
    return str(path)


ANNP = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "NetworkPolicy", "metadata": {"name": "annp-1", "namespace": "prod"},
        "spec": {"priority": 5, "appliedTo": [{"podSelector": {}}], "ingress": [{"action": "Drop"}]}}
ADMIN = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "admin-1"},
         "spec": {"priority": 10, "subject": {"namespaces": {}},
                  "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}}


def test_anp_means_the_kind_the_inputs_hold(tmp_path):
    rows = _lines(invoke("get", "anp", "-A", "-f", _policy_files(tmp_path, ANNP)))
    assert rows[1][:2] == ["prod", "annp-1"]
    rows = _lines(invoke("get", "anp", "-f", _policy_files(tmp_path, ADMIN)))
    assert rows[1][0] == "admin-1"
    r = invoke("get", "anp", "-A", "-f", _policy_files(tmp_path, ANNP, ADMIN))
    assert r.exit_code == 2 and "AdminNetworkPolicy" in r.output and "Antrea NetworkPolicy" in r.output
    assert "No resources found" not in r.output
    # a CRD among the inputs says what the short name means, as discovery does for kubectl
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "networkpolicies.crd.antrea.io"},
           "spec": {"group": "crd.antrea.io", "names": {"kind": "NetworkPolicy", "plural": "networkpolicies",
                                                          "shortNames": ["anp"]}}}
    rows = _lines(invoke("get", "anp", "-A", "-f", _policy_files(tmp_path, ANNP, ADMIN, crd)))
    assert rows[1][:2] == ["prod", "annp-1"]


def test_current_nodes_and_tier_case_come_from_the_object(tmp_path):
    acnp = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "p"},
            "spec": {"tier": "SecurityOps", "priority": 1, "appliedTo": [{"podSelector": {}}],
                     "ingress": [{"action": "Drop"}]}}
    rows = _lines(invoke("get", "acnp", "-f", _policy_files(tmp_path, acnp)))
    assert rows[1][1] == "SecurityOps" and rows[1][4] == "<unknown>"
    acnp["status"] = {"currentNodesRealized": 3, "desiredNodesRealized": 3}
    rows = _lines(invoke("get", "acnp", "-f", _policy_files(tmp_path, acnp)))
    assert rows[1][4] == "3"
    wide = _lines(invoke("get", "acnp", "-o", "wide", "-f", _policy_files(tmp_path, acnp)))
    phase = wide[0].index("PHASE") - 2  # DESIRED NODES and CURRENT NODES are two words each
    assert wide[1][phase] == "<unknown>"
    acnp["status"]["phase"] = "Realizing"
    wide = _lines(invoke("get", "acnp", "-o", "wide", "-f", _policy_files(tmp_path, acnp)))
    assert wide[1][phase] == "Realizing"


NSX = {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy",
       "metadata": {"name": "9f0c3c3e-1b2a-4c55-9d0e-aa11bb22cc33",
                    "labels": {"ccp-adapter.antrea.tanzu.vmware.com/managedBy": "ccp-adapter"},
                    "annotations": {"ccp-adapter.antrea.tanzu.vmware.com/display-name": "block-prod-ssh"}},
       "spec": {"priority": 1, "appliedTo": [{"podSelector": {}}], "ingress": [{"action": "Drop", "name": "2025"}]}}


def test_nsx_display_name_in_get_and_trace(tmp_path):
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "prod", "labels": {"app": n}},
             "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": ip}} for n, ip in (("a", "10.0.0.1"),
                                                                                         ("b", "10.0.0.2"))]
    path = _policy_files(tmp_path, NSX, *pods)
    r = invoke("get", "acnp", "-f", path)
    assert r.exit_code == 0 and "DISPLAY NAME" in r.stdout and "block-prod-ssh" in r.stdout
    r = invoke("trace", "-f", path, "--from", "prod/a", "--to", "prod/b", "--port", "22")
    assert r.exit_code == 0 and 'ClusterNetworkPolicy/9f0c3c3e-1b2a-4c55-9d0e-aa11bb22cc33 "block-prod-ssh"' in r.stdout
    doc = __import__("json").loads(invoke("trace", "-f", path, "--from", "prod/a", "--to", "prod/b", "--port", "22",
                                          "-o", "json").stdout)
    steps = doc["paths"][0]["ingress"]["stages"]
    assert any(rs["policy"].get("displayName") == "block-prod-ssh" for s in steps for rs in s["rules"])


def test_trace_namespace_flags():
    r = invoke("trace", "-f", ENV, "-n", "dev", "--from", "web-0", "--to", "prod/db-0", "--port", "5432", "-o", "json")
    assert r.exit_code == 0, r.output
    assert __import__("json").loads(r.stdout)["paths"][0]["flow"]["from"]["pod"] == "dev/web-0"
    r = invoke("trace", "-f", ENV, "-A", "--from", "bastion-0", "--to", "db-0", "--port", "22", "-o", "json")
    flow = __import__("json").loads(r.stdout)["paths"][0]["flow"]
    assert (flow["from"]["pod"], flow["to"]["pod"]) == ("ops/bastion-0", "prod/db-0")
    r = invoke("trace", "-f", ENV, "-A", "--from", "web-0", "--to", "db-0", "--port", "22")
    assert r.exit_code == 2 and "dev/web-0, prod/web-0, test/web-0" in r.output
    r = invoke("trace", "-f", ENV, "--from", "web-0", "--to", "prod/db-0", "--port", "22")  # default namespace
    assert r.exit_code == 2 and "pod default/web-0 is not in the input" in r.output


def test_explain_pod_by_namespace_flags():
    import json
    for args in (("pod", "prod/db-0"), ("pod", "db-0", "-n", "prod"), ("pod", "db-0", "-A"), ("pod/db-0", "-n", "prod")):
        r = invoke("explain", *args, "-f", ENV, "-o", "json")
        assert r.exit_code == 0 and json.loads(r.stdout)["pod"] == "prod/db-0", (args, r.output)


def test_explain_policy_and_namespace():
    import json
    doc = json.loads(invoke("explain", "acnp", "environment-isolation", "-f", ENV, "-o", "json").stdout)
    assert doc["policy"] == "ClusterNetworkPolicy/environment-isolation" and doc["rank"] == 2
    assert "prod/db-0" in doc["appliesTo"] and [r["action"] for r in doc["rules"]] == ["Pass", "Drop"]
    doc = json.loads(invoke("explain", "annp/ssh-from-bastion", "-n", "prod", "-f", ENV, "-o", "json").stdout)
    assert doc["tier"] == "emergency" and doc["rank"] == 1
    r = invoke("explain", "policy", "ssh-from-bastio", "-f", ENV)
    assert r.exit_code == 2 and "did you mean ssh-from-bastion?" in r.output
    r = invoke("explain", "acnp", "environment-isolation", "-f", ENV)
    assert r.exit_code == 0 and "Evaluation order: 2 of" in r.stdout and '"other-environments" [Drop]' in r.stdout
    doc = json.loads(invoke("explain", "namespace", "prod", "-f", ENV, "-o", "json").stdout)
    assert doc["pods"] == ["prod/db-0", "prod/web-0"]
    assert "NetworkPolicy/prod/db-from-web" in doc["policies"]
    assert "ClusterNetworkPolicy/environment-isolation" in doc["appliedBy"]["ingress"]
    r = invoke("explain", "ns", "prd", "-f", ENV)
    assert r.exit_code == 2 and "did you mean prod?" in r.output
