"""Every lint code: a minimal bundle that triggers it, and a close one that must not."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import dump, namespace, pod, service, world
from tierwall.analysis.codes import CHECKS
from tierwall.cli.main import cli

A = "crd.antrea.io/v1beta1"


def acnp(name, spec):
    return {"apiVersion": A, "kind": "ClusterNetworkPolicy", "metadata": {"name": name}, "spec": spec}


def np(name, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def rule(action, ns=None, ports=None, from_=None, **extra):
    r = {"action": action, **extra}
    if ns:
        r["from"] = [{"namespaceSelector": {"matchLabels": {"ns": ns}}}]
    if ports:
        r["ports"] = ports
    return r


X = {"appliedTo": [{"namespaceSelector": {"matchLabels": {"ns": "x"}}}]}
DNS = [namespace("kube-system"), pod("kube-system", "coredns-0", "10.10.9.9", {"k8s-app": "kube-dns"},
                                    ports=[("dns", 53, "UDP")])]
CALICO_GNP = lambda sel: {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",  # noqa: E731
                          "metadata": {"name": "g"}, "spec": {"selector": sel, "ingress": [{"action": "Deny"}]}}

CASES = {
    "TW250": ([acnp("p", {"priority": 1, **X, "ingress": [rule("Drop", "y"), rule("Allow", "y", [{"port": 80}])]})],
              [acnp("p", {"priority": 1, **X, "ingress": [rule("Allow", "y", [{"port": 80}]), rule("Drop", "y")]})]),
    "TW251": ([acnp("p", {"priority": 1, **X, "ingress": [rule("Drop", "y"), rule("Drop", "y", [{"port": 80}])]})],
              [acnp("p", {"priority": 1, **X, "ingress": [rule("Drop", "y", [{"port": 80}]), rule("Drop", "y")]})]),
    "TW252": ([acnp("a", {"priority": 1, "tier": "securityops", **X, "ingress": [rule("Allow", "y")]}),
               acnp("b", {"priority": 1, "tier": "application", **X, "ingress": [rule("Drop", "y")]})],
              [acnp("a", {"priority": 1, "tier": "securityops", **X, "ingress": [rule("Allow", "y", [{"port": 80}])]}),
               acnp("b", {"priority": 1, "tier": "application", **X, "ingress": [rule("Drop", "y")]})]),
    "TW253": ([acnp("a", {"priority": 1, "tier": "securityops", **X, "ingress": [rule("Drop")]}),
               np("n", "x", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})],
              [acnp("a", {"priority": 1, "tier": "securityops", **X, "ingress": [rule("Drop", "y")]}),
               np("n", "x", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})]),
    "TW254": ([acnp("a", {"priority": 1, "appliedTo": [{"podSelector": {"matchLabels": {"pod": "nope"}}}],
                          "ingress": [rule("Drop")]})],
              [acnp("a", {"priority": 1, "appliedTo": [{"podSelector": {"matchLabels": {"pod": "a"}}}],
                          "ingress": [rule("Drop")]})]),
    "TW255": ([np("n", "x", {"podSelector": {}, "ingress": [{"ports": [{"port": "grpc"}]}]})],
              [np("n", "x", {"podSelector": {}, "ingress": [{"ports": [{"port": "serve-80"}]}]})]),
    "TW256": ([acnp("a", {"priority": 5, **X, "ingress": [rule("Allow", "y")]}),
               acnp("b", {"priority": 5, **X, "ingress": [rule("Drop", "z")]})],
              [acnp("a", {"priority": 5, **X, "ingress": [rule("Allow", "y")]}),
               acnp("b", {"priority": 6, **X, "ingress": [rule("Drop", "z")]})]),
    "TW257": ([CALICO_GNP("ns == 'x'")], [CALICO_GNP("pod == 'a'")]),
    "TW258": (DNS + [acnp("a", {"priority": 1, "appliedTo": [{"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                "ingress": [rule("Drop")]})],
              DNS + [acnp("a", {"priority": 1, "appliedTo": [{"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                                "ingress": [rule("Drop", ports=[{"port": 80}])]})]),
    "TW111": ([np("n", "x", {"podSelector": {}, "policyTypes": ["Both"]})], [np("n", "x", {"podSelector": {}})]),
    "TW112": ([acnp("a", {"priority": 1, "ingress": [rule("Drop")]})], [acnp("a", {"priority": 1, **X, "ingress": [rule("Drop")]})]),
    "TW113": ([CALICO_GNP("a = 'b'")], [CALICO_GNP("a == 'b'")]),
    "TW114": ([{"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": "other"}, "spec": {"subject": {"namespaces": {}}}}],
              [{"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": "default"}, "spec": {"subject": {"namespaces": {}}}}]),
    "TW116": ([{**pod("x", "bad", "10.10.9.1"), "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 0}]}]}}],
              [pod("x", "good", "10.10.9.1")]),
    "TW105": ([CALICO_GNP("all()"), acnp("a", {"priority": 1, **X, "ingress": [rule("Drop")]})],
              [acnp("a", {"priority": 1, **X, "ingress": [rule("Drop")]})]),
    "TW106": ([np("n", "x", {"podSelector": {}}), np("n", "x", {"podSelector": {}})], [np("n", "x", {"podSelector": {}})]),
    "TW206": ([pod("ghost", "p", "10.10.9.2")], [namespace("ghost"), pod("ghost", "p", "10.10.9.2")]),
    "TW210": ([np("n", "x", {"podSelector": {}, "ingres": []})], [np("n", "x", {"podSelector": {}, "ingress": []})]),
    "TW215": ([{"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "p"}, "spec": {"childGroups": ["c"]}}],
              [{"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "p"}, "spec": {"childGroups": ["c"]}},
               {"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "c"}, "spec": {"podSelector": {}}}]),
    "TW107": ([{"apiVersion": A, "kind": "Tier", "metadata": {"name": "t"}, "spec": {"priority": 220}},
               {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                "metadata": {"name": "c"}, "spec": {"tier": "Admin", "priority": 1, "subject": {"namespaces": {}}}}],
              [{"apiVersion": A, "kind": "Tier", "metadata": {"name": "t"}, "spec": {"priority": 221}},
               {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                "metadata": {"name": "c"}, "spec": {"tier": "Admin", "priority": 1, "subject": {"namespaces": {}}}}]),
    "TW115": ([{"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "t"},
                "spec": {"cases": [{"from": "x/a", "to": "x/b", "port": 80, "expect": "Maybe"}]}}],
              [{"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "t"},
                "spec": {"cases": [{"from": "x/a", "to": "x/b", "port": 80, "expect": "Allow"}]}}]),
    "TW202": ([namespace("dup"), namespace("dup")], [namespace("dup")]),
    "TW203": ([pod("x", "far", "10.10.9.3", node="node-9")], [pod("x", "near", "10.10.9.3", node="node-1")]),
    "TW204": ([{"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "nosvc", "namespace": "x"}, "subsets": []}],
              [service("x", "svc", {"pod": "a"}, [(80, 80, "TCP")]),
               {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "svc", "namespace": "x"}, "subsets": []}]),
    "TW205": ([{**pod("x", "h", "10.10.9.4", host_network=True, node="nowhere"), "status": {"phase": "Running"}}],
              [pod("x", "h", "172.18.0.3", host_network=True, node="node-1")]),
    "TW212": ([acnp("a", {"priority": 1, **X, "ingress": [rule("Drop", from_=None, **{"from": [{"externalEntitySelector": {}}]})]})],
              [acnp("a", {"priority": 1, **X, "ingress": [rule("Drop", "y")]})]),
    "TW213": ([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "manual", "namespace": "x"},
                "spec": {"ports": [{"port": 80}]}},
               {"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "g"},
                "spec": {"serviceReference": {"name": "manual", "namespace": "x"}}}],
              [service("x", "auto", {"pod": "a"}, [(80, 80, "TCP")]),
               {"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "g"},
                "spec": {"serviceReference": {"name": "auto", "namespace": "x"}}}]),
    "TW214": ([{"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "p"}, "spec": {"childGroups": ["c"]}},
               {"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "c"}, "spec": {"childGroups": ["g"]}},
               {"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "g"}, "spec": {"podSelector": {}}}],
              [{"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "p"}, "spec": {"childGroups": ["c"]}},
               {"apiVersion": A, "kind": "ClusterGroup", "metadata": {"name": "c"}, "spec": {"podSelector": {}}}]),
    "TW216": ([acnp("a", {"priority": 1, **X, "ingress": [{"action": "Drop", "from": [
                {"namespaceSelector": {}, "scope": "ClusterSet"}]}]})],
              [acnp("a", {"priority": 1, **X, "ingress": [{"action": "Drop", "from": [{"namespaceSelector": {}}]}]})]),
    "TW217": ([{"apiVersion": A, "kind": "Group", "metadata": {"name": "g", "namespace": "x"},
                "spec": {"namespaceSelector": {}}},
               {"apiVersion": A, "kind": "NetworkPolicy", "metadata": {"name": "n", "namespace": "x"},
                "spec": {"priority": 1, "appliedTo": [{"group": "g"}], "ingress": [rule("Drop")]}}],
              [{"apiVersion": A, "kind": "Group", "metadata": {"name": "g", "namespace": "x"},
                "spec": {"podSelector": {}}},
               {"apiVersion": A, "kind": "NetworkPolicy", "metadata": {"name": "n", "namespace": "x"},
                "spec": {"priority": 1, "appliedTo": [{"group": "g"}], "ingress": [rule("Drop")]}}]),
    "TW218": ([acnp("a", {"priority": 1, "appliedTo": [{"nodeSelector": {}}], "ingress": [rule("Drop")]})],
              [acnp("a", {"priority": 1, "appliedTo": [{"podSelector": {}}], "ingress": [rule("Drop")]})]),
    "TW219": ([acnp("a", {"priority": 1, "appliedTo": [{}], "ingress": [rule("Drop")]})],
              [acnp("a", {"priority": 1, "appliedTo": [{"podSelector": {}}], "ingress": [rule("Drop")]})]),
    "TW220": ([acnp("a", {"priority": 1, **X, "ingress": [rule("Drop", protocols=[{"igmp": {"igmpType": 17}}])]})],
              [acnp("a", {"priority": 1, **X, "ingress": [rule("Drop", protocols=[{"icmp": {}}])]})]),
    "TW221": ([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hl", "namespace": "x"},
                "spec": {"clusterIP": "None", "selector": {"pod": "a"}, "ports": [{"port": 80}]}},
               acnp("a", {"priority": 1, **X, "egress": [{"action": "Drop", "toServices": [{"name": "hl", "namespace": "x"}]}]})],
              [service("x", "cip", {"pod": "a"}, [(80, 80, "TCP")]),
               acnp("a", {"priority": 1, **X, "egress": [{"action": "Drop", "toServices": [{"name": "cip", "namespace": "x"}]}]})]),
    "TW222": ([{"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
                "spec": {"priority": 1, "subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"future": {}}]}]}}],
              [{"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "a"},
                "spec": {"priority": 1, "subject": {"namespaces": {}}, "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}}]),
    "TW223": ([{**CALICO_GNP("all()"), "spec": {"selector": "all()", "doNotTrack": True, "applyOnForward": True}}],
              [CALICO_GNP("all()")]),
    "TW224": ([{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": "d"},
                "spec": {"allowedEgressDomains": ["example.com"]}}],
              [{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": "d"},
                "spec": {"nets": ["192.0.2.0/24"]}}]),
    "TW225": ([{"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint", "metadata": {"name": "h"}, "spec": {}},
               CALICO_GNP("all()")],
              [CALICO_GNP("all()")]),
}


def test_unusable_input_codes(tmp_path):
    (tmp_path / "bad.yaml").write_text("kind: [\n")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    (tmp_path / "empty").mkdir()
    for args, code in (([str(tmp_path / "nope.yaml")], "TW101"), ([str(tmp_path / "bad.yaml")], "TW102"),
                       ([str(tmp_path / "list.yaml")], "TW103")):
        r = CliRunner().invoke(cli, ["lint", "-f", *args, "-o", "json"])
        assert r.exit_code == 2 and code in {f["code"] for f in json.loads(r.stdout)["findings"]}
    r = CliRunner().invoke(cli, ["lint", "-f", str(tmp_path / "empty"), "-o", "json"])
    assert "TW201" in {f["code"] for f in json.loads(r.stdout)["findings"]}


def lint_codes(tmp_path, objs, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(dump(world() + objs))
    r = CliRunner().invoke(cli, ["lint", "-f", str(path), "-o", "json"])
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, {f["code"] for f in json.loads(r.stdout)["findings"]}


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_triggers_and_clean_bundle_does_not(code, tmp_path):
    bad, good = CASES[code]
    rc_bad, bad_codes = lint_codes(tmp_path, bad, "bad")
    rc_good, good_codes = lint_codes(tmp_path, good, "good")
    assert code in bad_codes, bad_codes
    assert code not in good_codes, good_codes
    if CHECKS[code][1] == "error":
        assert rc_bad == 1


def test_unusable_input_exits_2_and_strict_fails_on_warnings(tmp_path):
    (tmp_path / "broken.yaml").write_text("a: [\n")
    assert CliRunner().invoke(cli, ["lint", "-f", str(tmp_path / "broken.yaml")]).exit_code == 2
    bad, _ = CASES["TW251"]
    path = tmp_path / "w.yaml"
    path.write_text(dump(world() + bad))
    assert CliRunner().invoke(cli, ["lint", "-f", str(path)]).exit_code == 0
    assert CliRunner().invoke(cli, ["lint", "-f", str(path), "--strict"]).exit_code == 1


def test_sarif(tmp_path):
    bad, _ = CASES["TW250"]
    path = tmp_path / "s.yaml"
    path.write_text(dump(world() + bad))
    doc = json.loads(CliRunner().invoke(cli, ["lint", "-f", str(path), "-o", "sarif"]).stdout)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "tierwall"
    result = next(r for r in run["results"] if r["ruleId"] == "TW250")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] > 0
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "TW250"


def test_every_code_in_the_sources_is_documented():
    src = Path(__file__).resolve().parents[2] / "src" / "tierwall"
    used = {m for p in src.rglob("*.py") for m in re.findall(r'"(TW\d{3})"', p.read_text())}
    assert used <= set(CHECKS), used - set(CHECKS)
    docs = (src.parents[1] / "docs" / "lint.md").read_text()
    assert all(code in docs for code in CHECKS)


def test_shared_acceptance_bundles_lint_without_errors(tmp_path):
    import importlib.util
    from helpers import SHARED
    spec = importlib.util.spec_from_file_location("c2b", SHARED / "tools" / "case2bundle.py")
    c2b = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(c2b)
    for case in sorted((SHARED / "acceptance").glob("*/*.yaml")):
        if case.name == "selectors.yaml":
            continue
        out = tmp_path / case.stem
        c2b.main(case, out)
        r = CliRunner().invoke(cli, ["lint", "-f", str(out / "cluster.yaml"), "-f", str(out / "policies.yaml"),
                                     "--cni", (out / "cni").read_text(), "-o", "json"])
        assert r.exit_code == 0, f"{case.name}: {r.output[:2000]}"
