"""get (kubectl-style listings, span, effective order, -n/-A, -o) and explain pod."""

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from tierwall.cli.main import cli

EX = Path(__file__).resolve().parents[2] / "examples"


def run(*args):
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def rows(text):
    lines = [line.split() for line in text.strip().splitlines()]
    return lines[0], lines[1:]


def test_get_acnp_desired_nodes_is_the_span():
    head, body = rows(run("get", "acnp", "-f", str(EX / "org-baseline")))
    assert head[:3] == ["NAME", "TIER", "PRIORITY"] and "DESIRED" in head
    by_name = {r[0]: r for r in body}
    # the DNS policy applies to every pod: both nodes; pods of the isolated namespaces sit on both too
    assert by_name["allow-cluster-dns"][3] == "2" and by_name["allow-cluster-dns"][4] == "2"


def test_span_counts_only_nodes_with_selected_pods(tmp_path):
    objs = [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"},
         "status": {"addresses": [{"type": "InternalIP", "address": f"172.18.0.{i}"}]}} for i in (1, 2, 3)]
    objs += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "x", "labels": {"app": a}},
              "spec": {"nodeName": f"n{i}", "containers": [{"name": "c"}]},
              "status": {"phase": "Running", "podIP": f"10.0.0.{i}"}} for i, a in ((1, "web"), (2, "web"), (3, "db"))]
    objs.append({"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "web"},
                 "spec": {"priority": 1, "appliedTo": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                          "ingress": [{"action": "Drop"}]}})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    _, body = rows(run("get", "acnp", "-f", str(path)))
    assert body[0][3] == "2"


def test_get_policies_in_effective_order_across_dialects():
    _, body = rows(run("get", "policies", "-f", str(EX / "environments"), "--sort-by=effectivePriority"))
    names = [r[3] for r in body]
    assert names == ["ssh-from-bastion", "environment-isolation", "dns", "api-from-web", "db-from-web", "block-all"]


def test_namespaces_and_outputs():
    assert "No resources found in default namespace." in run("get", "networkpolicies", "-f", str(EX / "environments"))
    _, body = rows(run("get", "networkpolicies", "-f", str(EX / "environments"), "-n", "dev"))
    assert [r[0] for r in body] == ["api-from-web"]
    doc = json.loads(run("get", "networkpolicies", "-f", str(EX / "environments"), "-A", "-o", "json"))
    assert doc["kind"] == "List" and {i["metadata"]["name"] for i in doc["items"]} == {"api-from-web", "db-from-web"}
    head, body = rows(run("get", "tiers", "-f", str(EX / "environments")))
    assert [r[0] for r in body][:2] == ["emergency", "securityops"]
    r = CliRunner().invoke(cli, ["get", "frobs", "-f", str(EX / "environments")])
    assert r.exit_code == 2 and "unknown kind" in r.output


def test_explain_pod():
    doc = json.loads(run("explain", "pod", "prod/db-0", "-f", str(EX / "environments"), "-o", "json"))
    ingress = [(t["policy"], t["rule"]["index"]) for t in doc["appliedRules"]["ingress"]]
    assert ingress[0] == ("AntreaNetworkPolicy/prod/ssh-from-bastion", 0)
    assert ("NetworkPolicy/prod/db-from-web", 0) in ingress
    assert doc["isolatedBy"]["ingress"] == ["NetworkPolicy/prod/db-from-web"]
    guest = json.loads(run("explain", "pod", "guestbook/redis-leader-0", "-f", str(EX / "guestbook"), "-o", "json"))
    assert {"ClusterGroup/redis-leader", "ClusterGroup/redis-all"} <= set(guest["groups"])
    r = CliRunner().invoke(cli, ["explain", "pod", "x/none", "-f", str(EX / "guestbook")])
    assert r.exit_code == 2
