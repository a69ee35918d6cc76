"""The UI in a real browser: Debian's Chromium driven by Playwright, one browser and one server
per module. Each view of examples/org-baseline is clicked through; screenshots are written to
``tests/web/artifacts/`` (ignored by git) for people to look at.

A missing Chromium fails these tests: ``make prereqs`` installs it, nothing skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, Server
from playwright.sync_api import sync_playwright
from web_helpers import EXAMPLES

from tierwall.web import Workspace

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A copy of org-baseline (the reload test edits it), served on 127.0.0.1."""
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run `make prereqs` (Debian package chromium)"
    root = tmp_path_factory.mktemp("org") / "org-baseline"
    shutil.copytree(EXAMPLES / "org-baseline", root)
    ws = Workspace([str(root / "cluster"), str(root / "policies")], test_paths=[str(root / "tests")])
    ARTIFACTS.mkdir(exist_ok=True)
    with Server(ws) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield server, browser, root
        browser.close()


@pytest.fixture
def page(site):
    server, browser, _ = site
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server.url)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors  # no script error on any page


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_tier_board_filter_and_policy_yaml(page):
    page.goto("/")
    titles = page.locator("li.stage h2").all_inner_texts()
    assert titles[0].startswith("Tier emergency") and titles[-1].startswith("Default")
    shot(page, "board")
    page.select_option("select[name=namespace]", "kube-system")
    page.click("form.filter button")
    assert "namespace=kube-system" in page.url
    assert "left out" in page.locator("#filter-summary").inner_text()
    assert page.locator('article[data-policy="NetworkPolicy/dev-app/web-from-web"]').count() == 0
    page.click('article[data-policy="ClusterNetworkPolicy/allow-cluster-dns"] a.pname')
    highlighted = page.locator("pre.source .line.hl")
    assert "name: allow-cluster-dns" in " ".join(highlighted.all_inner_texts())
    assert highlighted.first.is_visible()
    shot(page, "policy-yaml")


def test_traceflow_form_graph_and_deciding_rule(page):
    page.goto("/trace")
    page.fill("#from", "prod-app/api-0")
    page.fill("#to", "dev-app/web-0")
    page.fill("#port", "80")
    page.click("#run-trace")
    query = parse_qs(urlparse(page.url).query)
    assert query["from"] == ["prod-app/api-0"] and query["to"] == ["dev-app/web-0"] and query["port"] == ["80"]
    page.wait_for_function("window.tierwallGraph !== undefined")
    decider = page.evaluate("window.tierwallGraph.nodes('.decider').map(n => n.data('label'))")
    assert len(decider) == 1
    assert "isolate-app-namespaces" in decider[0] and '"nothing-else" → Drop' in decider[0]
    deciding = page.locator("li.deciding")
    assert deciding.count() == 1 and "nothing-else" in deciding.inner_text()
    assert page.evaluate("window.tierwallGraph.nodes('.drop').length") == 1
    # the graph is drawn: the canvas inside #graph has been painted at the box's size
    box = page.locator("#graph canvas").first.bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    page.evaluate("window.tierwallGraph.nodes('.decider')[0].emit('tap')")
    assert "✔ ClusterNetworkPolicy/isolate-app-namespaces" in page.locator("#node-detail").inner_text()
    shot(page, "traceflow")
    shared = page.url
    page.goto(shared)  # the URL alone reproduces the trace
    assert page.locator("#verdict").inner_text().startswith("Verdict: Drop")


def test_heatmap_click_drills_and_a_pod_cell_traces(page):
    page.goto("/matrix")
    page.wait_for_function("window.tierwallHeat !== undefined")
    heat = page.evaluate("window.tierwallHeat")
    shot(page, "matrix")
    box = page.locator("#heat-canvas").bounding_box()
    i, j = heat["rows"].index("prod-app"), heat["cols"].index("dev-app")
    page.mouse.click(box["x"] + heat["margin"] + (j + 0.5) * heat["cell"],
                     box["y"] + heat["margin"] + (i + 0.5) * heat["cell"])
    page.wait_for_url(lambda url: "/matrix?from=prod-app&to=dev-app" in url)
    shot(page, "matrix-drill")
    cell = page.locator("#drill-pods td.cell a").first
    assert cell.inner_text() == "0/1"
    cell.click()
    page.wait_for_url(lambda url: "/trace?" in url)
    assert page.locator("#verdict").inner_text().startswith("Verdict: Drop")


def test_check_page_and_reload_after_a_broken_edit(page, site):
    _, _, root = site
    page.goto("/check")
    assert "passed" in page.locator("#check-summary").inner_text()
    assert page.locator("#check-results tr.failed").count() == 0
    shot(page, "check")
    policy = root / "policies" / "dev-app.yaml"
    good = policy.read_text()
    policy.write_text(good.replace("kind: NetworkPolicy", "kind: NetworkPolicy\nspec: [", 1))
    try:
        page.wait_for_selector("#load-errors", timeout=15000)  # reload.js noticed the change
        assert "last good model" in page.locator("#load-errors").inner_text()
        assert page.locator("#check-summary").is_visible()  # still the previous results
        shot(page, "reload-error")
    finally:
        policy.write_text(good)
    page.wait_for_selector("#load-errors", state="detached", timeout=15000)
