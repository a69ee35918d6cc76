"""Property: whatever a field holds, tierwall answers with diagnostics and an exit code —
never a traceback. Fields of real policies of every dialect are replaced by junk."""

from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierwall.cli.main import cli

ROOT = Path(__file__).resolve().parents[2] / "examples"
BUNDLES = {name: [d for f in sorted((ROOT / name).rglob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
           for name in ("environments", "calico-rancher-lockdown", "platform-guardrails", "guestbook")}
JUNK = st.one_of(st.none(), st.integers(-5, 70000), st.text(max_size=8), st.booleans(),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _set(node, path, value):
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(BUNDLES)), st.data())
def test_junk_in_any_field_is_a_diagnostic_not_a_crash(bundle, data):
    docs = yaml.safe_load(yaml.safe_dump_all(BUNDLES[bundle]) and yaml.safe_dump(BUNDLES[bundle]))
    policies = [d for d in docs if d.get("kind") not in ("Namespace", "List")]
    target = data.draw(st.sampled_from(policies))
    path = data.draw(st.sampled_from([p for p in _paths(target) if p and p[0] not in ("apiVersion",)]))
    _set(target, path, data.draw(JUNK))
    text = yaml.safe_dump_all(docs)
    for command in (["check", "-f", "-"], ["lint", "-f", "-"], ["matrix", "-f", "-", "-o", "json", "--by", "namespace"]):
        r = CliRunner().invoke(cli, command, input=text)
        assert isinstance(r.exception, SystemExit) or r.exception is None, (path, r.output)
        assert r.exit_code in (0, 1, 2), (command, path, r.output)
        assert "Traceback" not in r.output


REGRESSIONS = [  # each crashed once with a traceback (found by the property above)
    ("environments", "ClusterNetworkPolicy", ("spec", "ingress", 0, "name"), [1]),
    ("environments", "ClusterNetworkPolicy", ("spec", "tier"), ["securityops"]),
    ("calico-rancher-lockdown", "GlobalNetworkPolicy", ("spec", "egress", 0, "protocol"), ["UDP"]),
    ("calico-rancher-lockdown", "Service", ("spec", "ports", 0, "targetPort"), [53]),
    ("calico-rancher-lockdown", "Deployment", ("spec", "template", "metadata"), [1, 2]),
]


def test_regressions_are_diagnostics():
    for bundle, kind, path, junk in REGRESSIONS:
        docs = yaml.safe_load(yaml.safe_dump(BUNDLES[bundle]))
        items = [d for doc in docs for d in (doc.get("items", [doc]) if doc.get("kind") == "List" else [doc])]
        target = next(d for d in items if d.get("kind") == kind and _has(d, path))
        _set(target, path, junk)
        r = CliRunner().invoke(cli, ["lint", "-f", "-"], input=yaml.safe_dump_all(items))
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), (path, r.output)
        assert "error" in r.output


def _has(node, path):
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return False
    return True
