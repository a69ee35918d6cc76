"""Services as matrix destinations (issue 13): the flow addressed to a Service, followed to its
endpoints, with rules that name the Service (Antrea toServices) matching before DNAT."""

from helpers import build, namespace, node, pod, service, verdict
from tierwall.engine.matrix import ALLOW, DROP, REJECT, UNKNOWN, compute_matrix
from tierwall.engine.services import NOT_APPLICABLE


def _dns_world(extra=()):
    objs = [node("node-1", "172.18.0.2"), node("node-2", "172.18.0.3"),
            namespace("kube-system"), namespace("app"),
            pod("kube-system", "coredns-1", "10.0.9.1", {"k8s-app": "kube-dns"}, node="node-1",
                ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")]),
            pod("kube-system", "coredns-2", "10.0.9.2", {"k8s-app": "kube-dns"}, node="node-2",
                ports=[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")]),
            pod("app", "client", "10.0.1.1", {"app": "client"}),
            pod("app", "other", "10.0.1.2", {"app": "other"}),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kube-dns", "namespace": "kube-system"},
             "spec": {"selector": {"k8s-app": "kube-dns"}, "clusterIP": "10.96.0.10",
                      "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"},
                                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}}]
    return objs + list(extra)


def _acnp(name, priority, applied, egress):
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": name},
            "spec": {"priority": priority, "tier": "application", "appliedTo": [applied], "egress": egress}}


DNS_VIA_SERVICE = [
    _acnp("allow-dns", 1, {"podSelector": {"matchLabels": {"app": "client"}}},
          [{"action": "Allow", "toServices": [{"name": "kube-dns", "namespace": "kube-system"}]}]),
    _acnp("deny-rest", 2, {"podSelector": {}}, [{"action": "Drop", "to": [{"podSelector": {}}]}]),
]


def _cell(m, src, svc, port):
    i = m.names.index(src)
    t = next(k for k, tg in enumerate(m.services.targets) if tg.name == f"svc:{svc}" and tg.label == port)
    return m.services.code(m.klass, i, t)


def test_dns_via_the_kube_dns_service_with_an_antrea_to_services_rule_is_allowed():
    cluster = build(_dns_world(DNS_VIA_SERVICE), "antrea")
    m = compute_matrix(cluster.compiled, services=True)
    assert _cell(m, "app/client", "kube-system/kube-dns", "UDP/53") == ALLOW
    assert _cell(m, "app/client", "kube-system/kube-dns", "TCP/53") == ALLOW
    assert verdict(cluster, "app/client", "service/kube-system/kube-dns", 53, "UDP") == "Allow"
    # the rule matches the Service only: the same pods addressed directly are dropped
    a = next(k for k, p in enumerate(m.ports) if p.protocol == "UDP" and any(lo <= 53 <= hi for lo, hi in p.ranges))
    assert m.verdict(m.names.index("app/client"), m.names.index("kube-system/coredns-1"), a).value == "Drop"
    # a pod the toServices policy does not apply to is dropped by deny-rest
    assert _cell(m, "app/other", "kube-system/kube-dns", "UDP/53") == DROP


def test_a_service_without_endpoints_rejects_and_a_mixed_service_is_unknown():
    objs = _dns_world([
        service("app", "empty", {"app": "nobody"}, [(80, 80, "TCP")], cluster_ip="10.96.0.20"),
        service("app", "mixed", {"tier": "back"}, [(53, 53, "UDP")], cluster_ip="10.96.0.21"),
        pod("app", "back-1", "10.0.1.5", {"tier": "back", "pod": "back-1"}),
        pod("app", "back-2", "10.0.1.6", {"tier": "back", "pod": "back-2"}),
        _acnp("to-back-1-only", 1, {"podSelector": {"matchLabels": {"app": "other"}}},
              [{"action": "Allow", "to": [{"podSelector": {"matchLabels": {"pod": "back-1"}}}]}, {"action": "Drop"}]),
        {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": "isolate-back"},
         "spec": {"priority": 2, "tier": "application", "appliedTo": [{"podSelector": {"matchLabels": {"tier": "back"}}}],
                  "ingress": [{"action": "Drop"}]}}])
    cluster = build(objs, "antrea")
    m = compute_matrix(cluster.compiled, services=True)
    assert _cell(m, "app/other", "app/empty", "TCP/80") == REJECT
    assert verdict(cluster, "app/other", "service/app/empty", 80) == "Reject"
    # back-1 allowed by the source's egress, back-2 not: the endpoints disagree
    assert _cell(m, "app/client", "app/mixed", "UDP/53") == DROP  # ingress drops both
    # hairpin: back-1 reaches itself through the Service (ingress exempt), back-2 is dropped
    assert _cell(m, "app/back-1", "app/mixed", "UDP/53") == UNKNOWN
    assert verdict(cluster, "app/back-1", "service/app/mixed", 53, "UDP") == "Unknown"
    assert (m.names.index("app/back-1"), next(t for t, tg in enumerate(m.services.targets)
                                             if tg.name == "svc:app/mixed")) in m.services.overrides


