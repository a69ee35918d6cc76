"""Lab probes and their verdicts: which packets to send for a ConnectivityTest or the matrix,
and how each kernel verdict compares with the engine's (and the case's expect).

The lab (``lab.py``) sends the packets; this module decides what to send and judges what came
back, so that ``tierwall lab probe`` and any other front end report the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..cluster import Cluster
from ..engine import Flow, endpoint_for_pod, trace_flow
from ..engine.portclasses import default_port_classes, parse_port_spec
from ..errors import Diagnostics
from ..expect import parse_tests, resolve_destinations, resolve_sources
from ..inventory import Pod, Service
from ..load import load_paths
from .lab import Observed, Probe


@dataclass
class ProbePlan:
    """The probes to send, each with the verdict its case expects (``None``: no expectation)."""

    probes: list[Probe] = field(default_factory=list)
    expects: list[str | None] = field(default_factory=list)


def case_probes(cluster: Cluster, test_paths: Iterable[str], lab_pods: set[str]) -> ProbePlan:
    """One probe per pod-to-pod flow of the ConnectivityTest cases in ``test_paths`` whose
    ends are both pods of the lab (the lab carries pod-to-pod flows only).

    Raises:
        InputError: a test file cannot be read or holds an invalid case.
    """
    diags = Diagnostics()
    cases = parse_tests(load_paths(list(test_paths), diags), diags)
    diags.raise_if_errors()
    plan = ProbePlan()
    for case in cases:
        dsts = resolve_destinations(cluster.compiled, case.dst)
        for src in resolve_sources(cluster.compiled, case.src):
            for dst in dsts:
                if isinstance(dst, Service) or src.pod is None or dst.pod is None or \
                        src.pod.key not in lab_pods or dst.pod.key not in lab_pods or src.pod is dst.pod:
                    continue
                port = case.port if not isinstance(case.port, str) else dst.pod.named_port(case.port, case.protocol)
                plan.probes.append(Probe(src.pod, dst.pod, case.protocol, port, case.source_port))
                plan.expects.append(case.expect)
    return plan


def matrix_probes(cluster: Cluster, lab_pods: set[str], port_specs: Iterable[str] = ()) -> ProbePlan:
    """Every ordered pair of distinct lab pods on each port (``PORT[/PROTO]``; default: every
    port class of the model).

    Raises:
        UsageError: a port spec is invalid.
    """
    inv = cluster.inventory
    ports = [parse_port_spec(p) for p in port_specs] or default_port_classes(cluster.model, inv)
    pods: list[Pod] = [inv.pod(k) for k in sorted(lab_pods)]
    probes = [Probe(a, b, pc.protocol, pc.port) for pc in ports for a in pods for b in pods if a is not b]
    return ProbePlan(probes, [None] * len(probes))


@dataclass
class ProbeReport:
    """Kernel against engine (and expect) for every probe: ``tierwall lab probe -o json``."""

    rows: list[dict]

    @property
    def disagreements(self) -> int:
        return sum(not r["agree"] for r in self.rows)

    @property
    def unmet(self) -> int:
        return sum(r["expectMet"] is False for r in self.rows)

    @property
    def with_expect(self) -> int:
        return sum(r["expect"] is not None for r in self.rows)

    @property
    def ok(self) -> bool:
        return not self.disagreements and not self.unmet

    def to_dict(self) -> dict:
        return {"probes": self.rows, "disagreements": self.disagreements, "unmetExpectations": self.unmet}


def judge(cluster: Cluster, observed: list[Observed], expects: list[str | None]) -> ProbeReport:
    """Each observed kernel verdict next to ``trace``'s verdict for the same flow and the
    case's expect."""
    inv = cluster.inventory
    rows = []
    for o, expect in zip(observed, expects):
        p = o.probe
        flow = Flow(endpoint_for_pod(inv, p.src), endpoint_for_pod(inv, p.dst), p.protocol, p.port, p.sport,
                    *((8, 0) if p.protocol == "ICMP" else (None, None)))
        path = trace_flow(cluster.compiled, flow)
        rows.append({"from": p.src.key, "to": p.dst.key, "protocol": p.protocol, "port": p.port,
                     "kernel": o.verdict, "engine": path.verdict.value, "agree": path.verdict.value == o.verdict,
                     "expect": expect, "expectMet": None if expect is None else expect == o.verdict,
                     "kernelRules": o.rules, "engineDecision": path.decision.explanation})
    return ProbeReport(rows)
