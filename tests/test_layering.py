"""Imports only point left along the pipeline (style.md §3): load → inventory/selectors →
model → dialects → engine → expect/render → cli. A back edge fails here, and so does a
top-level module or package that is not placed in :data:`LAYERS` (a new one must be placed
before its imports are checked)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tierwall"
LAYERS = ["gcpause", "origin", "errors", "addresses", "load", "selectors", "inventory", "model", "dialects", "live", "engine",
          "cluster", "expect", "rbac", "analysis", "enforce", "render", "api", "fleet", "web", "cli", "__main__",
          "__init__"]
KNOWN_BACK_EDGES = {
    ("load.reader", "live"): "a k8s:// or snapshot path given to -f is read by tierwall.live, imported lazily "
                             "inside load_paths; live itself reads the dialects' kind declarations",
}
"""Back edges that exist on purpose, each with its reason; any other fails."""


def _layer(module: str) -> int | None:
    head = module.split(".")[0]
    return LAYERS.index(head) if head in LAYERS else None


def test_imports_point_left():
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        own = _layer(rel.parts[0])
        if own is None:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                base = list(rel.parts[:-1]) if path.name != "__init__.py" else list(rel.parts[:-1])
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
                layer = _layer(target) if target else None
                if layer is not None and layer > own and (".".join(rel.parts), target.split(".")[0]) \
                        not in KNOWN_BACK_EDGES:
                    bad.append(f"{rel} imports {target}")
    assert not bad, bad


def test_model_imports_nothing_but_origin_errors_selectors():
    for path in (SRC / "model").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert node.module in ("origin", "errors", "selectors"), f"{path.name}: {node.module}"


def _top_level() -> set[str]:
    return {p.stem if p.is_file() else p.name for p in SRC.iterdir()
            if (p.is_file() and p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").exists())}


def test_every_package_is_placed():
    unplaced = _top_level() - set(LAYERS)
    assert not unplaced, f"place {sorted(unplaced)} in LAYERS (tests/test_layering.py) so its imports are checked"


def _imports(package: str):
    """(file, imported module) for every relative import inside ``package``."""
    for path in (SRC / package).rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                base = list(rel.parts[:-1])
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                yield rel, ".".join(base + ([node.module] if node.module else []))


def test_dialects_never_read_the_inventory():
    """What lowering knows of the cluster comes through its LowerContext (dialects/contract.py)."""
    bad = [f"{rel} imports {target}" for rel, target in _imports("dialects") if target.startswith("inventory")]
    assert not bad, bad


def test_engine_knows_no_dialect():
    """compile/trace/matrix read the model only; a dialect's knowledge reaches them as declarations."""
    bad = [f"{rel} imports {target}" for rel, target in _imports("engine") if target.startswith("dialects")]
    assert not bad, bad


PEER_DISPATCH_ALLOWED = ("model/peer.py", "dialects/")
"""Where a peer's class may be tested: its definition and the dialects' lowering. Everything
else reads the resolved form (``engine/resolve.py``)."""


def _peer_class_names() -> set[str]:
    from typing import get_args

    from tierwall.model.peer import Peer
    return {cls.__name__ for cls in get_args(Peer)}


def test_peer_classes_are_dispatched_only_where_peers_resolve():
    """A new peer kind costs one resolve function: no back end tests ``isinstance(p, XPeer)``
    (or ``type(p) is XPeer``); ``engine/resolve.py`` maps classes to resolve functions."""
    names = _peer_class_names()
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(PEER_DISPATCH_ALLOWED):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            tested = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                    "isinstance", "issubclass") and len(node.args) == 2:
                target = node.args[1]
                tested = target.elts if isinstance(target, ast.Tuple) else [target]
            elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot, ast.Eq)) for op in node.ops):
                tested = node.comparators
            elif isinstance(node, ast.MatchClass):
                tested = [node.cls]
            for t in tested:
                name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
                if name in names:
                    bad.append(f"{rel}:{node.lineno} tests {name}")
    assert not bad, "peer classes dispatched outside their resolve functions:\n" + "\n".join(bad)


def test_every_peer_class_has_a_resolve_function():
    from tierwall.engine.resolve import KINDS
    assert {cls.__name__ for cls in KINDS} == _peer_class_names()