def test_a_node_port_service_from_an_outside_endpoint():
    np_svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "app"},
              "spec": {"type": "NodePort", "selector": {"app": "other"}, "clusterIP": "10.96.0.30",
                       "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30080}]}}
    cip_svc = service("app", "internal", {"app": "other"}, [(81, 8080, "TCP")], cluster_ip="10.96.0.31")
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web",
                                                                                          "namespace": "app"},
              "spec": {"podSelector": {"matchLabels": {"app": "other"}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 8080}]}]}}
    cluster = build(_dns_world([np_svc, cip_svc, policy]), "antrea")
    m = compute_matrix(cluster.compiled, externals=["203.0.113.7", "198.51.100.7"], outside=True, services=True)
    assert _cell(m, "203.0.113.7", "app/web", "TCP/80") == ALLOW
    assert verdict(cluster, "203.0.113.7", "service/app/web", 80) == "Allow"
    assert _cell(m, "198.51.100.7", "app/web", "TCP/80") == DROP
    assert _cell(m, "203.0.113.7", "app/internal", "TCP/81") == NOT_APPLICABLE
    assert _cell(m, "app/client", "app/web", "TCP/80") == DROP


def test_diff_reports_a_change_that_blocks_dns_through_the_kube_dns_service(tmp_path):
    import json

    from click.testing import CliRunner

    from helpers import dump
    from tierwall.cli.main import cli

    before = tmp_path / "before.yaml"
    before.write_text(dump(_dns_world(DNS_VIA_SERVICE)))
    blocked = [dict(DNS_VIA_SERVICE[0], spec={**DNS_VIA_SERVICE[0]["spec"], "egress": [
        {"action": "Drop", "toServices": [{"name": "kube-dns", "namespace": "kube-system"}]}]}), DNS_VIA_SERVICE[1]]
    after = tmp_path / "after.yaml"
    after.write_text(dump(_dns_world(blocked)))
    r = CliRunner().invoke(cli, ["diff", "--before", str(before), "--after", str(after), "--cni", "antrea",
                                 "--by", "pod", "-o", "json", "--exit-code"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    dns = {(c["from"], c["to"], c["port"]): c for c in doc["changes"]}
    udp = dns[("app/client", "svc:kube-system/kube-dns", "UDP/53")]
    assert udp["change"] == "newly denied" and udp["before"] == "Allow" and udp["after"] == "Drop"
    assert udp["decidedAfter"]["policy"] == "ClusterNetworkPolicy/allow-dns"
    assert ("app/client", "svc:kube-system/kube-dns", "TCP/53") in dns
    # pod-to-pod connectivity did not change: the only changes are to the Service
    assert {c["to"] for c in doc["changes"]} == {"svc:kube-system/kube-dns"}
    text = CliRunner().invoke(cli, ["diff", "--before", str(before), "--after", str(after), "--cni", "antrea"])
    assert "app/client → svc:kube-system/kube-dns" in text.output


def test_every_output_shows_the_service_destinations(tmp_path):
    """JSON (pod, class and namespace views), CSV and the table name the Service column and
    give the same verdicts; the legend no longer says Service traffic is not covered."""
    import json

    from click.testing import CliRunner

    from helpers import dump
    from tierwall.cli.main import cli

    path = tmp_path / "c.yaml"
    path.write_text(dump(_dns_world(DNS_VIA_SERVICE)))
    run = lambda *a: CliRunner().invoke(cli, ["matrix", "-f", str(path), "--cni", "antrea", *a]).stdout  # noqa: E731
    pod = json.loads(run("-o", "json", "--by", "pod"))
    assert pod["apiVersion"] == "tierwall.dev/v1alpha3"
    cols = [f"{t['name']} {t['port']}" for t in pod["serviceTargets"]]
    udp = cols.index("svc:kube-system/kube-dns UDP/53")
    names = [e["name"] for e in pod["endpoints"]]
    verdicts = pod["serviceVerdicts"]
    by_pod = {n: verdicts[row[udp]] for n, row in zip(names, pod["serviceMatrix"])}
    assert by_pod["app/client"] == "Allow" and by_pod["app/other"] == "Drop" and by_pod["internet"] is None
    klass = json.loads(run("-o", "json", "--by", "class"))
    for e in klass["endpoints"]:
        assert verdicts[klass["serviceCells"][e["class"]][udp]] == by_pod[e["name"]], e
    ns = json.loads(run("-o", "json", "--by", "namespace"))
    app = ns["groups"].index("app")
    assert verdicts[ns["serviceRows"][ns["serviceCells"][app]][udp]] == "mixed"
    assert [app, udp, 1, 1, 0, 0] in ns["serviceMixed"] and ns["serviceSources"][app] == 2
    kube = ns["groups"].index("kube-system")
    assert verdicts[ns["serviceRows"][ns["serviceCells"][kube]][udp]] == "Drop"
    assert not any("not covered" in n for n in pod["notes"])
    csv_rows = [line.split(",") for line in run("-o", "csv").splitlines()]
    assert ["app/client", "svc:kube-system/kube-dns", "UDP 53; TCP 53", "", ""] in csv_rows
    assert not any(r[0] == "internet" and r[1].startswith("svc:") for r in csv_rows)  # n/a: no path
    table = run()
    assert "Services (rows: from, columns: to Service port)" in table and "n/a (no path)" in table
    assert "not covered" in run("--pods-only")  # without the Service columns the legend says so


def test_endpoint_slices_with_outside_addresses_headless_and_external_name_services():
    """Endpoints that are no pod (an outside address, a node) are followed too, and agree with
    trace; headless and ExternalName Services are no columns, and the notes say so."""
    from tierwall.engine import Request, trace
    from tierwall.engine.matrix import VERDICTS

    objs = _dns_world(DNS_VIA_SERVICE + [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "app"},
         "spec": {"clusterIP": "10.96.0.50", "ports": [{"port": 443, "targetPort": 8443, "protocol": "TCP"}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "ext-1", "namespace": "app", "labels": {"kubernetes.io/service-name": "ext"}},
         "addressType": "IPv4", "ports": [{"port": 8443, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["192.0.2.10"]}, {"addresses": ["172.18.0.2"]}, {"addresses": ["10.0.9.1"]}]},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "headless", "namespace": "app"},
         "spec": {"clusterIP": "None", "selector": {"app": "client"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "alias", "namespace": "app"},
         "spec": {"type": "ExternalName", "externalName": "example.com"}},
        _acnp("to-ext", 3, {"podSelector": {"matchLabels": {"app": "other"}}},
              [{"action": "Allow", "toServices": [{"name": "ext", "namespace": "app"}]}])])
    cluster = build(objs, "antrea")
    m = compute_matrix(cluster.compiled, outside=True, services=True)
    assert {t.name for t in m.services.targets} == {"svc:app/ext", "svc:kube-system/kube-dns"}
    assert any("headless" in n and "app/headless" in n for n in m.services.notes)
    assert any("ExternalName" in n and "app/alias" in n for n in m.services.notes)
    for i, src in enumerate(m.endpoints):
        for t, target in enumerate(m.services.targets):
            code = m.services.code(m.klass, i, t)
            if code != NOT_APPLICABLE:
                want = trace(cluster.compiled, Request(src, None, target.service, "TCP" if target.label.startswith(
                    "TCP") else "UDP", target.port.port)).verdict
                assert VERDICTS[code] == want, (src.label, target.name, target.label)
    # deny-rest (priority 2) drops the pod endpoint before to-ext (3) is reached; the outside and
    # node endpoints are no pods, so nothing drops them: the endpoints disagree
    assert _cell(m, "app/other", "app/ext", "TCP/443") == UNKNOWN
    assert _cell(m, "node/node-1", "app/ext", "TCP/443") == ALLOW


