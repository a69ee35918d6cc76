"""Loading: multi-document YAML, JSON, kind: List, directories, stdin, lines, bad input."""

import io
import json

from tierwall.errors import Diagnostics
from tierwall.load import load_paths, load_text


def test_multi_document_and_lines():
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"
    diags = Diagnostics()
    objs = load_text(text, "f.yaml", diags)
    assert [o.name for o in objs] == ["a", "b"]
    assert [o.origin.line for o in objs] == [1, 6]
    assert [o.origin.doc for o in objs] == [0, 1]
    assert objs[1].line_of(("metadata", "name")) == 9
    assert not diags.items


def test_kind_list_is_unpacked_with_item_lines():
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n" \
           "- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, namespace: a}\n"
    objs = load_text(text, "dump.yaml", Diagnostics())
    assert [(o.kind, o.name, o.origin.line) for o in objs] == [("Namespace", "a", 4), ("Pod", "p", 7)]


def test_json_and_typed_lists(tmp_path):
    doc = {"apiVersion": "v1", "kind": "NamespaceList",
           "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}]}
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ns.json").write_text(json.dumps(doc))
    (tmp_path / "notes.txt").write_text("not yaml: [")
    objs = load_paths([str(tmp_path)], Diagnostics())
    assert [o.name for o in objs] == ["j"]


def test_stdin():
    objs = load_paths(["-"], Diagnostics(), stdin=io.StringIO("apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n"))
    assert objs[0].origin.file == "-"


def test_invalid_yaml_names_file_and_line_and_keeps_earlier_documents():
    diags = Diagnostics()
    objs = load_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [unclosed\n", "bad.yaml", diags)
    assert [o.name for o in objs] == ["a"]
    (err,) = diags.errors
    assert err.origin.file == "bad.yaml" and err.origin.line >= 5 and "invalid YAML" in err.message


def test_missing_file_and_missing_kind():
    diags = Diagnostics()
    load_paths(["/nonexistent/x.yaml"], diags)
    load_text("apiVersion: v1\nmetadata: {name: a}\n", "k.yaml", diags)
    load_text("- just\n- a list\n", "l.yaml", diags)
    messages = [e.message for e in diags.errors]
    assert messages == ["no such file or directory", "object has no kind",
                        "document is a list, not a Kubernetes object"]
