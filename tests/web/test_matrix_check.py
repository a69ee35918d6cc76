"""Matrix heatmap and drill-down, Check page (tests, lint, fleet status) — in-process."""

from __future__ import annotations

import json
import re
import time
from html import unescape
from urllib.parse import parse_qs, urlparse

from web_helpers import EXAMPLES, HOSTILE, client_for, hostile, org  # noqa: F401 (fixtures)

from tierwall import api
from tierwall.render.matrix import group_allowed, matrix_dict


def _heat(page):
    return json.loads(re.search(r'id="heat-data">(.*?)</script>', page.text, re.S).group(1))


def test_namespace_heatmap_agrees_with_matrix_json(org):
    base = EXAMPLES / "org-baseline"
    doc = matrix_dict(api.matrix(api.read([str(base / "cluster"), str(base / "policies")])), "namespace")
    page = org.get("/matrix")
    assert "svc:NS/NAME" in page.text  # the page says where the flows addressed to a Service are
    assert page.status_code == 200
    heat = _heat(page)
    assert heat["rows"] == heat["cols"] == doc["groups"]
    assert heat["port"] == doc["ports"][0]
    assert heat["allowed"] == group_allowed(doc, doc["ports"][0]) and heat["pairs"] == doc["pairs"]
    other = _heat(org.get("/matrix", params={"port": doc["ports"][-1]}))
    assert other["allowed"] == group_allowed(doc, doc["ports"][-1])
    # the server-rendered table says the same (readable without JS)
    cells = re.findall(r'<td class="cell"[^>]*><a href="([^"]+)">([^<]+)</a>', page.text)
    n = len(doc["groups"])
    assert len(cells) == n * n
    i, j = doc["groups"].index("prod-app"), doc["groups"].index("dev-app")
    allowed, pairs = group_allowed(doc, doc["ports"][0])[i][j], doc["pairs"][i][j]
    href, text = cells[i * n + j]
    assert text == f"{allowed}/{pairs}" and "from=prod-app" in unescape(href) and "to=dev-app" in unescape(href)


def test_drill_down_lists_workloads_and_pods_and_each_pod_cell_traces(org):
    page = org.get("/matrix", params={"from": "prod-app", "to": "dev-app", "port": "TCP/8080"})
    assert page.status_code == 200
    pods = page.text.split('id="drill-pods"', 1)[1].split("</table>", 1)[0]
    assert "prod-app/api-0" in pods and "dev-app/web-1" in pods and "kube-system" not in pods
    links = [unescape(h) for h in re.findall(r'href="(/trace\?[^"]+)"', pods)]
    assert len(links) == 4  # 2 api pods × 2 web pods
    trace = org.get(links[0])
    assert trace.status_code == 200 and 'class="verdict-Drop"' in trace.text  # 0/1 in the cell: not allowed
    workloads = page.text.split('id="drill-workloads"', 1)[1].split("</table>", 1)[0]
    assert "prod-app/api" in workloads and "dev-app/web" in workloads
    assert org.get("/matrix", params={"from": "nope", "to": "dev-app"}).status_code == 404


def test_check_page_runs_the_tests_and_shows_failures_with_their_deciding_rule(tmp_path):
    base = EXAMPLES / "org-baseline"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("""\
apiVersion: tierwall.dev/v1alpha1
kind: ConnectivityTest
metadata: {name: wrong-on-purpose}
spec:
  cases:
  - {name: prod reaches dev, from: prod-app/api-0, to: dev-app/web-0, port: 80, expect: Allow}
""")
    client = client_for(base / "cluster", base / "policies", test_paths=[str(base / "tests"), str(wrong)])
    report = api.check(api.read([str(base / "cluster"), str(base / "policies")]), [str(base / "tests"), str(wrong)])
    page = client.get("/check")
    assert page.status_code == 200
    summary = unescape(re.search(r'id="check-summary"[^>]*>(.*?)</p>', page.text).group(1))
    assert summary == f"{len(report.results) - 1} of {len(report.results)} passed, 1 failed."
    [failed] = re.findall(r'<tr class="failed">(.*?)</tr>', page.text, re.S)
    assert "prod reaches dev" in failed and "isolate-app-namespaces" in failed and "securityops.yaml:36" in failed
    assert 'id="fleet-status"' in page.text and "Not in fleet mode" in page.text


