"""The dialect contract as a property of the tree (issue 11): a dialect's knowledge lives in its
folder, as declarations the rest of tierwall derives its tables from.

* every dialect folder has the same core files, and every folder is a registered dialect;
* outside ``dialects/<name>/``, no code names a dialect's API group or compares with a
  dialect's name — except the places in :data:`ALLOWED`, each with its reason;
* the tables other packages keep are the declarations' (a kind declared in a dialect's
  ``resources.py`` is known, listed by a live read and named for RBAC).
"""

import ast
from pathlib import Path

from tierwall.dialects import REGISTRY, read_resources, resource_names
from tierwall.dialects.known_kinds import KNOWN_GROUP_KINDS
from tierwall.live.kinds import WANTED

SRC = Path(__file__).resolve().parents[1] / "src" / "tierwall"
DIALECTS = SRC / "dialects"
CORE_FILES = {"__init__.py", "dialect.py", "lower.py", "resources.py"}
"""``dialect.py``: the Dialect subclass; ``resources.py``: API resources, kinds the groups
serve, shipped RBAC, write targets; ``lower.py``: objects → model."""

ALLOWED = {
    ("analysis/kind_args.py", "policy.networking.k8s.io"): "kubectl's short name 'anp', claimed by two dialects' "
                                                           "CRDs: knowledge of neither dialect alone",
    ("analysis/kind_args.py", "crd.antrea.io"): "the same 'anp' short-name conflict",
    ("cli/commands/whocan.py", "crd.antrea.io"): "an example in an error message",
    ("live/connect.py", "kubernetes"): "the Python kubernetes client's module name, not the dialect",
    ("rbac/builtin.py", "kubernetes"): "Kubernetes' bootstrap roles are shipped by Kubernetes itself, under every "
                                       "CNI (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go)",
    ("rbac/builtin.py", "networking.k8s.io"): "those bootstrap roles' rules name networkpolicies as upstream does",
}
"""(file under src/tierwall, dialect name or API group) → why it stays there."""


def _dialect_folders() -> set[str]:
    return {p.name for p in DIALECTS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def test_every_dialect_folder_has_the_core_files():
    missing = {name: sorted(CORE_FILES - {p.name for p in (DIALECTS / name).iterdir()})
               for name in _dialect_folders()}
    assert not {k: v for k, v in missing.items() if v}, missing


def test_every_dialect_folder_is_registered_once():
    """A folder is a dialect only when its class is in the registry (dialects/__init__.py)."""
    folders = sorted(d.__module__.split(".")[2] for d in REGISTRY)
    assert folders == sorted(_dialect_folders())


def _markers() -> set[str]:
    names = {d.name for d in REGISTRY} | {d.profile.name for d in REGISTRY if d.profile}
    groups = {g for d in REGISTRY for g in (*d.api_groups, *(g for r in d.resources for g in r.groups),
                                            *(d.also_served or ()))}
    return names | groups


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            out |= {id(s.value) for s in node.body
                    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)}
    return out


def test_no_dialect_knowledge_outside_its_folder():
    """A string constant (docstrings aside) that is a dialect's name, or holds one of its API
    groups, outside ``dialects/<name>/`` is a table or a branch that belongs in the declarations."""
    names = {d.name for d in REGISTRY} | {d.profile.name for d in REGISTRY if d.profile}
    groups = _markers() - names
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "dialects" and len(rel.parts) > 2:
            continue
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docs:
                continue
            hits = ({node.value} & names) | {g for g in groups if g in node.value}
            # the longest group a string holds (policy.networking.k8s.io, not also networking.k8s.io)
            hits = {h for h in hits if not any(h != o and h in o for o in hits)}
            for hit in hits:
                found.setdefault((rel.as_posix(), hit), []).append(node.lineno)
    unexplained = {f"{f}:{lines} {hit!r}": "" for (f, hit), lines in found.items() if (f, hit) not in ALLOWED}
    assert not unexplained, f"declare these in the dialect's folder, or allow them with a reason: {unexplained}"
    stale = sorted(k for k in ALLOWED if k not in found)
    assert not stale, f"allowed but no longer there (remove from ALLOWED): {stale}"


def test_tables_derive_from_the_declarations():
    """Every declared resource is a known kind of each of its groups, is listed by a live read
    from those groups, and has its resource name for RBAC; and nothing else is listed for a
    dialect's groups."""
    wanted = {(w.kind, w.groups) for w in WANTED}
    names = resource_names()
    for r in read_resources():
        assert (r.kind, r.groups) in wanted
        for group in r.groups:
            assert names[(group, r.kind)] == r.plural
            if group in KNOWN_GROUP_KINDS:
                assert r.kind in KNOWN_GROUP_KINDS[group]
    dialect_groups = {g for d in REGISTRY for g in d.api_groups}
    listed = {(w.kind, w.groups) for w in WANTED if set(w.groups) & dialect_groups}
    assert listed == {(r.kind, r.groups) for r in read_resources()}


def test_a_misspelt_kind_in_a_declared_group_is_refused():
    """known_kinds reads the declarations: a kind no dialect declares in an enumerated group is
    TW108, a kind of a group the dialect does not enumerate (Cilium) is not."""
    from tierwall.dialects.known_kinds import misspelt_kinds
    from tierwall.errors import Diagnostics
    from tierwall.load import load_text
    diags = Diagnostics()
    raws = load_text("apiVersion: crd.antrea.io/v1beta1\nkind: ClusterNetworkPolcy\nmetadata: {name: a}\n---\n"
                     "apiVersion: cilium.io/v2\nkind: CiliumEndpoint\nmetadata: {name: b, namespace: x}\n",
                     "in.yaml", diags)
    kept = misspelt_kinds(raws, diags)
    assert [r.kind for r in kept] == ["CiliumEndpoint"]
    assert [d.code for d in diags.items] == ["TW108"] and "ClusterNetworkPolicy" in diags.items[0].message
