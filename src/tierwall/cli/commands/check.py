"""``tierwall check``: run ConnectivityTests against the cluster; exit 0 / 1 / 2."""

from __future__ import annotations

import sys

import click

from ... import api
from ...errors import Diagnostics, InputError
from ...render import render_check, render_diagnostics, render_json, render_junit
from ..common import EXIT_FAILED, EXIT_OK, handle_errors, input_options, load, pod_cidr, stderr, stdout


@click.command()
@input_options
@click.option("--tests", "test_paths", multiple=True, metavar="FILE",
              help="ConnectivityTest file or directory kept apart from the cluster. Repeatable.")
@click.option("-o", "--output", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@handle_errors
def check(paths, cni, verbose, test_paths, output):
    """Check the cluster against ConnectivityTest expectations.

    Exit 0 when every case passes, 1 when some fail, 2 on unusable input.
    """
    cluster = load(paths, cni, verbose)
    diags = Diagnostics()
    try:
        report = api.check(cluster, test_paths, diagnostics=diags)
    except InputError:
        render_diagnostics([d for d in diags.items if d.severity.value != "error"], stderr(), verbose)
        raise
    tamper = None
    if any(r.case.protected_from for r in report.results):  # protectedFrom: docs/rbac.md
        from ...rbac import analyse
        tamper = analyse(cluster, report, diags, pod_cidr=pod_cidr())
    render_diagnostics(diags.items, stderr(), verbose)
    if output == "json":
        doc = report.to_dict()
        if tamper is not None:
            doc["tamper"] = tamper.to_dict()
        sys.stdout.write(render_json(doc))
    elif output == "junit":
        junit = render_junit(report)
        if tamper is not None:
            from ...render.tamper_text import add_tamper_junit
            junit = add_tamper_junit(junit, tamper)
        sys.stdout.write(junit)
    else:
        render_check(report, stdout(), verbose)
        if tamper is not None:
            from ...render.tamper_text import render_tamper
            render_tamper(tamper, stdout(), verbose)
    sys.exit(EXIT_FAILED if report.failed or (tamper is not None and tamper.found) else EXIT_OK)
