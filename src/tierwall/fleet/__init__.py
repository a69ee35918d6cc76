"""Fleets of clusters: groups, baseline policy sets delivered as Flux/TMC deliver them, central
(NSX) policies in their category tiers, and every cluster checked at once (docs/fleet.md).

One module per step: ``spec`` (the Fleet file), ``sources`` (folders read once, kustomize
builds), ``deliver`` (what a set puts into a cluster), ``assemble`` (a cluster after delivery
and prune), ``plan`` (one job per cluster), ``check`` (the job), ``executor`` (processes or
Dask), ``report`` (the compliance table), ``render`` (the folder tree for Flux / Argo CD).
"""


def check_fleet(path, executor: str = "processes", clusters=(), progress=None) -> dict:
    """``tierwall fleet check -o json`` as data: the FleetCheckReport of the Fleet file at
    ``path`` (or of a ``plan.Plan`` already read; docs/fleet.md). Raises InputError for fleet-level input errors; a cluster's own
    bad input is reported inside the report (status ``error``)."""
    from ..errors import Diagnostics
    from dataclasses import replace

    from .check import check_job
    from .cross import evaluate, instances, lookups_for
    from .executor import run_map
    from .plan import Plan, plan_fleet
    from .report import fleet_report

    plan = path if isinstance(path, Plan) else plan_fleet(path, Diagnostics())
    for name in clusters:
        plan.fleet.cluster(name)  # UsageError for a name that is not in the fleet
    plan.absolute_sources = executor.startswith("dask://")  # workers elsewhere read them by absolute path
    jobs = [j for j in plan.jobs() if not clusters or j.cluster.name in clusters]
    need = lookups_for(instances(plan, jobs))
    jobs = [replace(j, lookups=tuple(sorted(need.get(j.cluster.name, ()), key=str))) for j in jobs]
    results = run_map(check_job, jobs, executor, progress)
    evaluate(plan, jobs, results, executor, run_map)  # cross-cluster cases: a second round
    return fleet_report(plan.fleet.name, results)


__all__ = ["check_fleet"]
