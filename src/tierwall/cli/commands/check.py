"""``tierwall check``: run ConnectivityTests against the cluster; exit 0 / 1 / 2."""

from __future__ import annotations

import sys

import click

from ... import api
from ...errors import Diagnostics, InputError
from ...render import render_check, render_diagnostics, render_json, render_junit
from ..common import EXIT_FAILED, EXIT_OK, handle_errors, input_options, load, stderr, stdout


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
    render_diagnostics(diags.items, stderr(), verbose)
    if output == "json":
        sys.stdout.write(render_json(report.to_dict()))
    elif output == "junit":
        sys.stdout.write(render_junit(report))
    else:
        render_check(report, stdout(), verbose)
    sys.exit(EXIT_FAILED if report.failed else EXIT_OK)
