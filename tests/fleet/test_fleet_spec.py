"""The Fleet file: group membership, and errors that name the file, line and field."""

import pytest

from fleetkit import fleet_file, small_cluster
from tierwall.errors import Diagnostics, InputError
from tierwall.fleet.plan import plan_fleet
from tierwall.fleet.spec import load_fleet


def _clusters(tmp_path):
    out = []
    for i, (name, labels) in enumerate([("a", {"env": "dev", "tier": "1"}), ("b", {"env": "prod"}),
                                         ("c", {"env": "prod", "tier": "1"})], start=1):
        small_cluster(tmp_path / name, name, i)
        out.append({"name": name, "labels": labels, "sources": [f"{name}/"]})
    return out


def test_membership_by_labels_expressions_and_names(tmp_path):
    path = fleet_file(tmp_path, _clusters(tmp_path), [
        {"name": "dev", "clusterSelector": {"matchLabels": {"env": "dev"}}},
        {"name": "prod", "clusterSelector": {"matchExpressions": [{"key": "env", "operator": "In",
                                                                    "values": ["prod"]}]}},
        {"name": "tier-one", "clusterSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}},
        {"name": "picked", "clusters": ["b"]},
        {"name": "not-dev", "clusterSelector": {"matchExpressions": [{"key": "env", "operator": "NotIn",
                                                                       "values": ["dev"]}]}, "clusters": ["a"]},
    ])
    diags = Diagnostics()
    fleet = load_fleet(str(path), diags)
    assert not diags.has_errors(), diags.items
    groups = {c.name: [g.name for g in fleet.groups_of(c)] for c in fleet.clusters}
    assert groups == {"a": ["dev", "tier-one", "not-dev"], "b": ["prod", "picked", "not-dev"],
                      "c": ["prod", "tier-one", "not-dev"]}


def test_sources_are_relative_to_the_fleet_file(tmp_path):
    path = fleet_file(tmp_path, _clusters(tmp_path), [{"name": "all", "clusterSelector": {}}])
    fleet = load_fleet(str(path), Diagnostics())
    assert fleet.clusters[0].sources == (str(tmp_path / "a/"),)


def test_every_error_is_reported_with_its_line_and_field(tmp_path):
    path = fleet_file(tmp_path, [{"name": "a", "sources": ["a/"], "labels": {"env": "bad value!"}},
                                 {"name": "Bad_Name", "sources": ["b/"]}, {"name": "c"}],
                      [{"name": "g", "clusters": ["nope"]},
                       {"name": "h", "clusterSelector": {"matchExpressions": [{"key": "env", "operator": "Has"}]}}],
                      central=[{"name": "nsx", "path": "central/", "category": "Firewall"}])
    with pytest.raises(InputError) as exc:
        plan_fleet(str(path), Diagnostics())
    found = {(d.origin.field, d.origin.line is not None) for d in exc.value.diagnostics}
    fields = {f for f, _ in found}
    assert {"spec.clusters[0].labels.env", "spec.clusters[1].name", "spec.clusters[2].sources",
            "spec.groups[0].clusters[0]", "spec.groups[1].clusterSelector.matchExpressions[0].operator",
            "spec.central[0].category"} <= fields
    assert all(has_line for _, has_line in found)
    assert all(d.origin.file == str(path) for d in exc.value.diagnostics)


def test_a_file_without_a_fleet_is_an_error(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    with pytest.raises(InputError, match="no Fleet object"):
        plan_fleet(str(path), Diagnostics())


def test_a_cluster_takes_every_cni_that_cni_takes(tmp_path):
    """Regression: the Fleet's ``cni`` choices were a list of their own that missed cilium; they
    are --cni's (derived from the dialects' profiles)."""
    clusters = _clusters(tmp_path)
    clusters[0]["cni"] = "cilium"
    diags = Diagnostics()
    fleet = load_fleet(str(fleet_file(tmp_path, clusters, [{"name": "all", "clusterSelector": {}}])), diags)
    assert not diags.has_errors(), diags.items
    assert [c.cni for c in fleet.clusters] == ["cilium", None, None]
    clusters[0]["cni"] = "flannel"
    diags = Diagnostics()
    load_fleet(str(fleet_file(tmp_path, clusters, [{"name": "all", "clusterSelector": {}}])), diags)
    errors = [d.message for d in diags.errors]
    assert len(errors) == 1 and "flannel" in errors[0] and "cilium" in errors[0], errors
