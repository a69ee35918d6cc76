"""tierwall matrix: views, formats, port selection, and agreement with check on an example."""

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli
from tierwall.render.matrix import allows_port, class_port

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "environments")


def run(*args):
    r = CliRunner().invoke(cli, ["matrix", "-f", EXAMPLE, *args])
    assert r.exit_code == 0, r.output
    return r.stdout


def allows(doc, port_set: dict, label: str) -> bool:
    return allows_port(port_set, *class_port(doc, label))


def test_json_pod_view_and_port_selection():
    doc = json.loads(run("-o", "json", "--port", "22", "--port", "53/UDP"))
    assert doc["apiVersion"] == "tierwall.dev/v1alpha3" and doc["by"] == "pod"
    assert doc["kind"] == "ConnectivityMatrix" and doc["ports"] == ["TCP/22", "UDP/53"]
    names = [e["name"] for e in doc["endpoints"]]

    def cell(src, dst, label):
        return allows(doc, doc["portSets"][doc["matrix"][names.index(src)][names.index(dst)]], label)
    assert cell("ops/bastion-0", "prod/db-0", "TCP/22")        # the emergency-tier SSH exception
    assert not cell("ops/bastion-0", "prod/web-0", "TCP/22")   # baseline block-all
    assert cell("test/web-0", "kube-system/coredns-0", "UDP/53")


def test_class_view_agrees_with_pod_view():
    pod = json.loads(run("-o", "json", "--by", "pod"))
    cls = json.loads(run("-o", "json", "--by", "class"))
    assert pod["portSets"] == cls["portSets"] and cls["by"] == "class"
    klass = [e["class"] for e in cls["endpoints"]]
    exceptions = {(e["from"], e["to"]): e["portSet"] for e in cls["exceptions"]}
    names = [e["name"] for e in cls["endpoints"]]
    for i, src in enumerate(names):
        for j, dst in enumerate(names):
            if i != j:
                expected = exceptions.get((src, dst), cls["cells"][klass[i]][klass[j]])
                assert pod["matrix"][i][j] == expected, (src, dst)


def test_namespace_view_counts_and_csv():
    doc = json.loads(run("-o", "json", "--by", "namespace", "--port", "8080"))
    g = doc["groups"]
    test, dev = g.index("test"), g.index("dev")
    test_dev = [(r, n) for s, d, r, n in doc["cells"] if (s, d) == (test, dev)]
    assert sum(n for r, n in test_dev if allows(doc, doc["portSets"][r], "TCP/8080")) == 0
    assert doc["pairs"][dev][dev] == 4
    dev_dev = {r: n for s, d, r, n in doc["cells"] if (s, d) == (dev, dev)}
    assert sum(dev_dev.values()) == 4
    assert sum(n for r, n in dev_dev.items() if allows(doc, doc["portSets"][r], "TCP/8080")) == 3
    rows = list(csv.DictReader(io.StringIO(run("-o", "csv", "--by", "namespace", "--port", "8080"))))
    dev_rows = [r for r in rows if r["from"] == "dev" and r["to"] == "dev"]
    assert sum(int(r["pairs"]) for r in dev_rows if r["allowed"] == "TCP 8080") == 3
    assert all(r["of"] == "4" for r in dev_rows)


def test_csv_pod_view_one_row_per_pair_with_ranges():
    rows = list(csv.DictReader(io.StringIO(run("-o", "csv"))))
    names = [e["name"] for e in json.loads(run("-o", "json"))["endpoints"]]
    assert len(rows) == len(names) ** 2
    bastion_db = next(r for r in rows if r["from"] == "ops/bastion-0" and r["to"] == "prod/db-0")
    assert bastion_db["allowed"] == "TCP 22" and bastion_db["rejected"] == ""
    self_row = next(r for r in rows if r["from"] == "ops/bastion-0" and r["to"] == "ops/bastion-0")
    assert self_row["allowed"] == "TCP 1-65535; UDP 1-65535; ICMP"


def test_table_dot_and_image(tmp_path):
    assert "from \\ to" in run("--by", "namespace", "--port", "22")
    dot = run("-o", "dot", "--by", "namespace", "--port", "22")
    assert dot.startswith("digraph") and '"ops" -> "prod"' in dot
    out = tmp_path / "m.svg"
    run("-o", "svg", "--by", "namespace", "--out", str(out))
    assert out.read_text().lstrip().startswith("<?xml")


