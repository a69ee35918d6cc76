"""The enforce back end as a library (tierwall.enforce, docs/api.md): what ``tierwall enforce``
and ``tierwall lab probe`` print is these functions' result, and they run without the CLI."""

from pathlib import Path

import pytest
from click.testing import CliRunner

import tierwall
from tierwall.cli.main import cli
from tierwall.enforce import Lab, case_probes, judge, matrix_probes, node_ruleset, read_iface_map
from tierwall.enforce.lab import Observed
from tierwall.errors import UsageError

EX = Path(__file__).resolve().parents[1] / "examples"
GUESTBOOK = EX / "guestbook"


def test_the_command_prints_the_librarys_ruleset():
    cluster = tierwall.read(str(EX / "environments"))
    ruleset = node_ruleset(cluster, table="twlib", log=True)
    r = CliRunner().invoke(cli, ["enforce", "-f", str(EX / "environments"), "--table", "twlib", "--log"])
    assert r.exit_code == 0, r.output
    assert r.stdout == ruleset.text and ruleset.rules > 0


def test_node_and_iface_map_choose_the_pods(tmp_path):
    cluster = tierwall.read(str(GUESTBOOK))
    pod = next(p for p in cluster.inventory.pods if p.ips and not p.host_network)
    path = tmp_path / "ifaces.yaml"
    path.write_text(f"{pod.key}: ifone\n")
    mapping = read_iface_map(str(path))
    assert mapping == {pod.key: "ifone"}
    text = node_ruleset(cluster, iface_map=mapping).text
    assert '"ifone"' in text and '"v' not in text  # only the mapped pod's interface
    assert "iifname" not in node_ruleset(cluster, node="no-such-node").text
    assert "iifname \"v" in node_ruleset(cluster).text  # default: the lab's names, every pod
    path.write_text("- a list\n")
    with pytest.raises(UsageError, match="expected a mapping"):
        read_iface_map(str(path))
    with pytest.raises(UsageError, match="--table"):
        node_ruleset(cluster, table="bad table")


def test_probes_are_judged_against_the_engine_and_the_expect():
    cluster = tierwall.read(str(GUESTBOOK))
    lab_pods = {p.key for p in Lab("libtest").pods_of(cluster)}
    plan = case_probes(cluster, [str(GUESTBOOK / "tests.yaml")], lab_pods)
    assert plan.probes and len(plan.probes) == len(plan.expects) and set(plan.expects) <= {"Allow", "Drop"}
    # the kernel said what the engine says: everything agrees; said the opposite: nothing does
    engine = [tierwall.trace(cluster, p.src.key, p.dst.key, p.port, p.protocol).verdict.value for p in plan.probes]
    same = judge(cluster, [Observed(p, v) for p, v in zip(plan.probes, engine)], plan.expects)
    assert same.disagreements == 0 and same.to_dict()["probes"][0]["engine"] == engine[0]
    flipped = [Observed(p, "Drop" if v == "Allow" else "Allow") for p, v in zip(plan.probes, engine)]
    other = judge(cluster, flipped, plan.expects)
    assert other.disagreements == len(plan.probes) and not other.ok
    assert same.unmet + other.unmet == len(plan.probes)  # each expect is met by exactly one of the two

    matrix = matrix_probes(cluster, lab_pods, ["6379"])
    n = len(lab_pods)
    assert len(matrix.probes) == n * (n - 1) and set(matrix.expects) == {None}
    with pytest.raises(UsageError):
        matrix_probes(cluster, lab_pods, ["70000"])
