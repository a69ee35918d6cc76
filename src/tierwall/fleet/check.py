"""The per-cluster job of ``fleet check``: assemble, compile, run the groups' tests.

Runs in a worker (a process, or a Dask worker on another machine) and returns plain data
(JSON-ready dicts), so that every executor gives byte-identical reports. Any failure of one
cluster — unreadable sources, invalid objects, a test endpoint it lacks, even a bug — is
returned as that cluster's error; it never stops the others.
"""

from __future__ import annotations

from ..cluster import load_cluster
from ..errors import Diagnostics
from ..expect import parse_tests, run_cases
from ..load import load_text
from .assemble import Assembly, assemble
from .cross import is_cross, resolve_all
from .guard import guarded, reported
from .plan import TEST_KIND, ClusterJob

def check_job(job: ClusterJob) -> dict:
    """Check one cluster; never raises."""
    diags = Diagnostics()
    out: dict = {"cluster": job.cluster.name, "groups": list(job.groups), "status": "error", "cases": [],
                 "delivery": None, "diagnostics": []}

    def body() -> None:
        asm = assemble(job.cluster, list(job.bundles), diags, job.others)
        out["delivery"] = delivery_summary(asm)
        cluster = load_cluster([], job.cluster.cni, diags=diags, extra=asm.effective)
        raws = [r for name, text in job.tests for r in load_text(text, name, diags) if r.kind == TEST_KIND]
        cases = parse_tests(raws, diags, lambda entry: None if is_cross(entry, job.clusters) else entry)
        if job.lookups:  # ends that other clusters' cross-cluster cases name here
            out["addresses"] = resolve_all(cluster, job.lookups)
        report = run_cases(cluster.compiled, cases, diags)
        diags.raise_if_errors()
        out["cni"] = cluster.cni
        out["cases"] = summarise_cases(cases, report.results)
        out["status"] = "failed" if report.failed else "passed"

    guarded(job.cluster.origin, diags, body)
    out["diagnostics"] = reported(diags)
    return out


def summarise_cases(cases, results) -> list[dict]:
    """One entry per case: pairs checked, pairs failed, and every failing pair in full."""
    by_case: dict[int, dict] = {}
    for case in cases:
        by_case.setdefault(id(case), {"name": case.name, "test": case.test, "expect": case.expect,
                                      "origin": case.origin.to_dict(), "pairs": 0, "failedPairs": 0,
                                      "passed": True, "failures": []})
    for result in results:
        entry = by_case[id(result.case)]
        entry["pairs"] += 1
        if not result.passed:
            entry["failedPairs"] += 1
            entry["passed"] = False
            entry["failures"].append(result.to_dict())
    return list(by_case.values())


def delivery_summary(asm: Assembly) -> dict:
    def ref(raw) -> str:
        return "/".join(p for p in (raw.kind, raw.namespace, raw.name) if p)

    return {"delivered": len(asm.delivered),
            "created": [ref(r) for _, r in asm.created],
            "drifted": [{"object": ref(mine), "set": b.name, "origin": mine.origin.to_dict()}
                        for b, mine, _ in asm.updated],
            "pruned": [{"object": ref(r), "set": b.name, "origin": r.origin.to_dict()} for b, r in asm.pruned],
            "orphaned": [{"object": ref(r), "set": b.name, "origin": r.origin.to_dict()} for b, r in asm.orphaned]}
