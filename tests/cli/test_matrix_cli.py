"""tierwall matrix: views, formats, port selection, and agreement with check on an example."""

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "environments")


def run(*args):
    r = CliRunner().invoke(cli, ["matrix", "-f", EXAMPLE, *args])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_json_pod_view_and_port_selection():
    doc = json.loads(run("-o", "json", "--port", "22", "--port", "53/UDP"))
    assert doc["kind"] == "ConnectivityMatrix" and doc["ports"] == ["TCP/22", "UDP/53"]
    pods = doc["pods"]
    row = doc["matrix"]["TCP/22"][pods.index("ops/bastion-0")]
    assert row[pods.index("prod/db-0")] == "."        # the emergency-tier SSH exception
    assert row[pods.index("prod/web-0")] == "X"       # baseline block-all
    assert doc["matrix"]["UDP/53"][pods.index("test/web-0")][pods.index("kube-system/coredns-0")] == "."


def test_namespace_view_counts_and_csv():
    doc = json.loads(run("-o", "json", "--by", "namespace", "--port", "8080"))
    g = doc["groups"]
    assert doc["allowed"]["TCP/8080"][g.index("test")][g.index("dev")] == 0
    assert doc["pairs"][g.index("dev")][g.index("dev")] == 4
    rows = list(csv.DictReader(io.StringIO(run("-o", "csv", "--by", "namespace", "--port", "8080"))))
    dev_dev = next(r for r in rows if r["from"] == "dev" and r["to"] == "dev")
    assert dev_dev["share"] == "some 3/4" and dev_dev["pairs"] == "4"


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
