"""``tierwall matrix``: who can reach whom, per port class, as tables, data or pictures."""

from __future__ import annotations

import sys

import click
from rich.progress import BarColumn, Progress, TextColumn

from ... import api
from ...render.matrix import (render_matrix_csv, render_matrix_dot, render_matrix_image, render_matrix_json,
                              render_matrix_table)
from ..common import EXIT_OK, handle_errors, input_options, load, stderr, stdout

FORMATS = ("table", "csv", "json", "dot", "png", "svg")


@click.command()
@input_options
@click.option("--by", type=click.Choice(["pod", "workload", "namespace"]), default="pod", show_default=True)
@click.option("--port", "port_specs", multiple=True, metavar="PORT[/PROTO]",
              help="Only these port classes (e.g. 53/UDP, 443, ICMP). Repeatable. Default: every port any rule "
                   "mentions, per protocol, plus 'other'.")
@click.option("--external", "externals", multiple=True, metavar="IP", help="Also an external address. Repeatable.")
@click.option("-o", "--output", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", "out_path", metavar="FILE", help="Where png/svg go (default: matrix.png / matrix.svg).")
@handle_errors
def matrix(paths, cni, verbose, by, port_specs, externals, output, out_path):
    """Connectivity matrix: the verdict for every pair of pods on every port class."""
    cluster = load(paths, cni, verbose)
    err = stderr()
    if err.is_terminal:
        with Progress(TextColumn("classes"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as bar:
            task = bar.add_task("matrix", total=None)
            result = api.matrix(cluster, port_specs, externals,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        result = api.matrix(cluster, port_specs, externals)
    if output == "table":
        render_matrix_table(result, by, stdout())
    elif output == "csv":
        sys.stdout.write(render_matrix_csv(result, by))
    elif output == "json":
        sys.stdout.write(render_matrix_json(result, by))
    elif output == "dot":
        sys.stdout.write(render_matrix_dot(result, by))
    else:
        path = out_path or f"matrix.{output}"
        render_matrix_image(result, by, path)
        err.print(f"wrote {path}")
    sys.exit(EXIT_OK)
