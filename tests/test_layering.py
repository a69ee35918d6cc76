"""Imports only point left along the pipeline (style.md §3): load → inventory/selectors →
model → dialects → engine → expect/render → cli. A back edge fails here."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tierwall"
LAYERS = ["origin", "errors", "addresses", "load", "selectors", "inventory", "model", "dialects", "engine", "cluster",
          "expect", "rbac", "analysis", "enforce", "render", "api", "fleet", "web", "cli"]


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
                if layer is not None and layer > own:
                    bad.append(f"{rel} imports {target}")
    assert not bad, bad


def test_model_imports_nothing_but_origin_errors_selectors():
    for path in (SRC / "model").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert node.module in ("origin", "errors", "selectors"), f"{path.name}: {node.module}"
