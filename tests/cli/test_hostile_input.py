"""Hostile input is bounded and never a traceback: deep nesting, alias bombs, deep selectors,
non-UTF-8 stdin and duplicate keys are exit 2 with one clear line (file:line); what the API
server refuses (bad labels, a CIDR without prefix length) is an error; duplicate pod IPs and
symlink loops are warnings; anything unexpected is exit 3, "internal error"."""

import json

import pytest
from click.testing import CliRunner

import tierwall.api
from tierwall.cli.main import cli
from tierwall.load import reader

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"


def _run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def _lint_json(path):
    r = _run("lint", "-f", str(path), "-o", "json")
    return r, {(f["code"], f["message"]) for f in json.loads(r.stdout)["findings"]} if r.stdout else set()


def test_deep_nesting_is_refused_with_its_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(NS + "  labels:\n    a: " + "[" * 400 + "]" * 400 + "\n")
    r = _run("trace", "-f", str(path), "--from", "x/a", "--to", "x/b", "--port", "80")
    assert r.exit_code == 2, r.output
    assert f"{path}:6: error: nesting deeper than {reader.MAX_DEPTH} levels" in r.stderr
    assert "Traceback" not in r.output


def _bomb(where: str) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "x-bomb:\n" + "".join(f"  {line}\n" for line in lines) + where


@pytest.mark.parametrize("where", [
    NS + "  labels:\n    big: *a9\n",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n"
    "  podSelector:\n    matchExpressions: [{key: a, operator: In, values: *a9}]\n"])
def test_alias_bomb_is_refused_while_reading(tmp_path, where):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(where))
    r = _run("lint", "-f", str(path))
    assert r.exit_code == 2, r.output[:500]
    assert f"aliases repeat more than {reader.MAX_ALIAS_NODES} nodes" in r.stdout + r.stderr
    assert len(r.output) < 2000  # one short line, not the expansion


def test_merge_key_bomb_is_refused_too(tmp_path):
    lines = ['a0: &a0 {x: 1, y: 2, z: 3}']
    lines += [f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(9)) + "}" for i in range(1, 8)]
    doc = "x-bomb:\n" + "".join(f"  {line}\n" for line in lines) + NS + "  labels:\n    <<: *a7\n"
    path = tmp_path / "merge.yaml"
    path.write_text(doc)
    r = _run("lint", "-f", str(path))
    assert r.exit_code == 2 and "repeat more than" in r.stdout + r.stderr, r.output[:500]


def test_messages_quote_values_capped(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(NS + "  labels:\n    a: " + "v" * 100_000 + "\n")
    r, found = _lint_json(path)
    assert r.exit_code == 1
    message = next(m for c, m in found if c == "TW116")
    assert len(message) < 600 and "100000 characters" in message


@pytest.mark.parametrize("selector", ["(" * 300 + "a == 'b'" + ")" * 300, "!" * 400 + "a == 'b'",
                                      "!(" * 200 + "a == 'b'" + ")" * 200])
def test_deep_calico_selectors_are_input_errors(tmp_path, selector):
    path = tmp_path / "gnp.yaml"
    path.write_text(NS + f"""---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {{name: deep}}
spec:
  selector: "{selector}"
  ingress: [{{action: Allow}}]
""")
    r = _run("trace", "-f", str(path), "--from", "x/a", "--to", "x/b", "--port", "80")
    assert r.exit_code in (0, 2), r.output  # '!' 400 times is just a negation: valid
    assert "Traceback" not in r.output and "internal error" not in r.output
    if "(" in selector:
        assert r.exit_code == 2 and "nested deeper than" in r.stderr


def test_many_negations_mean_what_they_say():
    from tierwall.selectors.calico import parse
    assert parse("!" * 400 + "a == 'b'").matches({"a": "b"})
    assert not parse("!" * 401 + "a == 'b'").matches({"a": "b"})


def test_non_utf8_stdin_is_an_input_error():
    r = CliRunner().invoke(cli, ["lint", "-f", "-"], input=NS.encode() + b"  labels: {a: \"\xff\xfe\"}\n")
    assert r.exit_code == 2, r.output
    assert "standard input is not UTF-8 text" in r.output


def test_duplicate_keys_name_both_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: y}\n  name: b\n")
    r, found = _lint_json(path)
    assert r.exit_code == 1
    assert ("TW109", "duplicate key 'name' (first at line 4); the API server refuses duplicate fields") in found


