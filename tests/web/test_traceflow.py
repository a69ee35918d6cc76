"""The traceflow graph (shared by `trace -o dot|svg` and the web page) and the Traceflow route."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from click.testing import CliRunner
from web_helpers import EXAMPLES, hostile, org  # noqa: F401 (fixtures)

from tierwall import api
from tierwall.cli.main import cli
from tierwall.render.trace_graph import build_trace_graph, to_dot, to_elements, to_svg

ORG = str(EXAMPLES / "org-baseline")
GUESTBOOK = str(EXAMPLES / "guestbook")


def _graph(path, src, dst, port, protocol="TCP"):
    result = api.trace(api.read(path), src, dst, port, protocol)
    return result, build_trace_graph(result)


def _reachable_ids(graph):
    nxt = {}
    for e in graph.edges:
        nxt.setdefault(e.source, []).append(e.target)
    seen, todo = set(), ["src"]
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += nxt.get(n, [])
    return seen


def test_deciding_rule_is_the_marked_node_and_a_drop_ends_the_path():
    result, g = _graph(ORG, "prod-app/api-0", "dev-app/web-0", 80)
    decided = result.to_dict()["paths"][0]["decidedBy"]
    [decider] = g.decider
    assert decided["policy"] in decider.label and decided["rule"]["name"] in decider.label
    assert decider.label.startswith("ingress")
    assert decider.origin == f"{decided['origin']['file']}:{decided['origin']['line']}"
    drops = [e for e in g.edges if e.kind == "drop"]
    assert [e.source for e in drops] == [decider.id]
    assert {n.kind for n in g.nodes if n.id == drops[0].target} == {"drop"}
    assert not any(n.kind == "destination" for n in g.nodes)  # the flow never arrives
    assert _reachable_ids(g) == {n.id for n in g.nodes}  # one connected path from the source


def test_isolation_drop_names_the_isolating_policy():
    result, g = _graph(ORG, "dev-app/web-0", "dev-app/web-1", 9999)
    [decider] = g.decider
    assert decider.outcome == "isolation"
    assert "isolated by" in decider.label and "NetworkPolicy/dev-app/web-from-web" in decider.label
    assert result.paths[0].decision.kind == "isolation"


def test_service_flow_fans_out_per_endpoint():
    result, g = _graph(GUESTBOOK, "other-team/curious", "service/guestbook/redis-follower", 6379)
    endpoints = {str(p.flow.dst) for p in result.paths}
    assert len(endpoints) == 2
    [svc] = [n for n in g.nodes if n.kind == "service"]
    fan = [e for e in g.edges if e.source == svc.id]
    assert len(fan) == 2 and {e.label.split("→ ", 1)[1].split(";")[0] for e in fan} == endpoints
    assert len(g.decider) == 2 and len({n.row for n in g.decider}) == 2  # one row per endpoint


def test_allowed_flow_reaches_the_destination_and_folded_stages_are_counted():
    result, g = _graph(ORG, "dev-app/web-0", "kube-system/coredns-0", 53, "UDP")
    assert result.verdict.value == "Allow"
    [dst] = [n for n in g.nodes if n.kind == "destination"]
    assert "kube-system/coredns-0" in dst.label and dst.outcome == "Allow"
    shown = sum(1 for n in g.nodes if n.kind == "stage")
    folded = sum(int(m) for e in g.edges for m in re.findall(r"(\d+) stages? without rules", e.label))
    stages = sum(len(s.stages) for s in (result.paths[0].egress, result.paths[0].ingress))
    assert shown + folded == stages  # nothing left out without saying so


def test_elements_carry_the_same_graph_for_cytoscape():
    _, g = _graph(ORG, "prod-app/api-0", "dev-app/web-0", 80)
    els = to_elements(g)
    nodes = [e for e in els if e["group"] == "nodes"]
    assert [n["data"]["id"] for n in nodes] == [n.id for n in g.nodes]
    assert [n["data"]["id"] for n in nodes if "decider" in n["classes"].split()] == [g.decider[0].id]
    assert len({(n["position"]["x"], n["position"]["y"]) for n in nodes}) == len(nodes)  # no overlap


def test_cli_trace_draws_dot_and_svg():
    args = ["trace", "-f", ORG, "--from", "prod-app/api-0", "--to", "dev-app/web-0", "--port", "80"]
    dot = CliRunner().invoke(cli, args + ["-o", "dot"])
    assert dot.exit_code == 0, dot.output
    assert dot.output.startswith("digraph traceflow {")
    decider = [line for line in dot.output.splitlines() if "penwidth=3" in line]
    assert len(decider) == 1 and "isolate-app-namespaces" in decider[0] and "nothing-else" in decider[0]
    svg = CliRunner().invoke(cli, args + ["-o", "svg"])
    assert svg.exit_code == 0, svg.output
    assert "<svg" in svg.output and "isolate&#45;app&#45;namespaces" in svg.output
    assert svg.output.count("<g id=\"node") == dot.output.count("[label=") - dot.output.count("->")


def test_svg_without_graphviz_is_a_clear_error(monkeypatch):
    import tierwall.render.trace_graph as tg
    monkeypatch.setattr(tg.shutil, "which", lambda name: None)
    _, g = _graph(ORG, "prod-app/api-0", "dev-app/web-0", 80)
    with pytest.raises(api.UsageError, match="graphviz"):
        to_svg(g)


def test_trace_page_query_string_is_the_flow(org):
    page = org.get("/trace", params={"from": "prod-app/api-0", "to": "dev-app/web-0", "port": "80"})
    assert page.status_code == 200
    assert re.search(r'id="verdict">Verdict: <span class="verdict-Drop">Drop', page.text)
    assert len(re.findall(r'<li class="decider', page.text)) == 1  # the deciding stage
    deciding = re.findall(r'<li class="rule-yes deciding">(.*?)</li>', page.text, re.S)
    assert len(deciding) == 1 and "isolate-app-namespaces" in deciding[0] and "nothing-else" in unescape(deciding[0])
    data = json.loads(re.search(r'id="graph-data">(.*?)</script>', page.text, re.S).group(1))
    assert any("decider" in e.get("classes", "") for e in data)
    assert 'value="prod-app/api-0"' in page.text  # the form shows the flow of the URL


def test_trace_page_bad_endpoint_is_a_message_not_a_crash(org):
    page = org.get("/trace", params={"from": "nowhere/pod", "to": "dev-app/web-0", "port": "80"})
    assert page.status_code == 400
    assert "nowhere/pod is not in the input" in unescape(page.text)
    empty = org.get("/trace")
    assert empty.status_code == 200 and 'id="graph"' not in empty.text


def test_trace_page_escapes_a_hostile_pod_name(hostile):
    flow = {"from": "app/client", "port": "80"}
    page = hostile.get("/trace", params={**flow, "to": "app/<script>"})
    benign = hostile.get("/trace", params={**flow, "to": "app/client"})
    assert page.status_code == benign.status_code == 200
    assert page.text.count("<script") == benign.text.count("<script")  # no tag from the input
    assert "app/&lt;script&gt;" in page.text
    raw = re.search(r'id="graph-data">(.*?)</script>', page.text, re.S).group(1)
    assert "<" not in raw and "app/<script>" in json.dumps(json.loads(raw), ensure_ascii=False)
