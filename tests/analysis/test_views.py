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
    assert by_name["allow-cluster-dns"][3] == "2"
    # CURRENT NODES is what the controller saw realized: unknown offline, never copied from DESIRED
    assert by_name["allow-cluster-dns"][4] == "<unknown>"


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


# --- invented pod addresses -------------------------------------------------------------------

INVENTED = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "dev", "labels": {"app": "web"}},
     "spec": {"containers": [{"name": "c"}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "dev", "labels": {"app": "db"}},
     "spec": {"containers": [{"name": "c"}]}, "status": {"podIP": "10.1.0.5"}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "db-from-range", "namespace": "dev"},
     "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.0/24"}}]}]}},
]


def _invented_bundle(tmp_path, extra=()):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(INVENTED + list(extra)))
    return str(path)


def test_inventory_flags_invented_pod_addresses(tmp_path):
    from tierwall.cluster import load_cluster
    inv = load_cluster([_invented_bundle(tmp_path)]).inventory
    web, db = inv.pod("dev/web"), inv.pod("dev/db")
    assert web.ip_assigned and web.ip.startswith("10.244.") and not db.ip_assigned
    assert inv.invented_ips() == {web.ip} and inv.is_invented(web.ip) and not inv.is_invented(db.ip)
    moved = load_cluster([_invented_bundle(tmp_path)], pod_cidr="10.50.0.0/16").inventory
    assert moved.pod("dev/web").ip.startswith("10.50.")


def test_trace_says_when_an_ipblock_decided_on_an_invented_address(tmp_path):
    path = _invented_bundle(tmp_path)
    out = run("trace", "-f", path, "--from", "dev/web", "--to", "dev/db", "--port", "80")
    assert "Allow" in out and "the verdict rests on an invented address" in out and "10.244.0.0/24" in out
    doc = json.loads(run("trace", "-f", path, "--from", "dev/web", "--to", "dev/db", "--port", "80", "-o", "json"))
    assert any("invented address" in n for n in doc["paths"][0]["notes"])
    # another range: the ipBlock no longer matches, and the trace still says what it compared
    out = run("trace", "-f", path, "--from", "dev/web", "--to", "dev/db", "--port", "80", "--pod-cidr", "10.50.0.0/16")
    assert "Drop" in out and "10.50.0.1" in out and "compared an invented address" in out
    # a real address: no note
    real = dict(INVENTED[1], status={"podIP": "10.244.0.9"})
    (tmp_path / "c.yaml").write_text(yaml.safe_dump_all([INVENTED[0], real] + INVENTED[2:]))
    assert "invented" not in run("trace", "-f", path, "--from", "dev/web", "--to", "dev/db", "--port", "80")
    r = CliRunner().invoke(cli, ["trace", "-f", path, "--from", "dev/web", "--to", "dev/db", "--port", "80",
                                 "--pod-cidr", "nonsense"])
    assert r.exit_code == 2 and "not a CIDR" in r.output


def test_pod_cidr_of_the_node_comes_first(tmp_path):
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"podCIDR": "10.9.0.0/24"},
            "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]}}
    web = dict(INVENTED[1], spec={"nodeName": "n1", "containers": [{"name": "c"}]})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all([node, INVENTED[0], web] + INVENTED[2:]))
    doc = json.loads(run("trace", "-f", str(path), "--from", "dev/web", "--to", "dev/db", "--port", "80",
                         "--pod-cidr", "10.50.0.0/16", "-o", "json"))
    assert doc["paths"][0]["flow"]["from"]["ip"].startswith("10.9.0.")


def test_lint_warns_when_an_ipblock_contains_invented_addresses(tmp_path):
    r = CliRunner().invoke(cli, ["lint", "-f", _invented_bundle(tmp_path), "-o", "json"])
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "TW259"]
    assert len(found) == 1 and "dev/web" in found[0]["message"]
    r = CliRunner().invoke(cli, ["lint", "-f", _invented_bundle(tmp_path), "--pod-cidr", "10.50.0.0/16", "-o", "json"])
    assert not [f for f in json.loads(r.stdout)["findings"] if f["code"] == "TW259"]


def test_built_in_tiers_are_named_by_the_cnis_own_tier_resource():
    """Regression: undeclared (built-in) Calico tiers were printed as tier.crd.antrea.io/…; the
    name comes from the native dialect's declared Tier resource."""
    calico = run("get", "tiers", "-f", str(EX / "calico-rancher-lockdown"), "-o", "name").split()
    assert "tier.projectcalico.org/default" in calico and not any("antrea" in n for n in calico)
    antrea = run("get", "tiers", "-f", str(EX / "environments"), "-o", "name").split()
    assert "tier.crd.antrea.io/baseline" in antrea
