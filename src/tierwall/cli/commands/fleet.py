"""``tierwall fleet``: many clusters, cluster groups, baseline policy sets and central policies
(docs/fleet.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from ...errors import Diagnostics
from ...fleet.executor import EXECUTORS_HELP, progress_bar
from ...render import render_diagnostics, render_json
from ..common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, handle_errors, stderr, stdout


@click.group()
def fleet() -> None:
    """Fleets: render what each cluster receives, check every cluster against its groups'
    tests, diff a change across the fleet.

    FLEET is a Fleet file (apiVersion tierwall.dev/v1alpha1, kind Fleet; docs/fleet.md).
    """


def _plan(path: str, verbose: bool):
    from ...fleet.plan import plan_fleet
    diags = Diagnostics()
    try:
        plan = plan_fleet(path, diags)
    except Exception:
        render_diagnostics([d for d in diags.items if d.severity.value != "error"], stderr(), verbose)
        raise
    render_diagnostics(diags.items, stderr(), verbose)
    return plan


@fleet.command()
@click.argument("fleet_file", metavar="FLEET")
@click.option("--out", "out", required=True, metavar="DIR", help="Folder to write (clusters/ and reports/).")
@click.option("-v", "--verbose", is_flag=True)
@handle_errors
def render(fleet_file, out, verbose):
    """Write, per cluster, exactly the objects it receives (ordered, prefixed, labelled) as a
    folder tree for Flux or Argo CD, and per cluster what applying it creates, updates
    (drift), prunes and orphans (reports/CLUSTER.yaml).

    Exit 0, or 2 when some cluster's sources cannot be read (the others are written).
    """
    from ...fleet.render import render_fleet
    plan = _plan(fleet_file, verbose)
    diags_of: dict[str, Diagnostics] = {}
    results = render_fleet(plan, Path(out), diags_of)
    console = stdout()
    for name, report in results.items():
        render_diagnostics(diags_of[name].items, stderr(), verbose)
        if report is None:
            console.print(Text(f"{name}: not rendered (input is not usable)", style="bold red"))
            continue
        counts = ", ".join(f"{len(report[k])} {k}" for k in ("created", "updated", "pruned", "orphaned")
                           if report[k])
        console.print(Text(f"{name}: {report['delivered']} objects" + (f" ({counts})" if counts else "")))
    console.print(Text(f"written to {out}/clusters (reports in {out}/reports)", style="dim"))
    sys.exit(EXIT_INPUT if any(r is None for r in results.values()) else EXIT_OK)


@fleet.command()
@click.argument("fleet_file", metavar="FLEET")
@click.option("-o", "--output", type=click.Choice(["text", "json", "junit", "md"]), default="text",
              show_default=True)
@click.option("--executor", default="processes", show_default=True, metavar="EXECUTOR", help=EXECUTORS_HELP)
@click.option("--cluster", "only", multiple=True, metavar="NAME", help="Check only these clusters. Repeatable.")
@click.option("-v", "--verbose", is_flag=True)
@handle_errors
def check(fleet_file, output, executor, only, verbose):
    """Check every cluster — its own objects plus what it receives — against its groups' tests.

    Prints a compliance table (clusters × tests) and every failure with the rule that decided.
    A cluster whose input is unusable is reported and the others still run.
    Exit 0 all compliant, 1 some case failed, 2 some input unusable.
    """
    from ...fleet import check_fleet
    from ...fleet.report import exit_code, render_junit, render_markdown, render_text
    plan = _plan(fleet_file, verbose)  # fleet-level diagnostics (warnings too) are shown once
    n = len(only) or len(plan.fleet.clusters)
    with progress_bar(n, "checking clusters", stderr()) as tick:
        report = check_fleet(plan, executor, only, tick)
    if output == "json":
        sys.stdout.write(render_json(report))
    elif output == "junit":
        sys.stdout.write(render_junit(report))
    elif output == "md":
        sys.stdout.write(render_markdown(report))
    else:
        render_text(report, stdout(), verbose)
    sys.exit(exit_code(report))


@fleet.command()
@click.argument("fleet_file", metavar="FLEET")
@click.option("--before", "before", default="git:HEAD", show_default=True, metavar="SIDE",
              help="git:REV (the fleet at that revision of its repository), . (as on disk) or another Fleet file.")
@click.option("--after", "after", default=".", show_default=True, metavar="SIDE", help="Same forms.")
@click.option("--by", type=click.Choice(["workload", "namespace", "pod"]), default="workload", show_default=True)
@click.option("-o", "--output", type=click.Choice(["text", "json", "md"]), default="text", show_default=True)
@click.option("--executor", default="processes", show_default=True, metavar="EXECUTOR", help=EXECUTORS_HELP)
@click.option("--exit-code", is_flag=True, help="Exit 1 when some cluster's connectivity changes.")
@click.option("-v", "--verbose", is_flag=True)
@handle_errors
def diff(fleet_file, before, after, by, output, executor, exit_code, verbose):
    """Per cluster, the connectivity a change to the fleet changes, and a summary
    ("37 clusters change; 2 lose DNS").

    \b
    tierwall fleet diff fleet.yaml --before git:main --after .
    """
    from ...fleet.diff import fleet_diff
    from ...fleet.report import diff_markdown, render_diff_text
    diags = Diagnostics()
    try:
        with progress_bar(None, "diffing clusters", stderr()) as tick:
            report = fleet_diff(before, after, fleet_file, by, executor, tick, diags)
    finally:
        render_diagnostics([d for d in diags.items if d.severity.value != "error"], stderr(), verbose)
    if output == "json":
        sys.stdout.write(render_json(report))
    elif output == "md":
        sys.stdout.write(diff_markdown(report))
    else:
        render_diff_text(report, stdout())
    s = report["summary"]
    sys.exit(EXIT_INPUT if s["errors"] else EXIT_FAILED if exit_code and (s["changed"] or s["added"] or s["removed"])
             else EXIT_OK)


@fleet.command()
@click.argument("fleet_file", metavar="FLEET")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--executor", default="processes", show_default=True, metavar="EXECUTOR", help=EXECUTORS_HELP)
@click.option("--cluster", "only", multiple=True, metavar="NAME", help="Only these clusters. Repeatable.")
@click.option("-v", "--verbose", is_flag=True)
@handle_errors
def precedence(fleet_file, output, executor, only, verbose):
    """Cluster-local rules that disagree with a central or baseline rule on the same flows, with
    both rules, why the winner comes first, and the trace of one such flow.

    Exit 1 when some local rule wins over a fleet rule (e.g. a local Tier with a priority ahead
    of the baseline tiers), 0 when the fleet always wins, 2 when some input is unusable.
    """
    from ...fleet.executor import run_map
    from ...fleet.precedence import precedence_job
    from ...fleet.report import render_precedence_text
    plan = _plan(fleet_file, verbose)
    for name in only:
        plan.fleet.cluster(name)
    jobs = [j for j in plan.jobs() if not only or j.cluster.name in only]
    with progress_bar(len(jobs), "analysing clusters", stderr()) as tick:
        results = run_map(precedence_job, jobs, executor, tick)
    if output == "json":
        sys.stdout.write(render_json({"apiVersion": "tierwall.dev/v1alpha1", "kind": "FleetPrecedence",
                                      "fleet": plan.fleet.name, "clusters": results}))
    else:
        render_precedence_text(results, stdout())
    if any(r["status"] == "error" for r in results):
        sys.exit(EXIT_INPUT)
    broken = any(f["kind"] == "local-overrides-fleet" for r in results for f in r["findings"])
    sys.exit(EXIT_FAILED if broken else EXIT_OK)


@fleet.command()
@click.argument("fleet_file", metavar="FLEET")
@click.option("--from", "src", required=True, metavar="CLUSTER/NS/POD", help="The source pod, with its cluster.")
@click.option("--to", "dst", required=True, metavar="CLUSTER/...",
              help="CLUSTER/NS/POD, CLUSTER/service/NS/NAME or CLUSTER/node/NAME.")
@click.option("--port", default=None, help="Port number or name (not for ICMP).")
@click.option("--protocol", default="TCP", show_default=True)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True)
@handle_errors
def trace(fleet_file, src, dst, port, protocol, output, verbose):
    """A flow from a pod of one cluster to a pod, Service or node of another, traced as egress
    at the source cluster and ingress at the destination cluster (docs/fleet.md).

    \b
    tierwall fleet trace fleet.yaml --from dev-eu/dev-app/web-0 --to prod-eu/prod-app/api-0 --port 8080
    """
    from ...fleet.cross import trace_cross
    from ...fleet.executor import run_map
    from ...fleet.report import render_trace_text
    plan = _plan(fleet_file, verbose)
    doc = trace_cross(plan, src, dst, protocol, port, "serial", run_map)
    if output == "json":
        sys.stdout.write(render_json(doc))
    else:
        render_trace_text(doc, stdout())
    sys.exit(EXIT_INPUT if doc["diagnostics"] else EXIT_OK)
