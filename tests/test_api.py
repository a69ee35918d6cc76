"""The public API as a user's script calls it: ``import tierwall`` and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tierwall
from helpers import namespace, pod

ROOT = Path(__file__).resolve().parents[1]
ORG = ROOT / "examples" / "org-baseline"

DENY_DB = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "db-only-from-web", "namespace": "prod"},
           "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                 "ports": [{"port": 5432}]}]}}
WORLD = [namespace("prod"), pod("prod", "web-0", "10.0.0.1", {"app": "web"}),
         pod("prod", "db-0", "10.0.0.2", {"app": "db"}), pod("prod", "batch-0", "10.0.0.3", {"app": "batch"})]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tierwall", *args], capture_output=True, text=True, cwd=ROOT)


def test_import_is_lazy_and_exports_the_verbs():
    out = subprocess.run([sys.executable, "-c", "import sys, tierwall; print('tierwall.api' in sys.modules, "
                          "'numpy' in sys.modules); tierwall.read; print('tierwall.api' in sys.modules)"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]
    for name in ("read", "trace", "check", "matrix", "lint", "diff", "request", "Cluster", "InputError"):
        assert name in dir(tierwall)
    with pytest.raises(AttributeError):
        tierwall.no_such_thing  # noqa: B018


def test_objects_in_memory_give_the_verdicts_files_give(tmp_path):
    cluster = tierwall.read(objects=[*WORLD, DENY_DB])
    assert tierwall.trace(cluster, "prod/web-0", "prod/db-0", 5432).to_dict()["verdict"] == "Allow"
    assert tierwall.trace(cluster, "prod/batch-0", "prod/db-0", 5432).to_dict()["verdict"] == "Drop"
    assert tierwall.trace(cluster, "prod/web-0", "prod/db-0", "22").to_dict()["verdict"] == "Drop"
    f = tmp_path / "all.yaml"
    f.write_text(yaml.safe_dump_all([*WORLD, DENY_DB]))
    from_file = tierwall.trace(str(f), "prod/batch-0", "prod/db-0", 5432).to_dict()
    in_memory = tierwall.trace(cluster, "prod/batch-0", "prod/db-0", 5432).to_dict()
    assert from_file["verdict"] == in_memory["verdict"]
    assert from_file["paths"][0]["decidedBy"]["policy"] == in_memory["paths"][0]["decidedBy"]["policy"] == "NetworkPolicy/prod/db-only-from-web"


def test_objects_and_paths_mix_and_yaml_text_is_accepted(tmp_path):
    f = tmp_path / "world.yaml"
    f.write_text(yaml.safe_dump_all(WORLD))
    cluster = tierwall.read(str(f), objects=[yaml.safe_dump(DENY_DB)])
    assert tierwall.trace(cluster, "prod/batch-0", "prod/db-0", 5432).to_dict()["verdict"] == "Drop"


def test_trace_equals_the_cli_json():
    args = ("--from", "dev-app/web-0", "--to", "kube-system/coredns-0", "--port", "53", "--protocol", "UDP")
    cli = json.loads(_cli("trace", "-f", str(ORG), *args, "-o", "json").stdout)
    lib = tierwall.trace([str(ORG)], "dev-app/web-0", "kube-system/coredns-0", 53, "udp").to_dict()
    assert json.loads(json.dumps(lib)) == cli


def test_check_matches_the_cli_report():
    report = tierwall.check(str(ORG), str(ORG / "tests"))
    cli = json.loads(_cli("check", "-f", str(ORG), "--tests", str(ORG / "tests"), "-o", "json").stdout)
    assert report.to_dict()["summary"] == cli["summary"]
    assert [r["verdict"] for r in report.to_dict()["results"]] == [r["verdict"] for r in cli["results"]]


def test_check_with_tests_in_memory_reports_failures():
    test = {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "t"},
            "spec": {"cases": [{"name": "batch reaches db", "from": "prod/batch-0", "to": "prod/db-0",
                                "port": 5432, "expect": "Allow"},
                               {"name": "web reaches db", "from": "prod/web-0", "to": "prod/db-0",
                                "port": 5432, "expect": "Allow"}]}}
    report = tierwall.check(tierwall.read(objects=[*WORLD, DENY_DB]), test_objects=[test])
    assert [r.passed for r in report.results] == [False, True]


def test_errors_are_exceptions_not_exits():
    with pytest.raises(tierwall.UsageError):
        tierwall.read()
    bad = dict(DENY_DB, spec={"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Sideways"]})
    with pytest.raises(tierwall.InputError) as exc:
        tierwall.read(objects=[*WORLD, bad])
    assert any("policyTypes" in str(d) for d in exc.value.diagnostics)
    cluster = tierwall.read(objects=WORLD)
    with pytest.raises(tierwall.UsageError, match="prod/nope"):
        tierwall.trace(cluster, "prod/nope", "prod/db-0")  # the unknown pod, before the missing port
    with pytest.raises(tierwall.UsageError, match="65535"):
        tierwall.trace(cluster, "prod/web-0", "prod/db-0", 70000)
    with pytest.raises(tierwall.UsageError, match="protocol"):
        tierwall.trace(cluster, "prod/web-0", "prod/db-0", 80, "HTTP")
    with pytest.raises(tierwall.UsageError, match="no ConnectivityTest"):
        tierwall.check(cluster)


def test_lint_matrix_and_diff_take_clusters_or_paths():
    findings = tierwall.lint(objects=[*WORLD, DENY_DB, dict(DENY_DB, metadata={"name": "twin", "namespace": "prod"})])
    assert findings and all(f.code.startswith("TW") for f in findings)
    before = tierwall.read(objects=WORLD)
    after = tierwall.read(objects=[*WORLD, DENY_DB])
    m = tierwall.matrix(after, ["5432"])
    assert m is not None
    report = tierwall.diff(before, after, by="pod")
    assert report.to_dict()  # db-0 lost batch-0 on 5432
    assert "batch-0" in json.dumps(report.to_dict())
    with pytest.raises(tierwall.UsageError):
        tierwall.diff(before, after, by="cluster")