def test_dot_draws_service_edges_and_images_say_services_are_not_drawn(tmp_path):
    from tierwall.render.matrix import render_matrix_dot, render_matrix_image

    m = compute_matrix(build(_dns_world(DNS_VIA_SERVICE), "antrea").compiled, outside=True, services=True)
    dot = render_matrix_dot(m, "namespace")
    assert '"svc:kube-system/kube-dns" [shape=ellipse];' in dot
    assert '"app" -> "svc:kube-system/kube-dns" [label="UDP/53 (1/2), TCP/53 (1/2)", style=dashed];' in dot
    assert '"kube-system" -> "svc:kube-system/kube-dns"' not in dot  # dropped: no edge
    _, said = render_matrix_image(m, "namespace", str(tmp_path / "m.png"))
    assert any("2 Service port(s)" in s and "not drawn" in s for s in said)


def test_diff_lists_a_new_service_port_and_counts_it_as_a_change(tmp_path):
    import json

    from click.testing import CliRunner

    from helpers import dump
    from tierwall.cli.main import cli

    before = tmp_path / "before.yaml"
    before.write_text(dump(_dns_world(DNS_VIA_SERVICE)))
    after = tmp_path / "after.yaml"
    after.write_text(dump(_dns_world(DNS_VIA_SERVICE + [service("app", "web", {"app": "other"}, [(80, 8080, "TCP")],
                                                                cluster_ip="10.96.0.40")])))
    r = CliRunner().invoke(cli, ["diff", "--before", str(before), "--after", str(after), "--cni", "antrea",
                                 "-o", "json", "--exit-code"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["servicePortsAdded"] == ["svc:app/web TCP/80"] and doc["changes"] == []