@pytest.mark.parametrize("key,value,fragment", [
    ("-bad", "v", "the name must be"), ("a" * 64, "v", "the name must be"),
    ("Bad_Prefix.io/x", "v", "the prefix must be"), ("ok", "v" * 64, "the value"),
    ("ok", "has space", "the value"), ("ok", 1, "must be a string")])
def test_labels_are_checked_as_the_api_server_does(tmp_path, key, value, fragment):
    path = tmp_path / "l.yaml"
    path.write_text(NS + "  labels:\n    " + json.dumps(key) + ": " + json.dumps(value) + "\n")
    r, found = _lint_json(path)
    assert r.exit_code == 1, r.output
    assert any(c == "TW116" and fragment in m for c, m in found), found


def test_valid_labels_pass(tmp_path):
    path = tmp_path / "l.yaml"
    path.write_text(NS + "  labels: {app.kubernetes.io/name: web, x: '', a-b_c.d: A.b-c_9}\n")
    r, found = _lint_json(path)
    assert not [f for f in found if f[0] == "TW116"], found


def test_ipblock_cidr_needs_a_prefix_length(tmp_path):
    path = tmp_path / "np.yaml"
    path.write_text(NS + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.1}}]}]
""")
    r, found = _lint_json(path)
    assert r.exit_code == 1
    assert any("has no prefix length" in m and "10.0.0.1/32" in m for _, m in found), found


def test_duplicate_pod_ips_are_a_warning(tmp_path):
    path = tmp_path / "pods.yaml"
    pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {n}, namespace: x}}\nspec: {{containers: [{{name: c}}]}}\n" \
          "status: {{podIP: 10.0.0.7}}\n"
    path.write_text(NS + pod.format(n="a") + pod.format(n="b"))
    r, found = _lint_json(path)
    assert any(c == "TW209" and "10.0.0.7 is also the IP of pod x/a" in m for c, m in found), found


def test_symlink_loops_in_directories_are_a_warning(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "ns.yaml").write_text(NS)
    (tmp_path / "d" / "sub" / "up").symlink_to("..")
    (tmp_path / "d" / "self").symlink_to("self")
    r, found = _lint_json(tmp_path / "d")
    assert r.exit_code == 0, r.output
    assert any(c == "TW208" for c, _ in found), found


def test_managed_fields_and_status_noise_are_dropped_while_reading(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("""apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a
    namespace: x
    managedFields: [{manager: kubectl, fieldsV1: {f:metadata: {}}}]
  spec: {containers: [{name: c}]}
  status:
    podIP: 10.0.0.9
    conditions: [{type: Ready}]
    containerStatuses: [{name: c, ready: true}]
