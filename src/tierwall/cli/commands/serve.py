"""``tierwall serve``: the web UI over the given inputs (needs the ``web`` extra)."""

from __future__ import annotations

import sys

import click

from ...errors import UsageError
from ...render import render_diagnostics
from ..common import handle_errors, input_options, pod_cidr, stderr


@click.command()
@input_options
@click.option("--tests", "test_paths", multiple=True, metavar="FILE",
              help="ConnectivityTest file or directory for the Check page. Repeatable.")
@click.option("--fleet", "fleet_path", metavar="FLEET", help="Fleet file: the Check page shows clusters × tests.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback exposes the (read-only) UI to the network.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@handle_errors
def serve(paths, cni, verbose, test_paths, fleet_path, host, port):
    """Serve the web UI: tier board, traceflow graph, matrix heatmap, check results.

    Read-only. Reloads when an input file changes; when the change breaks the input, the last
    good model stays on screen with the errors above it.

    \b
    tierwall serve -f examples/org-baseline/ --tests examples/org-baseline/tests/
    """
    if not paths:
        raise UsageError("no input: give files or directories with -f PATH (or -f - for stdin)")
    try:
        import uvicorn

        from ...web import Workspace, create_app
    except ImportError as exc:
        raise UsageError(f"the web UI needs the web extra: pip install 'tierwall[web]' ({exc.name} is missing)") \
            from None
    ws = Workspace(list(paths), cni, list(test_paths), fleet_path, stdin=sys.stdin if "-" in paths else None,
                   pod_cidr=pod_cidr())
    render_diagnostics(ws.errors + ws.warnings, stderr(), verbose)
    if ws.current is None:
        stderr().print(f"{len(ws.errors)} error(s) in the inputs; serving the error list until they are fixed")
    stderr().print(f"tierwall: serving on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(ws), host=host, port=port, log_level="warning")
