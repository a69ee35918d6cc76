"""``tierwall check``: run ConnectivityTests against the cluster; exit 0 / 1 / 2."""

from __future__ import annotations

import sys

import click

from ...errors import Diagnostics, UsageError
from ...expect import parse_tests, run_cases
from ...load import load_paths
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
    test_raws = list(cluster.tests)
    if test_paths:
        for raw in load_paths(test_paths, diags):
            if raw.kind == "ConnectivityTest" or raw.group == "tierwall.dev":
                test_raws.append(raw)
            else:
                diags.warning(raw.origin, f"{raw.kind} in a --tests file is not a ConnectivityTest; ignored "
                                          f"(give cluster objects with -f)", "TW207")
    unique = {}
    for raw in test_raws:  # a file given both with -f (inside a directory) and with --tests counts once
        unique.setdefault((raw.origin.file, raw.origin.doc, raw.origin.line), raw)
    test_raws = list(unique.values())
    if not test_raws:
        raise UsageError("no ConnectivityTest found: give one with --tests FILE or among the -f inputs")
    cases = parse_tests(test_raws, diags)
    report = run_cases(cluster.compiled, cases, diags)
    render_diagnostics(diags.items, stderr(), verbose)
    diags.raise_if_errors()
    if output == "json":
        sys.stdout.write(render_json(report.to_dict()))
    elif output == "junit":
        sys.stdout.write(render_junit(report))
    else:
        render_check(report, stdout(), verbose)
    sys.exit(EXIT_FAILED if report.failed else EXIT_OK)