""")
    from tierwall.errors import Diagnostics
    raws = reader.load_paths([str(path)], Diagnostics())
    assert "managedFields" not in raws[0].data["metadata"]
    assert raws[0].data["status"] == {"podIP": "10.0.0.9"}
    assert raws[0].line_of(("status", "podIP")) == 12
    assert raws[0].line_of(("spec", "containers", 0, "name")) == 10 and raws[0].line_of(("metadata", "namespace")) == 8
    from tierwall.load.lines import FieldLines
    where = raws[0].where  # the dropped fields' nodes left no line behind: one line per node of the data
    # (the List document's own 7 nodes — mapping, apiVersion, kind, items and their values — then the pod's)
    def size(v):
        return 1 + sum(size(k) + size(x) for k, x in v.items()) if isinstance(v, dict) else \
            1 + sum(size(x) for x in v) if isinstance(v, list) else 1
    assert isinstance(where, FieldLines) and where.base == 7
    assert len(where.lines) == len(where.ends) == where.ends[where.base] == 7 + size(raws[0].data)


def test_unexpected_exceptions_are_internal_errors_exit_3(tmp_path, monkeypatch):
    path = tmp_path / "ns.yaml"
    path.write_text(NS)

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(tierwall.api, "lint", broken)
    r = _run("lint", "-f", str(path))
    assert r.exit_code == 3
    assert r.stderr.startswith("internal error, please report: KeyError: 'a bug'")
    assert "Traceback" not in r.stderr and "-v" in r.stderr
    r = _run("lint", "-f", str(path), "-v")
    assert r.exit_code == 3 and "Traceback" in r.stderr


def test_git_revisions_are_never_options(tmp_path, monkeypatch):
    import subprocess
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (["init", "-q"], ["config", "user.email", "t@t"], ["config", "user.name", "t"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    (repo / "ns.yaml").write_text(NS)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    target = tmp_path / "written"
    r = _run("lint", "-f", f"git:--output={target}:ns.yaml")
    assert r.exit_code == 2 and "cannot read from git" in r.output, r.output
    assert not target.exists()
    ok = _run("lint", "-f", "git:HEAD:ns.yaml")
    assert ok.exit_code == 0, ok.output


def test_dot_output_quotes_names(tmp_path):
    import subprocess
    path = tmp_path / "pods.yaml"
    pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {n}, namespace: x}}\nspec: {{containers: [{{name: c}}]}}\n"
    path.write_text(NS + pod.format(n=json.dumps('a"; "evil" -> "x')) + pod.format(n="b\\\\"))
    r = _run("matrix", "-f", str(path), "-o", "dot")
    assert r.exit_code == 0, r.output
    assert '"x/a\\"; \\"evil\\" -> \\"x"' in r.stdout
    parsed = subprocess.run(["dot", "-Tplain"], input=r.stdout, capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr
    nodes = [line for line in parsed.stdout.splitlines() if line.startswith("node ")]
    names = [line.split()[1] for line in nodes]
    assert not {"evil", '"evil"', "x", '"x"'} & set(names), names  # no node made up by the name
    assert sum(name.startswith('"x/') for name in names) == 2, names


VARIED = """# anchors, merges, tags, flow and block styles, several documents, a List with noise
x-defaults: &defaults {app: web, tier: front}
apiVersion: v1
kind: Namespace
metadata:
  name: a
  labels:
    <<: *defaults
    extra: "1"
  annotations: {n: !custom tagged, t: 2024-01-01, f: 1.5, b: yes, o: 0o17}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
    namespace: a
    labels: &labels {app: web}
    managedFields:
    - {manager: kubectl, fieldsV1: {f:metadata: {}}}
  spec:
    containers: [{name: c, ports: [{containerPort: 80}]}]
  status: {podIP: 10.0.0.1, conditions: [{type: Ready}], phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: q, namespace: a, labels: *labels}
  spec: {containers: [{name: c}]}
  status:
    podIP: 10.0.0.2
---
"""


def test_the_streaming_composer_reads_what_the_c_composer_reads():
    from tierwall.errors import Diagnostics
    fast, streamed = Diagnostics(), Diagnostics()
    a = reader.load_text(VARIED, "v.yaml", fast)
    b = reader.load_text(VARIED, "v.yaml", streamed, stream_bytes=0)
    assert [r.data for r in a] == [r.data for r in b]
    assert [r.origin for r in a] == [r.origin for r in b]
    for path in (("status", "podIP"), ("metadata", "labels", "app"), ("spec", "containers", 0, "ports")):
        assert [r.line_of(path) for r in a] == [r.line_of(path) for r in b]
    assert not fast.items and not streamed.items
    assert "managedFields" not in b[1].data["metadata"] and b[1].data["status"] == {"podIP": "10.0.0.1",
                                                                                      "phase": "Running"}
    bad = reader.load_text(NS + "  labels: *nope\n", "x.yaml", streamed, stream_bytes=0)
    assert bad == [] and "undefined anchor" in streamed.items[-1].message
    dropped = Diagnostics()
    reader.load_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  managedFields: [&m {a: 1}]\n"
                     "  labels: *m\n", "y.yaml", dropped, stream_bytes=0)
    assert "inside a field tierwall drops" in dropped.items[-1].message
