"""What each cluster receives: prefix, ownership labels, central tier placement, prune and
drift — and the folder tree ``fleet render`` writes for Flux / Argo CD."""

import yaml
from click.testing import CliRunner

from fleetkit import EXAMPLE, acnp, deny_tools, fleet_file, small_cluster, write
from tierwall.cli.main import cli
from tierwall.errors import Diagnostics
from tierwall.fleet.assemble import assemble
from tierwall.fleet.plan import plan_fleet

OWNER = {"kustomize.toolkit.fluxcd.io/name": "base", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}


def _fleet(tmp_path, prune=True, extra_in_a=()):
    small_cluster(tmp_path / "a", "a", 1, extra_in_a)
    small_cluster(tmp_path / "b", "b", 2)
    write(tmp_path / "sets" / "base.yaml", deny_tools())
    write(tmp_path / "central" / "p.yaml", acnp("central-rule", "application", egress=[
        {"action": "Drop", "to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}]))
    return fleet_file(tmp_path, [{"name": "a", "labels": {"env": "dev"}, "sources": ["a/"]},
                                 {"name": "b", "labels": {"env": "prod"}, "sources": ["b/"]}],
                      [{"name": "dev", "clusterSelector": {"matchLabels": {"env": "dev"}},
                        "policySets": [{"name": "base", "path": "sets/", "prune": prune, "namePrefix": "org-"}]}],
                      central=[{"name": "nsx", "path": "central/", "category": "Infrastructure"}])


def _assembly(path, cluster):
    plan = plan_fleet(str(path), Diagnostics())
    job = plan.job(plan.fleet.cluster(cluster))
    diags = Diagnostics()
    return assemble(job.cluster, list(job.bundles), diags, job.others), diags


def test_policy_sets_are_prefixed_and_labelled_central_policies_placed_in_their_tier(tmp_path):
    asm, diags = _assembly(_fleet(tmp_path), "a")
    got = {(r.kind, r.name): r for _, r in asm.delivered}
    policy = got[("ClusterNetworkPolicy", "org-deny-tools")]
    assert policy.metadata["labels"] == OWNER and policy.data["spec"]["tier"] == "securityops"
    central = got[("ClusterNetworkPolicy", "central-rule")]
    assert central.data["spec"]["tier"] == "nsx-category-infrastructure"
    assert central.metadata["labels"]["ccp-adapter.antrea.tanzu.vmware.com/managedBy"] == "ccp-adapter"
    assert got[("Tier", "nsx-category-infrastructure")].data["spec"]["priority"] == 2
    # the placement is said, with the line of the tier field it overrides
    assert any(d.code == "TW241" and d.origin.field == "spec.tier" for d in diags.items)
    # the objects keep their file and line: failures name the baseline file
    assert policy.origin.file.endswith("sets/base.yaml") and policy.origin.line == 1
    # cluster b is in no group: central reaches it (no scope), the dev set does not
    asm_b, _ = _assembly(tmp_path / "fleet.yaml", "b")
    assert {r.name for _, r in asm_b.delivered} == {"nsx-category-infrastructure", "central-rule"}


def _stale(name, spec_priority=5, labels=OWNER):
    obj = deny_tools(name)
    obj["metadata"]["labels"] = dict(labels)
    obj["spec"]["priority"] = spec_priority
    return obj


def test_prune_lists_owned_objects_no_longer_delivered_and_drift_lists_edited_copies(tmp_path):
    extra = [_stale("org-old-rule"), _stale("org-deny-tools", spec_priority=9),
             _stale("foreign", labels={"kustomize.toolkit.fluxcd.io/name": "other"}), acnp("local", "application")]
    asm, _ = _assembly(_fleet(tmp_path, prune=True, extra_in_a=extra), "a")
    assert [(b.name, r.name) for b, r in asm.pruned] == [("base", "org-old-rule")]
    assert [(b.name, mine.data["spec"]["priority"], new.data["spec"]["priority"]) for b, mine, new in asm.updated] \
        == [("base", 9, 5)]
    names = sorted(r.name for r in asm.effective if r.kind == "ClusterNetworkPolicy")
    assert names == ["central-rule", "foreign", "local", "org-deny-tools"]
    assert [r.data["spec"]["priority"] for r in asm.effective if r.name == "org-deny-tools"] == [5]


def test_without_prune_stale_objects_stay_and_are_listed_as_orphaned(tmp_path):
    asm, _ = _assembly(_fleet(tmp_path, prune=False, extra_in_a=[_stale("org-old-rule")]), "a")
    assert not asm.pruned
    assert [(b.name, r.name) for b, r in asm.orphaned] == [("base", "org-old-rule")]
    assert "org-old-rule" in {r.name for r in asm.effective}


def test_a_cluster_that_left_the_group_loses_what_a_pruning_set_gave_it(tmp_path):
    path = _fleet(tmp_path)
    write(tmp_path / "b" / "old.yaml", _stale("org-deny-tools"))
    asm, _ = _assembly(path, "b")
    assert [(b.name, r.name) for b, r in asm.pruned] == [("base", "org-deny-tools")]


def test_render_writes_a_tree_kustomize_builds_and_a_change_report(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["fleet", "render", str(EXAMPLE / "fleet.yaml"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    from tierwall.load import load_paths
    diags = Diagnostics()
    objs = load_paths([str(out / "clusters" / "dev-us")], diags)  # built by the real kustomize
    assert not diags.has_errors(), diags.items
    names = [o.name for o in objs]
    assert "baseline-isolate-app-namespaces" in names and "nsx-category-emergency" in names
    assert all(o.metadata["labels"]["kustomize.toolkit.fluxcd.io/name"] == "dev-baseline"
               for o in objs if o.name.startswith("baseline-"))
    # the apply order inside a set folder: the Tier before the policy placed in it
    files = sorted(p.name for p in (out / "clusters" / "dev-us" / "central-nsx-emergency").glob("0*.yaml"))
    assert files[0].startswith("001-tier-")
    report = yaml.safe_load((out / "reports" / "dev-us.yaml").read_text())
    assert [p["name"] for p in report["pruned"]] == ["baseline-legacy-allow-tools"]
    assert [u["name"] for u in report["updated"]] == ["baseline-isolate-app-namespaces"]
    assert not yaml.safe_load((out / "reports" / "dev-eu.yaml").read_text())["pruned"]


def test_a_policy_set_from_a_git_revision_is_read_as_committed(tmp_path):
    import subprocess
    path = _fleet(tmp_path)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True)
    write(tmp_path / "sets" / "base.yaml", deny_tools("edited-since"))  # the working tree moves on
    text = path.read_text().replace("path: sets/", "path: git:HEAD:sets/")
    path.write_text(text)
    asm, _ = _assembly(path, "a")
    names = {r.name for _, r in asm.delivered}
    assert "org-deny-tools" in names and "org-edited-since" not in names
    origin = next(r.origin.file for _, r in asm.delivered if r.name == "org-deny-tools")
    assert origin == "git:HEAD:sets/base.yaml"
