"""``tierwall lint``: webhook-grade errors and analysis warnings; exit 0 / 1 / 2."""

from __future__ import annotations

import sys

import click

from ... import api
from ...errors import UsageError
from ...render.lint import render_lint_json, render_lint_sarif, render_lint_text
from ..common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, handle_errors, input_options, pod_cidr, report_skipped, stdout

UNUSABLE = {"TW101", "TW102", "TW103", "TW130"}
"""Codes that mean the input cannot be read at all (exit 2, not a lint finding)."""


@click.command()
@input_options
@click.option("-o", "--output", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@handle_errors
def lint(paths, cni, verbose, output, strict):
    """Find what a webhook would refuse, and what is accepted but almost certainly wrong.

    Exit 0 when clean, 1 on errors (and on warnings with --strict), 2 on unusable input.
    """
    if not paths:
        raise UsageError("no input: give files or directories with -f PATH (or -f - for stdin)")
    cluster = api.read(paths, cni=cni, strict=False, pod_cidr=pod_cidr())
    if verbose:
        report_skipped(cluster)
    findings = api.lint(cluster)
    if output == "json":
        sys.stdout.write(render_lint_json(findings))
    elif output == "sarif":
        sys.stdout.write(render_lint_sarif(findings))
    else:
        render_lint_text(findings, stdout())
    if any(f.code in UNUSABLE for f in findings):
        sys.exit(EXIT_INPUT)
    if any(f.severity == "error" for f in findings) or (strict and findings):
        sys.exit(EXIT_FAILED)
    sys.exit(EXIT_OK)
