"""Every bundled example passes its own ConnectivityTest through the CLI."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierwall.cli.main import cli

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[1] / "examples").iterdir()
                  if p.is_dir() and not (p / "fleet.yaml").exists())  # fleets: tests/fleet/


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_passes_its_tests(example):
    r = CliRunner().invoke(cli, ["check", "-f", str(example), "-o", "json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["summary"]["total"] >= 5 and report["summary"]["failed"] == 0


def test_demo_trace_reads_like_traceflow():
    r = CliRunner().invoke(cli, ["trace", "-f", str(EXAMPLES[0].parent / "org-baseline"), "--from", "dev-app/web-0",
                                 "--to", "kube-system/coredns-0", "--port", "53", "--protocol", "UDP"])
    assert r.exit_code == 0, r.output
    for text in ("Verdict", "Egress at dev-app/web-0", "Ingress at kube-system/coredns-0", "Tier securityops"):
        assert text in r.stdout
