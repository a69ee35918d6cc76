"""Tier board, the policy YAML view, file serving, reloading and escaping — in-process."""

from __future__ import annotations

import re
from html import unescape

from web_helpers import EXAMPLES, HOSTILE, client_for, hostile, org  # noqa: F401 (fixtures)

from tierwall.cluster import load_cluster


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_board_lists_every_stage_in_evaluation_order_with_policies_and_rules(org):
    base = EXAMPLES / "org-baseline"
    model = load_cluster([str(base / "cluster"), str(base / "policies")]).model
    page = org.get("/")
    assert page.status_code == 200
    stages = re.findall(r'data-stage="([^"]+)"', page.text)
    assert stages == [s.name for s in model.stages]
    # every policy is on the board, under its stage, with every rule
    for policy in model.policies:
        block = page.text.split(f'data-stage="{policy.stage}"', 1)[1].split("data-stage=", 1)[0]
        assert f'data-policy="{policy.ref.ref}"' in block
        for rule in policy.rules:
            assert unescape(rule.label) in unescape(block)
    assert "securityops.yaml:3" in page.text  # file:line of the first ACNP


def test_board_filter_keeps_policies_that_apply_to_matching_pods_and_says_what_it_left_out(org):
    # web-from-web selects app=web in dev-app only; allow-cluster-dns applies to every pod
    dev = org.get("/", params={"pod": "dev-app/web-0"})
    assert 'data-policy="NetworkPolicy/dev-app/web-from-web"' in dev.text
    assert 'data-policy="ClusterNetworkPolicy/allow-cluster-dns"' in dev.text
    kube = org.get("/", params={"namespace": "kube-system"})
    assert 'data-policy="NetworkPolicy/dev-app/web-from-web"' not in kube.text
    assert 'data-policy="ClusterNetworkPolicy/allow-cluster-dns"' in kube.text
    summary = _text(kube.text.split('id="filter-summary"', 1)[1].split("</p>", 1)[0])
    assert "left out" in summary and "of 4 policies" in summary
    labels = org.get("/", params={"labels": "app=web"})
    assert 'data-policy="NetworkPolicy/dev-app/web-from-web"' in labels.text
    nothing = org.get("/", params={"labels": "app=no-such-app"})
    assert "data-policy=" not in nothing.text and "matches 0 pod(s)" in _text(nothing.text)


def test_policy_opens_its_yaml_at_its_line(org):
    board = org.get("/").text
    link = re.search(r'href="(/policy/\d+)">[^<]*ClusterNetworkPolicy/isolate-app-namespaces', board)
    page = org.get(link.group(1))
    assert page.status_code == 200
    highlighted = _text("".join(re.findall(r'<span id="L\d+" class="line hl">(.*?)\n</span>', page.text, re.S)))
    assert "name: isolate-app-namespaces" in highlighted
    assert "name: allow-cluster-dns" not in highlighted  # the previous object in the same file
    first = org.get(re.search(r'href="(/policy/\d+)">[^<]*ClusterNetworkPolicy/allow-cluster-dns', board).group(1))
    lines = re.findall(r'<span id="L\d+" class="line hl">(.*?)\n</span>', first.text, re.S)
    assert "kind: ClusterNetworkPolicy" in _text(lines[1]) and "kube-dns" in _text(lines[-1])
    assert not any("---" in line or "# 2." in line for line in lines)  # not the next object's lead-in
    assert org.get("/policy/999").status_code == 404


def test_only_input_files_are_served(org, tmp_path):
    inside = EXAMPLES / "org-baseline" / "policies" / "baseline.yaml"
    assert org.get("/source", params={"file": str(inside)}).status_code == 200
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    for name in (str(secret), "/etc/passwd", f"{EXAMPLES}/org-baseline/policies/../../../pyproject.toml",
                 "../../pyproject.toml", str(EXAMPLES / "org-baseline" / "tests" / "baseline-tests.yaml")[:-1]):
        page = org.get("/source", params={"file": name})
        assert page.status_code == 404, name
        assert "hunter2" not in page.text and "root:" not in page.text
    for url in ("/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/workspace.py",
                "/static/vendor/../../app.py"):
        page = org.get(url)
        assert page.status_code == 404, url
        assert "create_app" not in page.text


def test_no_input_string_is_rendered_unescaped(hostile):
    pages = [hostile.get("/"), hostile.get("/", params={"pod": "app/<script>alert(1)</script>"}),
             hostile.get("/policy/0"), hostile.get("/matrix"),
             hostile.get("/matrix", params={"from": "app", "to": "app"}), hostile.get("/check"),
             hostile.get("/trace", params={"from": "app/<script>", "to": "app/client", "port": "80"})]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>bold" not in page.text
        # every script tag on a page is one of ours: <script src=...> or <script type=...>
        assert all(rest.startswith((" src=", " type=")) for rest in page.text.split("<script")[1:]), page.url
    assert "app/&lt;script&gt;" in pages[4].text  # the drill-down lists the pod, escaped
    board = pages[0].text
    assert "&lt;img src=x onerror=alert(2)&gt;" in board  # the NSX display name, shown escaped
    assert "&lt;b&gt;bold&lt;/b&gt;" in board
    assert "<script>alert(1)</script>" in _text(pages[1].text.split('name="pod"', 1)[1][:200])


def test_nsx_managed_policy_shows_its_display_name(hostile):
    article = hostile.get("/").text.split('data-policy="ClusterNetworkPolicy/nsx-1234"', 1)[1].split("</article>")[0]
    assert 'class="display"' in article and "onerror=alert(2)" in unescape(article)
    assert "managed by NSX (ccp-adapter)" in _text(article)


def test_a_broken_change_keeps_the_last_good_model_and_shows_the_errors(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(HOSTILE)
    client = client_for(path, poll_seconds=0)
    ws = client.app.state.workspace
    status = client.get("/status").json()
    assert status["generation"] == 1 and status["errors"] == []
    path.write_text(HOSTILE.replace("priority: 5", "priority: five"))
    client.post("/reload")
    page = client.get("/")
    assert ws.current.number == 1 and ws.errors
    assert 'id="load-errors"' in page.text and "last good model (#1)" in _text(page.text)
    assert 'data-policy="ClusterNetworkPolicy/nsx-1234"' in page.text  # still the old board
    assert "c.yaml" in _text(page.text.split('id="load-errors"', 1)[1].split("</section>")[0])
    path.write_text(HOSTILE.replace("nsx-1234", "nsx-56789"))  # noticed by the next request, no button
    page = client.get("/")
    assert ws.current.number == 2 and not ws.errors
    assert 'data-policy="ClusterNetworkPolicy/nsx-56789"' in page.text and 'id="load-errors"' not in page.text


def test_inputs_that_never_loaded_show_the_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("kind: [\n")
    page = client_for(path).get("/")
    assert page.status_code == 503
    assert "bad.yaml" in _text(page.text) and "No model yet" in page.text


def test_a_view_asked_for_while_it_is_being_built_is_built_once(tmp_path):
    import threading

    from tierwall.web import Workspace

    path = tmp_path / "c.yaml"
    path.write_text(HOSTILE)
    ws = Workspace([str(path)])
    started, release, calls, got = threading.Event(), threading.Event(), [], []

    def build(cluster):
        calls.append(cluster)
        started.set()
        release.wait(10)
        return object()

    first = threading.Thread(target=lambda: got.append(ws.derived("view", build)))
    first.start()
    started.wait(10)
    assert "view" in ws.current.pending  # the first caller is building
    second = threading.Thread(target=lambda: got.append(ws.derived("view", build)))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1 and len(got) == 2 and got[0] is got[1]
