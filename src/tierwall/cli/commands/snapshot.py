"""``tierwall snapshot``: a live cluster as files, to analyse offline, attach or commit."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from ...errors import Diagnostics, InputError, UsageError
from ...live import is_live
from ...render import render_diagnostics
from ..common import EXIT_OK, handle_errors, live_options, stderr, stdout


@click.command()
@click.option("-f", "--filename", "source", required=True, metavar="k8s://[CONTEXT]",
              help="The cluster: k8s:// (current context) or k8s://CONTEXT[?namespace=NS&read=...].")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write (created; an earlier snapshot there is replaced).")
@click.option("-v", "--verbose", is_flag=True, help="Also show informational notes.")
@live_options
@handle_errors
def snapshot(source, out, verbose):
    """Write what tierwall reads from a cluster: one RESOURCE.yaml per kind (managedFields and
    other server noise stripped) and an index. Every command reads the directory with -f DIR and
    gives the same answers as with -f k8s://CONTEXT (docs/live.md).

    \b
    tierwall snapshot -f k8s://prod --out prod-snapshot/
    tierwall check -f prod-snapshot/ --tests tests.yaml
    """
    from ...live.read import read_cluster
    from ...live.snapshot import write_snapshot
    if not is_live(source):
        raise UsageError(f"snapshot reads a live cluster: give -f k8s://[CONTEXT], not {source!r}")
    diags = Diagnostics()
    live = read_cluster(source, diags)
    render_diagnostics([d for d in diags.items if d.severity.value != "error"], stderr(), verbose)
    if live is None or diags.has_errors():
        raise InputError(diags.errors)
    counts = write_snapshot(live, diags, out)
    console = stdout()
    for name, count in counts:
        console.print(Text(f"{out / (name + '.yaml')}  {count}"), soft_wrap=True)
    total = sum(c for _, c in counts)
    console.print(Text(f"snapshot of k8s://{live.context} ({live.server}): {total} objects of {len(counts)} kinds "
                       f"in {out}", style="bold"), soft_wrap=True)
    sys.exit(EXIT_OK)
