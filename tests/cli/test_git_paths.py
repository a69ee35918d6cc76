"""``git:REV:PATH`` inputs: PATH is relative to the working directory like a file path; ``.``
and the empty path mean the directory itself (at the repository root too)."""

import subprocess
from pathlib import Path

from click.testing import CliRunner

from tierwall.cli.main import cli

ENV = Path(__file__).resolve().parents[2] / "examples" / "environments"


def _repo(tmp_path):
    sub = tmp_path / "deploy"
    sub.mkdir()
    for f in ENV.glob("*.yaml"):
        (sub / f.name).write_text(f.read_text())
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env=env)
    return sub


def _names(r):
    assert r.exit_code == 0, r.output
    return r.stdout.split()


def test_git_dot_and_empty_paths_at_the_root_and_below(tmp_path, monkeypatch):
    sub = _repo(tmp_path)
    expected = _names(CliRunner().invoke(cli, ["get", "policies", "-A", "-o", "name", "-f", str(ENV)]))
    for cwd, specs in ((tmp_path, ("git:HEAD:.", "git:HEAD:", "git:HEAD:deploy", "git:HEAD:deploy/")),
                       (sub, ("git:HEAD:.", "git:HEAD:", "git:HEAD:policies.yaml"))):
        monkeypatch.chdir(cwd)
        for spec in specs:
            r = CliRunner().invoke(cli, ["get", "policies", "-A", "-o", "name", "-f", spec])
            assert _names(r) == expected, (cwd, spec)
    monkeypatch.chdir(sub)
    r = CliRunner().invoke(cli, ["diff", "--before", "git:HEAD:.", "--after", ".", "--exit-code"])
    assert r.exit_code == 0 and "no connectivity changes" in r.output, r.output
