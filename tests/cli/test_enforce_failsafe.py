"""enforce never fails open: Calico L4/entity rules are compiled, what cannot be compiled stops
the command (or fails closed with --allow-partial), names from outside never become nft
statements, comments fit nft's byte limit, reloads keep the table and swap its contents."""

import subprocess
import uuid

import pytest
from click.testing import CliRunner

from tierwall.cli.main import cli

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: db, labels: {team: data}}
---
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Pod
metadata: {name: pg, namespace: db, labels: {app: pg}}
spec: {containers: [{name: c, ports: [{containerPort: 5432, name: sql}]}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: c}]}
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web2, namespace: app, labels: {app: web}}
spec: {containers: [{name: c}]}
status: {podIP: 10.1.0.3}
"""

CALICO_DENY = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: no-sql}
spec:
  order: 10
  selector: app == 'pg'
  types: [Ingress]
  ingress:
  - {action: Deny, protocol: TCP, destination: {ports: [5432]}}
  - {action: Allow}
"""

FQDN = """
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: fqdn}
spec:
  priority: 1
  appliedTo: [{namespaceSelector: {}}]
  egress:
  - {action: %s, to: [{fqdn: "*.example.com"}]}
"""


def _files(tmp_path, *texts):
    paths = []
    for i, text in enumerate(texts):
        p = tmp_path / f"in{i}.yaml"
        p.write_text(text)
        paths += ["-f", str(p)]
    return paths


def _invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def netns():
    name = f"twfs-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name])


def _nft(ns, *args, input=None):
    return subprocess.run(["ip", "netns", "exec", ns, "nft", *args], input=input, capture_output=True, text=True)


def test_calico_protocol_rules_are_compiled_not_left_out(tmp_path):
    r = _invoke("enforce", *_files(tmp_path, PODS, CALICO_DENY))
    assert r.exit_code == 0, r.output
    assert "unsupported" not in r.stderr
    deny = [line for line in r.stdout.splitlines() if "no-sql|ingress rule 0" in line]
    assert deny and all("meta l4proto tcp" in line and "5432" in line and " drop " in line for line in deny), deny


def test_calico_entity_conditions_become_address_and_port_matches(tmp_path):
    policy = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: ent}
spec:
  order: 1
  selector: app == 'pg'
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    source: {selector: app == 'web', notNets: [10.1.0.3/32]}
    destination: {notPorts: [22], ports: [sql]}
  - {action: Deny, protocol: ICMP, notICMP: {type: 8, code: 0}}
  - {action: Allow, notProtocol: UDP, ipVersion: 4}
"""
    r = _invoke("enforce", *_files(tmp_path, PODS, policy))
    assert r.exit_code == 0, r.output
    text = r.stdout
    rule0 = [line for line in text.splitlines() if "ent|ingress rule 0" in line]
    assert rule0 and all("ip saddr @" in line and "ip saddr != @" in line and "th dport != { 22 }" in line
                         and "ip daddr . th dport { 10.1.0.1 . 5432 }" in line for line in rule0), rule0
    assert any("icmp type != 8" in line for line in text.splitlines() if "ent|ingress rule 1" in line)
    assert any("icmp type 8 icmp code != 0" in line for line in text.splitlines() if "ent|ingress rule 1" in line)
    assert any("meta nfproto ipv4 meta l4proto != udp" in line for line in text.splitlines()
               if "ent|ingress rule 2" in line)


def test_uncompilable_rule_stops_enforce_and_is_reported_once(tmp_path):
    r = _invoke("enforce", *_files(tmp_path, PODS, FQDN % "Allow"))
    assert r.exit_code == 2, r.output
    assert r.stdout == ""  # nothing printed that a script could load
    assert r.stderr.count("an FQDN peer") == 1  # once, not once per pod
    assert "--allow-partial" in r.stderr


def test_allow_partial_leaves_an_allow_out_and_makes_a_drop_fail_closed(tmp_path):
    r = _invoke("enforce", "--allow-partial", *_files(tmp_path, PODS, FQDN % "Allow"))
    assert r.exit_code == 0, r.output
    assert "fqdn|egress rule 0" not in r.stdout
    r = _invoke("enforce", "--allow-partial", *_files(tmp_path, PODS, FQDN % "Drop"))
    assert r.exit_code == 0, r.output
    assert r.stderr.count("fails closed") == 1
    lines = [line for line in r.stdout.splitlines() if "fqdn|egress rule 0" in line]
    assert len(lines) == 3  # one per pod: a drop of every destination
    assert all(line.strip().startswith("counter drop comment") and "fail-closed" in line for line in lines)


def test_to_services_matches_the_dialled_cluster_ip(tmp_path):
    dns = """
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: db}
spec:
  clusterIP: 10.96.0.10
  selector: {app: pg}
  ports: [{port: 53, protocol: UDP, targetPort: 5432}]
