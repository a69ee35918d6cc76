"""diff: changed pairs grouped, explained on both sides, from paths or git revisions."""

import json
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments"


def _after(tmp_path):
    after = tmp_path / "after"
    shutil.copytree(EXAMPLE, after)
    policies = after / "policies.yaml"
    text = policies.read_text().replace("ports: [{port: 5432}]", "ports: [{port: 5432}, {port: 22}]")
    text = text.replace("    ports: [{port: http}]\n", "    ports: [{port: 9999}]\n")  # dev api-from-web now 9999
    policies.write_text(text)
    return after


def test_diff_reports_both_directions_with_rules(tmp_path):
    after = _after(tmp_path)
    r = CliRunner().invoke(cli, ["diff", "--before", str(EXAMPLE), "--after", str(after), "-o", "json", "--exit-code"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    changes = {(c["from"], c["to"], c["port"]): c for c in doc["changes"]}
    ssh = changes[("prod/web-0", "prod/db-0", "TCP/22")]
    assert ssh["change"] == "newly allowed" and ssh["decidedAfter"]["policy"] == "NetworkPolicy/prod/db-from-web"
    http = changes[("dev/web-0", "dev/api-0", "TCP/8080")]
    assert http["change"] == "newly denied" and "isolated" in http["decidedAfter"]["explanation"]
    assert ("dev/web-0", "dev/api-0", "TCP/9999") in changes
    assert doc["summary"]["newlyAllowed"] >= 2 and doc["summary"]["newlyDenied"] == 1


def test_no_change_exits_0():
    r = CliRunner().invoke(cli, ["diff", "--before", str(EXAMPLE), "--after", str(EXAMPLE), "--exit-code"])
    assert r.exit_code == 0 and "no connectivity changes" in r.output


def test_git_revisions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "deploy")
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "v1")
    shutil.rmtree(repo / "deploy")
    shutil.copytree(_after(tmp_path), repo / "deploy")
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(cli, ["diff", "--before", "git:HEAD:deploy/", "--after", "deploy/", "-o", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert any(c["port"] == "TCP/22" for c in doc["changes"])
    assert any(c["decidedBefore"]["origin"] and c["decidedBefore"]["origin"].startswith("git:HEAD:deploy/")
               for c in doc["changes"])
    r = CliRunner().invoke(cli, ["diff", "--before", "git:nosuchrev:deploy/", "--after", "deploy/"])
    assert r.exit_code == 2 and "cannot read from git" in r.output
