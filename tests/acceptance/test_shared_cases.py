"""Every shared acceptance case, through the CLI a user would run.

``../shared/tools/case2bundle.py`` turns a case into cluster.yaml, policies.yaml,
tests.yaml and the cni; ``tierwall check ... -o json`` must report every check passed.
A missing shared/ directory fails the suite (it must never be skipped silently).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import SHARED
from tierwall.cli.main import cli

SUITES = ("kubernetes", "antrea", "adminnetpol", "calico", "cilium")
OWN = Path(__file__).parent / "cases"
"""This repository's own regression cases, in the shared format."""


def _case2bundle():
    path = SHARED / "tools" / "case2bundle.py"
    assert path.exists(), f"{path} is missing: the shared acceptance suite cannot run"
    spec = importlib.util.spec_from_file_location("case2bundle", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cases():
    cases = sorted(p for suite in SUITES for p in (SHARED / "acceptance" / suite).glob("*.yaml")
                   if not p.name.startswith("_") and p.name != "selectors.yaml")
    return cases + sorted(OWN.glob("*/*.yaml"))


def test_shared_suites_are_present():
    for suite in SUITES:
        assert list((SHARED / "acceptance" / suite).glob("*.yaml")), f"no cases in shared/acceptance/{suite}"


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{'own/' if OWN in p.parents else ''}{p.parent.name}/{p.stem}")
def test_case(case, tmp_path):
    _case2bundle().main(case, tmp_path)
    cni = (tmp_path / "cni").read_text().strip()
    result = CliRunner().invoke(cli, ["check", "-f", str(tmp_path / "cluster.yaml"), "-f",
                                      str(tmp_path / "policies.yaml"), "--tests", str(tmp_path / "tests.yaml"),
                                      "--cni", cni, "-o", "json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    failed = [r for r in report["results"] if not r["passed"]]
    assert report["summary"]["total"] > 0
    assert not failed, "\n".join(
        f"{r['from']} -> {r['to']} {r['protocol']}/{r['port']}: expected {r['expect']}, got {r['verdict']} "
        f"({r['decidedBy']['explanation']})" for r in failed)
    assert result.exit_code == 0


def _service_cases():
    """The cases whose bundle has a Service (the bundle decides: case2bundle gives the
    Kubernetes e2e pods their Services)."""
    import tempfile

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, case in enumerate(_cases()):
            _case2bundle().main(case, Path(tmp) / str(k))
            if any("kind: Service\n" in (Path(tmp) / str(k) / f).read_text() for f in ("cluster.yaml", "policies.yaml")):
                out.append(case)
    return out


@pytest.mark.parametrize("case", _service_cases(),
                         ids=lambda p: f"{'own/' if OWN in p.parents else ''}{p.parent.name}/{p.stem}")
def test_matrix_service_cells_equal_trace(case, tmp_path):
    """Issue 13: on every shared case that has Services (the Kubernetes e2e cases give each pod
    one, Antrea's toServices cases name them), each matrix cell to a Service port is what trace
    to that Service says."""
    from tierwall import api
    from tierwall.engine import Request, trace
    from tierwall.engine.matrix import VERDICTS
    from tierwall.engine.services import NOT_APPLICABLE

    _case2bundle().main(case, tmp_path)
    cluster = api.read([str(tmp_path / "cluster.yaml"), str(tmp_path / "policies.yaml")],
                       cni=(tmp_path / "cni").read_text().strip())
    m = api.matrix(cluster)
    assert m.services is not None and m.services.targets
    for i, src in enumerate(m.endpoints):
        for t, target in enumerate(m.services.targets):
            code = m.services.code(m.klass, i, t)
            if code == NOT_APPLICABLE:
                assert src.kind == "external" and target.service.type not in ("NodePort", "LoadBalancer")
                continue
            want = trace(cluster.compiled, Request(src, None, target.service, target.port.protocol,
                                                   target.port.port)).verdict
            assert VERDICTS[code] == want, f"{src.label} -> {target.name} {target.label}"