---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: dns}
spec:
  priority: 1
  appliedTo: [{podSelector: {matchLabels: {app: web}}}]
  egress:
  - {action: Allow, toServices: [{name: kube-dns, namespace: db}]}
  - {action: Drop, to: [{ipBlock: {cidr: 0.0.0.0/0}}]}
"""
    r = _invoke("enforce", *_files(tmp_path, PODS, dns))
    assert r.exit_code == 0, r.output
    assert "unsupported" not in r.stderr
    line = next(line for line in r.stdout.splitlines() if "dns|egress rule 0" in line)
    set_name = line.split("ct original ip daddr @")[1].split()[0]
    assert f"set {set_name} {{ type ipv4_addr; flags interval; elements = {{ 10.96.0.10/32 }} }}" in r.stdout


LONG_NAME = "ÿ" * 200


def test_comments_fit_nft_limits_in_bytes(tmp_path, netns):
    policy = f"""
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {{name: "{'x' * 200}"}}
spec:
  priority: 1
  appliedTo: [{{namespaceSelector: {{}}}}]
  ingress:
  - {{action: Drop, name: "{LONG_NAME}\\"\\\\", from: [{{namespaceSelector: {{}}}}]}}
"""
    r = _invoke("enforce", "--log", *_files(tmp_path, PODS, policy))
    assert r.exit_code == 0, r.output
    for line in r.stdout.splitlines():
        for key, limit in (('comment "', 128), ('log prefix "', 127)):
            if key in line:
                value = line.split(key, 1)[1].split('"', 1)[0]
                assert len(value.encode()) <= limit, value
    load = _nft(netns, "-f", "-", input=r.stdout)
    assert load.returncode == 0, load.stderr


@pytest.mark.parametrize("bad", ['x" : accept } ; flush ruleset ; table inet y { chain z {', "name with space",
                                 "a/b", "sixteen-bytes-xx", "", "é" * 8])
def test_iface_map_values_are_validated(tmp_path, bad):
    mapping = tmp_path / "map.yaml"
    import yaml
    mapping.write_text(yaml.safe_dump({"db/pg": bad}))
    r = _invoke("enforce", "--iface-map", str(mapping), *_files(tmp_path, PODS, CALICO_DENY))
    assert r.exit_code == 2, r.output
    assert "interface name" in r.stderr and "db/pg" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("table", ["a b", 'x"', "t;flush ruleset", "1abc", "x" * 70])
def test_table_is_validated(tmp_path, table):
    r = _invoke("enforce", "--table", table, *_files(tmp_path, PODS, CALICO_DENY))
    assert r.exit_code == 2, r.output
    assert "table name" in r.stderr


def test_reload_keeps_table_and_swaps_contents_in_one_transaction(tmp_path, netns):
    """The second load replaces set contents and removes the chains of pods that are gone, with the
    same table and base chain (handles stay): no moment without the old verdicts."""
    from tierwall.cluster import load_cluster
    from tierwall.enforce.kernel import load_ruleset
    from tierwall.enforce.nft import compile_ruleset
    first = load_cluster([str(p) for p in (tmp_path / "a.yaml", tmp_path / "b.yaml")
                          if p.write_text(PODS if p.name == "a.yaml" else CALICO_DENY) or True])
    rs1 = compile_ruleset(first.compiled, {p.key: f"v{p.index}" for p in first.inventory.pods}, table="tw")
    load_ruleset(rs1, netns)
    handle = _nft(netns, "-a", "list", "chain", "inet", "tw", "forward").stdout.split("# handle ")[1].split()[0]
    (tmp_path / "a.yaml").write_text(PODS.split("---\napiVersion: v1\nkind: Pod\nmetadata: {name: web2")[0])
    second = load_cluster([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    rs2 = compile_ruleset(second.compiled, {p.key: f"v{p.index}" for p in second.inventory.pods}, table="tw")
    load_ruleset(rs2, netns)
    listing = _nft(netns, "-a", "list", "table", "inet", "tw").stdout
    assert f"chain forward {{ # handle {handle}" in listing  # the base chain was never re-created
    assert "10.1.0.3" not in listing  # no stale set element of the pod that is gone
    assert "chain e2_0" not in listing and "chain i2_0" not in listing  # its chains are gone too
    assert "table inet tw" in _nft(netns, "list", "tables").stdout
    refused = subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], text=True,
                             input=rs2.text.replace("counter drop", "counter dropp", 1), capture_output=True)
    assert refused.returncode != 0
    assert _nft(netns, "-a", "list", "table", "inet", "tw").stdout == listing  # all or nothing


def test_made_up_pod_addresses_stop_enforce(tmp_path):
    no_ip = PODS.replace("status: {podIP: 10.1.0.3}\n", "")
    r = _invoke("enforce", *_files(tmp_path, no_ip, CALICO_DENY))
    assert r.exit_code == 2, r.output
    assert "1 pod(s) have no status.podIP (app/web2)" in r.stderr and r.stdout == ""
    assert _invoke("enforce", "--allow-partial", *_files(tmp_path, no_ip, CALICO_DENY)).exit_code == 0
