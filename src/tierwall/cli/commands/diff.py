"""``tierwall diff``: what connectivity changes between two revisions (a PR review)."""

from __future__ import annotations

import sys

import click

from ... import api
from ...render.diff import render_diff_json, render_diff_text
from ..common import CNI_CHOICES, EXIT_FAILED, EXIT_OK, handle_errors, live_options, load, pod_cidr_option, stdout


@click.command()
@click.option("--before", "before", multiple=True, required=True, metavar="PATH",
              help="The old revision: files, directories, -, git:REV:path, or k8s://CONTEXT. Repeatable.")
@click.option("--after", "after", multiple=True, required=True, metavar="PATH",
              help="The new revision (same forms). Repeatable.")
@click.option("--cni", type=click.Choice(CNI_CHOICES), default=None)
@click.option("--by", type=click.Choice(["workload", "namespace", "pod"]), default="workload", show_default=True)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changes.")
@click.option("-v", "--verbose", is_flag=True)
@click.option("--objects/--no-objects", "objects", default=None,
              help="Also list objects missing, extra or changed (default: on when a side is a live cluster).")
@pod_cidr_option
@live_options
@handle_errors
def diff(before, after, cni, by, output, exit_code, verbose, objects):
    """Pairs and ports newly allowed or newly denied between two revisions.

    \b
    tierwall diff --before git:main:deploy/ --after deploy/
    tierwall diff --before git:main:deploy/ --after k8s://prod     # drift: Git vs the cluster
    """
    from ..drift import run_drift
    old, new = load(before, cni, verbose), load(after, cni, verbose)
    drift, old, new = run_drift(old, new, objects, before, after)
    report = api.diff(old, new, by)
    if output == "json":
        sys.stdout.write(render_diff_json(report) if drift is None else drift.json_with(report))
    else:
        render_diff_text(report, stdout())
        if drift is not None:
            drift.render(stdout())
    changed = report.changed or (drift is not None and drift.changed)
    sys.exit(EXIT_FAILED if exit_code and changed else EXIT_OK)