def test_bad_port_spec_is_a_usage_error():
    r = CliRunner().invoke(cli, ["matrix", "-f", EXAMPLE, "--port", "http/TCP"])
    assert r.exit_code == 2 and "expected PORT" in r.output


def _ranges_cluster(tmp_path):
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}]
    for name, app, ip in (("p1", "x", "10.0.0.1"), ("p2", "y", "10.0.0.2")):
        objs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "a",
                                                                      "labels": {"app": app}},
                     "spec": {"nodeName": "n1", "containers": [{"name": "c"}]}, "status": {"podIP": ip}})
    for i in range(16):
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": f"r{i}", "namespace": "a"},
                     "spec": {"podSelector": {"matchLabels": {"app": "x" if i % 2 else "y"}}, "policyTypes": ["Ingress"],
                              "ingress": [{"ports": [{"port": 1000 + 100 * i, "endPort": 1010 + 100 * i}],
                                           "from": [{"podSelector": {"matchLabels": {"app": "y" if i % 4 < 2 else "x"}}}]}]}})
    path = tmp_path / "c.yaml"
    import yaml
    path.write_text(yaml.safe_dump_all(objs))
    return path


def test_images_page_their_panels_and_say_what_is_left_out(tmp_path, monkeypatch):
    """Regression (issue 13): 10 port classes drew 6 panels and said nothing about the rest."""
    import tierwall.render.matrix as rm
    path = _ranges_cluster(tmp_path)
    monkeypatch.setattr(rm, "MAX_PANELS", 1)
    out = tmp_path / "m.png"
    r = CliRunner().invoke(cli, ["matrix", "-f", str(path), "-o", "png", "--out", str(out)])
    assert r.exit_code == 0, r.output
    pages = sorted(tmp_path.glob("m*.png"))
    assert len(pages) >= 3 and "note:" not in r.output  # every panel drawn, one per page
    monkeypatch.setattr(rm, "MAX_PAGES", 1)
    r = CliRunner().invoke(cli, ["matrix", "-f", str(path), "-o", "png", "--out", str(tmp_path / "n.png")])
    assert r.exit_code == 0 and "more panel(s) not drawn" in r.output and "port class(es)" in r.output


def test_table_merges_port_classes_with_identical_verdicts(tmp_path):
    out = CliRunner().invoke(cli, ["matrix", "-f", str(_ranges_cluster(tmp_path))]).stdout
    tables = out.count("from \\ to")
    assert 2 <= tables <= 4, out  # 16 ranges (+ other, UDP, ICMP) share 3 verdict patterns here
    assert "TCP/1000-1010, TCP/1300-1310" in out


def test_namespace_view_groups_outside_pieces_every_rule_treats_alike(tmp_path):
    """10.0.0.0/8 except 10.1.0.0/16 cuts three pieces; the two outside the except get the same
    verdicts from every rule, so the namespace view shows them as one group and lists them."""
    import yaml
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a", "labels": {"app": "p"}},
             "spec": {"nodeName": "n1", "containers": [{"name": "c"}]}, "status": {"podIP": "192.168.0.5"}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "out", "namespace": "a"},
             "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                      "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}}]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    r = CliRunner().invoke(cli, ["matrix", "-f", str(path), "-o", "json", "--by", "pod"])
    pod = json.loads(r.stdout)
    names = [e["name"] for e in pod["endpoints"]]
    pieces = [n for n in names if n.startswith("ext:10.")]
    assert len(pieces) == 3
    r = CliRunner().invoke(cli, ["matrix", "-f", str(path), "-o", "json", "--by", "namespace"])
    doc = json.loads(r.stdout)
    merged = doc["groupMembers"]  # the except piece is treated as the internet is: one group too
    assert merged["internet +1"] == ["internet", "ext:10.1.0.0/16"]
    (group, members), = [(g, m) for g, m in merged.items() if g != "internet +1"]
    assert group in doc["groups"] and group.endswith(" +1") and len(members) == 2
    assert set(members) == set(pieces) - {"ext:10.1.0.0/16"}
    src = names.index("a/p")
    rows = {pod["matrix"][src][names.index(m)] for m in members}
    assert len(rows) == 1  # the pieces merged have the same verdicts from the pod
    g = doc["groups"]
    cells = [(r, n) for s, d, r, n in doc["cells"] if (s, d) == (g.index("a"), g.index(group))]
    assert cells == [(rows.pop(), 2)]
