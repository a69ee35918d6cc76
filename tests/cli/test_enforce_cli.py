"""tierwall enforce: a ruleset nft accepts, with attributable counters and an opt-in log prefix,
loaded atomically into a table of its own."""

import subprocess
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "environments")


def test_ruleset_is_valid_nft_and_attributable(tmp_path):
    r = CliRunner().invoke(cli, ["enforce", "-f", EXAMPLE, "--table", "twtest", "--log"])
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert text.startswith("table inet twtest {\n") and "\nflush table inet twtest\n" in text
    assert 'comment "emergency|AntreaNetworkPolicy/prod/ssh-from-bastion|ingress rule 0 \'ssh\'|Allow"' in text
    assert 'comment "isolation|NetworkPolicy/prod/db-from-web"' in text
    assert 'log prefix "tw emergency AntreaNetworkPolicy/prod/ssh-from-bastion i0 Allow: "' in text
    ns = "twenforcetest"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        path = tmp_path / "r.nft"
        path.write_text(text)
        check = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        again = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", str(path)], capture_output=True, text=True)
        assert again.returncode == 0, again.stderr  # reloading replaces the table, it does not fail on it
        tables = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "tables"], capture_output=True, text=True)
        assert tables.stdout.split() == ["table", "inet", "twtest"]
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def test_unsupported_rules_are_reported(tmp_path):
    policy = tmp_path / "fqdn.yaml"
    policy.write_text("""
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: fqdn}
spec:
  priority: 1
  appliedTo: [{namespaceSelector: {}}]
  egress:
  - {action: Allow, to: [{fqdn: "*.example.com"}]}
""")
    r = CliRunner().invoke(cli, ["enforce", "--allow-partial", "-f", EXAMPLE, "-f", str(policy)])
    assert r.exit_code == 0
    assert "an FQDN peer (its addresses are only known from DNS at run time) cannot be compiled" in r.stderr
