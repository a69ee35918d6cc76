"""``fleet diff``: what a change to the fleet (a policy set, a central folder, the Fleet file,
a cluster's objects) does to each cluster's connectivity.

Each side is a whole fleet — the Fleet file as on disk, at a Git revision (the repository is
extracted at that revision, so kustomizations and every relative path resolve as in a clone),
or another Fleet file. Per cluster both sides are assembled as ``fleet check`` assembles them
and compared by the connectivity diff engine (``tierwall.api.diff``, the engine behind
``tierwall diff``); the per-cluster map runs on the same executors as ``fleet check``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..cluster import load_cluster
from ..errors import Diagnostics, InputError, UsageError
from ..origin import Origin
from .assemble import assemble
from .guard import guarded, reported
from .plan import ClusterJob, Plan, plan_fleet
from .sources import checkout

DNS_PORT = 53


@dataclass(frozen=True)
class DiffJob:
    name: str
    before: ClusterJob | None
    after: ClusterJob | None
    by: str


class FleetSide:
    """One side of a fleet diff: ``.`` (the Fleet file on disk), ``git:REV`` (the same file at
    revision REV of its repository) or a path to another Fleet file. A context manager: a Git
    side lives in a temporary folder until the diff is done."""

    def __init__(self, spec: str, fleet_file: str):
        self.spec, self.fleet_file = spec, fleet_file
        self._tmp: str | None = None

    def __enter__(self) -> str:
        if self.spec in (".", ""):
            return self.fleet_file
        if self.spec.startswith("git:"):
            rev = self.spec[len("git:"):].split(":", 1)[0]
            if not rev:
                raise UsageError(f"{self.spec}: expected git:REVISION (e.g. git:main)")
            self._tmp = tempfile.mkdtemp(prefix="tierwall-fleet-")
            folder = Path(self.fleet_file).resolve().parent
            try:
                top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True,
                                     text=True, check=True).stdout.strip()
            except (subprocess.CalledProcessError, OSError):
                raise UsageError(f"{self.fleet_file} is not inside a Git repository (needed for {self.spec})") \
                    from None
            rel = Path(self.fleet_file).resolve().relative_to(top)
            diags = Diagnostics()
            root = checkout(f"git:{rev}:.", Path(self._tmp), diags, Origin(file=self.spec), cwd=Path(top))
            if root is None:
                raise InputError(diags.errors)
            target = root / rel
            if not target.exists():
                raise UsageError(f"{rel} does not exist at revision {rev}")
            return str(target)
        return self.spec

    def __exit__(self, *exc) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def diff_jobs(before: Plan, after: Plan, by: str) -> list[DiffJob]:
    """One job per cluster of either side (a cluster only on one side is added or removed)."""
    b = {c.name: before.job(c) for c in before.fleet.clusters}
    a = {c.name: after.job(c) for c in after.fleet.clusters}
    names = [c.name for c in after.fleet.clusters] + [n for n in b if n not in a]
    return [DiffJob(n, b.get(n), a.get(n), by) for n in names]


def diff_job(job: DiffJob) -> dict:
    """Diff one cluster; never raises (a side that cannot be built is this cluster's error)."""
    from ..api import diff as connectivity_diff
    out: dict = {"cluster": job.name, "status": "error", "diagnostics": []}
    if job.before is None or job.after is None:
        out["status"] = "added" if job.before is None else "removed"
        return out
    diags = Diagnostics()

    def body() -> None:
        sides = []
        for side in (job.before, job.after):
            asm = assemble(side.cluster, list(side.bundles), diags, side.others)
            sides.append(load_cluster([], side.cluster.cni, diags=diags, extra=asm.effective))
        report = connectivity_diff(sides[0], sides[1], job.by).to_dict()
        out["diff"] = report
        changed = bool(report["changes"] or report["podsAdded"] or report["podsRemoved"]
                       or report["servicePortsAdded"] or report["servicePortsRemoved"])
        out["status"] = "changed" if changed else "unchanged"
        out["losesDns"] = loses_dns(report)

    guarded(job.after.cluster.origin, diags, body)
    out["diagnostics"] = reported(diags)
    return out


_LABEL = re.compile(r"^(TCP|UDP|SCTP)/(\d+)(?:-(\d+))?$")


def _covers(label: str, protocol: str, port: int, labels: list[str]) -> bool:
    """Whether the port class ``label`` holds ``protocol/port`` (``PROTO/other`` holds every
    port no other class of that protocol names)."""
    if label == f"{protocol}/other":
        return not any(_covers(other, protocol, port, []) for other in labels if other != label)
    m = _LABEL.match(label)
    if not m or m.group(1) != protocol:
        return False
    lo = int(m.group(2))
    hi = int(m.group(3) or lo)
    return lo <= port <= hi


def loses_dns(report: dict) -> bool:
    """Some pair newly denied on UDP or TCP port 53 (what resolvers use)."""
    return any(c["change"] == "newly denied" and any(_covers(c["port"], p, DNS_PORT, report["ports"])
                                                     for p in ("UDP", "TCP"))
               for c in report["changes"])


def fleet_diff(before_spec: str, after_spec: str, fleet_file: str, by: str = "workload",
               executor: str = "processes", progress=None, diags: Diagnostics | None = None) -> dict:
    """The FleetDiff report (data) between two sides of the fleet."""
    from .executor import run_map
    diags = diags if diags is not None else Diagnostics()
    with FleetSide(before_spec, fleet_file) as before_file, FleetSide(after_spec, fleet_file) as after_file:
        before, after = plan_fleet(before_file, diags), plan_fleet(after_file, diags)
        results = run_map(diff_job, diff_jobs(before, after, by), executor, progress)
    status = [r["status"] for r in results]
    return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "FleetDiff", "fleet": after.fleet.name,
            "before": before_spec, "after": after_spec, "by": by,
            "summary": {"clusters": len(results), "changed": status.count("changed"),
                        "unchanged": status.count("unchanged"), "added": status.count("added"),
                        "removed": status.count("removed"), "errors": status.count("error"),
                        "losingDns": sum(bool(r.get("losesDns")) for r in results)},
            "clusters": results}


def summary_sentence(report: dict) -> str:
    """``37 clusters change; 2 lose DNS`` — the line a reviewer reads first."""
    s = report["summary"]
    parts = [f"{s['changed']} cluster{'s' if s['changed'] != 1 else ''} change"
             + ("s" if s["changed"] == 1 else "")]
    parts.append(f"{s['losingDns']} lose{'s' if s['losingDns'] == 1 else ''} DNS")
    for key, word in (("added", "added to the fleet"), ("removed", "removed from the fleet"),
                      ("errors", "with unusable input")):
        if s[key]:
            parts.append(f"{s[key]} {word}")
    parts.append(f"{s['unchanged']} unchanged")
    return "; ".join(parts)
