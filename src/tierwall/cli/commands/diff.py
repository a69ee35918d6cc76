"""``tierwall diff``: what connectivity changes between two revisions (a PR review)."""

from __future__ import annotations

import sys

import click

from ... import api
from ...render.diff import render_diff_json, render_diff_text
from ..common import CNI_CHOICES, EXIT_FAILED, EXIT_OK, handle_errors, load, pod_cidr_option, stdout


@click.command()
@click.option("--before", "before", multiple=True, required=True, metavar="PATH",
              help="The old revision: files, directories, -, or git:REV:path. Repeatable.")
@click.option("--after", "after", multiple=True, required=True, metavar="PATH",
              help="The new revision (same forms). Repeatable.")
@click.option("--cni", type=click.Choice(CNI_CHOICES), default=None)
@click.option("--by", type=click.Choice(["workload", "namespace", "pod"]), default="workload", show_default=True)
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when anything changes.")
@click.option("-v", "--verbose", is_flag=True)
@pod_cidr_option
@handle_errors
def diff(before, after, cni, by, output, exit_code, verbose):
    """Pairs and ports newly allowed or newly denied between two revisions.

    \b
    tierwall diff --before git:main:deploy/ --after deploy/
    """
    report = api.diff(load(before, cni, verbose), load(after, cni, verbose), by)
    if output == "json":
        sys.stdout.write(render_diff_json(report))
    else:
        render_diff_text(report, stdout())
    changed = bool(report.changes or report.added or report.removed)
    sys.exit(EXIT_FAILED if exit_code and changed else EXIT_OK)
