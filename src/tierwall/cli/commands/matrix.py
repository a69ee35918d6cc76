"""``tierwall matrix``: who can reach whom, per port class, as tables, data or pictures."""

from __future__ import annotations

import sys

import click

from ... import api
from ...render.matrix import (default_by, render_matrix_dot, render_matrix_image, render_matrix_table,
                              write_matrix_csv, write_matrix_json)
from ..common import EXIT_OK, handle_errors, input_options, load, stderr, stdout

FORMATS = ("table", "csv", "json", "dot", "png", "svg")


@click.command()
@input_options
@click.option("--by", type=click.Choice(["pod", "class", "workload", "namespace"]), default=None,
              help="Rows and columns: pods, equivalence classes (endpoints every rule treats alike), workloads or "
                   "namespaces. Default: pod, except -o json above 1000 endpoints: class (the pod form has "
                   "pods² cells; --by pod streams it).")
@click.option("--port", "port_specs", multiple=True, metavar="PORT[/PROTO]",
              help="Only these port classes (e.g. 53/UDP, 443, ICMP). Repeatable. Default: every port any rule "
                   "mentions, per protocol, plus 'other'.")
@click.option("--external", "externals", multiple=True, metavar="IP", help="Also an external address. Repeatable.")
@click.option("--pods-only", is_flag=True,
              help="Leave out nodes, the address pieces the policies' CIDRs cut and the Service destinations "
                   "(all shown by default).")
@click.option("--no-services", is_flag=True,
              help="Leave out the Service destinations (svc:NS/NAME columns); the legend then says that traffic "
                   "addressed to a Service is not covered.")
@click.option("-o", "--output", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--out", "out_path", metavar="FILE", help="Where png/svg go (default: matrix.png / matrix.svg).")
@handle_errors
def matrix(paths, cni, verbose, by, port_specs, externals, pods_only, no_services, output, out_path, **_):
    """Connectivity matrix: the verdict for every pair of endpoints on every port class.

    Endpoints are pods, nodes, one address per piece of the address space the policies' CIDRs
    cut (ext:CIDR) and "internet"; ports are classes of ports no rule tells apart (TCP, UDP and
    ICMP echo always). Services are destinations too (svc:NS/NAME, one column per Service
    port): the flow addressed to the Service, followed to every endpoint, as trace --to
    service/NS/NAME sees it. The legend (and "notes" in JSON) says what a view does not cover."""
    cluster = load(paths, cni, verbose)
    if sys.stderr.isatty():  # a progress bar on a terminal only (rich is not imported otherwise)
        err = stderr()
        from rich.progress import BarColumn, Progress, TextColumn  # a terminal only: its import costs 60 ms
        with Progress(TextColumn("classes"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as bar:
            task = bar.add_task("matrix", total=None)
            result = api.matrix(cluster, port_specs, externals, outside=not pods_only,
                                services=not (pods_only or no_services),
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        result = api.matrix(cluster, port_specs, externals, outside=not pods_only,
                            services=not (pods_only or no_services))
    by = by or default_by(result, output)
    if output == "table":
        render_matrix_table(result, by, stdout())
    elif output == "csv":
        write_matrix_csv(result, by, sys.stdout)
    elif output == "json":
        write_matrix_json(result, by, sys.stdout)
    elif output == "dot":
        sys.stdout.write(render_matrix_dot(result, by))
    else:
        path = out_path or f"matrix.{output}"
        files, said = render_matrix_image(result, by, path)
        for sentence in said:
            stderr().print(f"note: {sentence}")
        stderr().print(f"wrote {', '.join(files)}")
    sys.exit(EXIT_OK)
