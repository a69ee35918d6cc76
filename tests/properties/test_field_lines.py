"""Property: the compact line table names the same line for every field as the YAML node tree
it replaces — for every path of every object in the examples, and of generated objects written
in block and flow style, in lists, with fields the reader drops and paths that go too far."""

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwall.errors import Diagnostics
from tierwall.load.lines import FieldLines
from tierwall.load.reader import RawObject, _Loader, load_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                yield from _paths(v, prefix + (k,))
        yield prefix + ("no-such-field",)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))
        yield prefix + (len(value),)


def _node_lines(text: str) -> list:
    """Each object's node tree, as the reader kept it before (the oracle)."""
    loader = _Loader(text)
    out = []
    while loader.check_node():
        node = loader.get_node()
        data = yaml.load(yaml.serialize(node, Dumper=yaml.SafeDumper), Loader=yaml.SafeLoader)
        if isinstance(data, dict) and isinstance(data.get("kind"), str) and data["kind"].endswith("List"):
            items = next(v for k, v in node.value if k.value == "items")
            out.extend(items.value)
        elif data is not None:
            out.append(node)
    return out


def _same_lines(text: str) -> int:
    raws = load_text(text, "x.yaml", Diagnostics())
    nodes = _node_lines(text)
    assert len(raws) == len(nodes)
    checked = 0
    for raw, node in zip(raws, nodes):
        assert isinstance(raw.where, FieldLines)
        oracle = RawObject(raw.data, raw.origin, node)
        for path in _paths(raw.data):
            assert raw.line_of(path) == oracle.line_of(path), path
            checked += 1
    return checked


def test_every_field_of_every_example():
    checked = sum(_same_lines(f.read_text()) for f in sorted(EXAMPLES.rglob("*.yaml")))
    assert checked > 1000


KEYS = st.sampled_from(["a", "b", "spec", "ports", "from", "metadata", "status", "conditions", "x y", "80"])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text("ab: -#\n", max_size=6))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(KEYS, inner, max_size=4)), max_leaves=25)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(KEYS, VALUES, max_size=5), min_size=1, max_size=3),
       st.sampled_from([None, False, True]), st.booleans())
def test_generated_objects_in_any_style(bodies, flow, as_list):
    _same_generated(bodies, flow, as_list)


def _same_generated(bodies, flow, as_list):
    objects = [{"apiVersion": "v1", "kind": "ConfigMap", **body} for body in bodies]
    docs = [{"apiVersion": "v1", "kind": "List", "items": objects}] if as_list else objects
    _same_lines(yaml.safe_dump_all(docs, default_flow_style=flow, sort_keys=False))


NOISY = st.fixed_dictionaries({
    "metadata": st.dictionaries(st.sampled_from(["name", "managedFields", "labels", "namespace"]), VALUES, max_size=4),
    "status": st.dictionaries(st.sampled_from(["conditions", "podIP", "containerStatuses", "phase"]), VALUES,
                              max_size=4),
    "spec": VALUES})


@settings(max_examples=100, deadline=None)
@given(st.lists(NOISY, min_size=1, max_size=3), st.sampled_from([None, False]), st.booleans())
def test_fields_the_reader_drops_leave_no_line_behind(bodies, flow, as_list):
    _same_generated(bodies, flow, as_list)


def test_documents_whose_data_does_not_mirror_their_nodes_keep_the_node_tree():
    """An alias of a mapping, a merge key or a key given twice: the data has fewer (or
    differently placed) values than the text has nodes, so the line table cannot be walked."""
    texts = {
        "alias": "apiVersion: v1\nkind: ConfigMap\nx: &m {a: 1}\ny: *m\nz: 2\n",
        "merge": "apiVersion: v1\nkind: ConfigMap\nbase: &b {a: 1}\nx:\n  <<: *b\n  c: 3\nz: 2\n",
        "duplicate": "apiVersion: v1\nkind: ConfigMap\nz: 1\nz: 2\nw: 3\n",
    }
    for name, text in texts.items():
        (raw,) = load_text(text, f"{name}.yaml", Diagnostics())
        assert isinstance(raw.where, yaml.Node), name
        assert raw.line_of(("z",)) == text.splitlines().index(next(l for l in text.splitlines() if l.startswith("z:"))) + 1
    (raw,) = load_text(texts["duplicate"], "d.yaml", Diagnostics())
    assert raw.line_of(("w",)) == 5