def test_check_page_lints_with_codes_and_without_tests_says_so(hostile):
    page = hostile.get("/check")
    assert page.status_code == 200
    assert "no ConnectivityTest found" in page.text
    findings = api.lint(api.read(str(hostile.app.state.workspace.paths[0])))
    codes = re.findall(r"<td><strong>(TW\d+)</strong></td>", page.text)
    assert codes == [f.code for f in findings] and "TW206" in codes


def test_fleet_mode_shows_the_compliance_table_of_fleet_check():
    from tierwall.fleet import check_fleet
    from tierwall.fleet.report import cell

    fleet = EXAMPLES / "fleet" / "fleet.yaml"
    base = EXAMPLES / "org-baseline"
    page = client_for(base / "cluster", base / "policies", fleet_path=str(fleet)).get("/check").text
    report = check_fleet(str(fleet), executor="serial")
    table = page.split('id="fleet-table"', 1)[1].split("</table>", 1)[0]
    headers = re.findall(r"<th>([^<]*)</th>", table.split("</thead>")[0])
    assert headers == ["cluster", "groups", *report["tests"], "delivery"]
    for r in report["clusters"]:
        row = table.split(f'data-cluster="{r["cluster"]}"', 1)[1].split("</tr>", 1)[0]
        cells = [unescape(c) for c in re.findall(r'<td class="[^"]*">([^<]*)</td>', row)]
        assert cells == [cell(r, t)[0] for t in report["tests"]], r["cluster"]
    failures = page.split('id="fleet-failures"', 1)[1].split("</ul>", 1)[0]
    assert failures.count("<li>") == report["summary"]["failedCases"] > 0
    assert "hotfix-tools-to-api" in failures and "local-overrides.yaml:33" in failures


def test_an_unusable_fleet_file_is_reported_and_no_table_is_shown(tmp_path):
    base = EXAMPLES / "org-baseline"
    missing = tmp_path / "fleet.yaml"
    page = client_for(base / "cluster", base / "policies", fleet_path=str(missing)).get("/check").text
    status = unescape(re.search(r'id="fleet-status"[^>]*>(.*?)</p>', page, re.S).group(1))
    assert "cannot be used" in status and str(missing) in page and 'id="fleet-table"' not in page


def test_every_check_result_links_to_a_trace_with_the_same_verdict(org):
    page = org.get("/check").text
    rows = re.findall(r'<a href="(/trace\?[^"]+)">.*?</td>\s*<td>[^<]*</td><td class="verdict-(\w+)">', page, re.S)
    assert len(rows) == len(re.findall(r'<tr class="(?:passed|failed)">', page)) > 0
    kinds = set()
    for href, verdict in rows:
        trace = org.get(unescape(href))
        assert trace.status_code == 200, href
        found = re.search(r'id="verdict">Verdict: <span class="verdict-(\w+)">', trace.text).group(1)
        to = parse_qs(urlparse(unescape(href)).query)["to"][0]
        kinds.add(to.split("/")[0] if "/" in to else "address")
        if not to.startswith("service/"):  # a Service case row is one endpoint; its trace covers all
            assert found == verdict, href
    assert kinds == {"service", "dev-app", "prod-app", "address"}  # a node is traced by its address


def test_views_are_built_in_the_background_and_the_check_page_waits_for_lint_without_blocking(tmp_path):
    (tmp_path / "c.yaml").write_text(HOSTILE)
    client = client_for(tmp_path / "c.yaml", warm=True)
    ws = client.app.state.workspace
    deadline = time.monotonic() + 60
    while not {"board", "matrix", "matrix-namespaces", "check", "lint"} <= set(client.get("/status").json()["ready"]):
        assert time.monotonic() < deadline, client.get("/status").json()
        time.sleep(0.05)
    page = client.get("/check")
    assert "lint-pending" not in page.text and "TW206" in page.text
    # a view asked for while it is being built is built once: the same object comes back
    assert ws.derived("matrix", lambda c: None) is ws.current.derived["matrix"]
