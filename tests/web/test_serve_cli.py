"""``tierwall serve`` on the command line: usage errors exit 2; the command is listed."""

from click.testing import CliRunner

from tierwall.cli.main import cli


def test_serve_without_inputs_is_a_usage_error():
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "no input" in result.output


def test_serve_is_a_command_and_binds_loopback_by_default():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output and "--fleet" in result.output


def _serve(args, stdin=None):
    """Start `tierwall serve` as users do; returns the process and its base URL once it answers."""
    import subprocess
    import sys
    import time

    import httpx
    from browser import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tierwall", "serve", *args, "--port", str(port)],
                            stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/status", timeout=5)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(proc.stderr.read().decode()) from None
            time.sleep(0.2)


def test_serve_answers_on_loopback_with_the_board_and_reads_stdin(tmp_path):
    import httpx
    from web_helpers import EXAMPLES, HOSTILE

    proc, url = _serve(["-f", str(EXAMPLES / "org-baseline")])
    try:
        assert 'data-stage="kubernetes-networkpolicy"' in httpx.get(url + "/").text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    (tmp_path / "in.yaml").write_text(HOSTILE)
    with open(tmp_path / "in.yaml") as stdin:
        proc, url = _serve(["-f", "-"], stdin=stdin)
    try:
        board = httpx.get(url + "/").text
        assert 'data-policy="ClusterNetworkPolicy/nsx-1234"' in board
        httpx.post(url + "/reload")  # stdin was read once; a reload keeps it
        assert 'data-policy="ClusterNetworkPolicy/nsx-1234"' in httpx.get(url + "/").text
        assert httpx.get(url + "/source", params={"file": "-"}).status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_pod_cidr_reaches_the_served_model(tmp_path):
    from web_helpers import client_for

    (tmp_path / "c.yaml").write_text("""\
apiVersion: v1
kind: Pod
metadata: {name: no-ip, namespace: app}
spec: {containers: [{name: c}]}
""")
    page = client_for(tmp_path / "c.yaml", pod_cidr="10.99.0.0/16").get(
        "/trace", params={"from": "app/no-ip", "to": "1.1.1.1", "port": "443"})
    assert page.status_code == 200
    assert "app/no-ip (10.99." in page.text
