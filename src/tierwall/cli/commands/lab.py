"""``tierwall lab up|reload|probe|down``: the cluster as network namespaces on this machine
(:class:`tierwall.enforce.Lab`), probed with real packets and judged against the engine
(:func:`tierwall.enforce.judge`)."""

from __future__ import annotations

import json
import sys

import click
from rich.progress import BarColumn, Progress, TextColumn
from rich.text import Text

from ...enforce.kernel import KernelError
from ...enforce.lab import Lab, PartialRuleset, inputs_of
from ...enforce.nft import Ruleset
from ...enforce.probing import case_probes, judge, matrix_probes
from ...errors import UsageError
from ...render.probes_text import render_probes
from ..common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, handle_errors, input_options, load, stderr, stdout
from .enforce import ALLOW_PARTIAL, report_unsupported


@click.group()
def lab():
    """Build the cluster as network namespaces on this machine and probe it with real packets."""


def _lab_errors(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KernelError as exc:
            stderr().print(Text("lab error", style="bold red") + Text(f": {exc}"))
            sys.exit(EXIT_INPUT)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _lab_cluster(the_lab: Lab, paths, cni, verbose):
    """The cluster from ``-f`` when given, else the one the lab was built from."""
    if paths:
        return load(paths, cni, verbose)
    state = the_lab.state()
    if not state.get("inputs"):
        raise UsageError(f"lab {the_lab.name} does not remember its inputs (built by an older tierwall): give -f")
    return load([str(the_lab.inputs_file)], cni or state.get("cni"), verbose)


def _reported(the_lab: Lab, cluster, load_into_lab) -> Ruleset:
    """Run a lab load; what cannot be compiled is listed whether the load went ahead or was refused."""
    try:
        ruleset = load_into_lab()
    except PartialRuleset:
        report_unsupported(the_lab.compile(cluster))
        raise
    report_unsupported(ruleset)
    return ruleset


@lab.command("up")
@input_options
@click.option("--name", default="default", show_default=True, help="Lab name (several labs can coexist).")
@ALLOW_PARTIAL
@handle_errors
@_lab_errors
def lab_up(paths, cni, verbose, name, allow_partial):
    """Create the pods' namespaces, veths, servers, and load the ruleset.

    Nothing is forwarded until the ruleset is in; any failure removes what was made. The lab
    remembers its inputs: probe and reload need no -f."""
    cluster = load(paths, cni, verbose)
    the_lab = Lab(name)
    ruleset = _reported(the_lab, cluster, lambda: the_lab.up(cluster, allow_partial=allow_partial,
                                                             inputs=inputs_of(cluster, cni)))
    stderr().print(f"lab {name} is up: {len(the_lab.pods_of(cluster))} pods, {ruleset.rules} rules")
    sys.exit(EXIT_OK)


@lab.command("reload")
@input_options
@click.option("--name", default="default", show_default=True)
@ALLOW_PARTIAL
@handle_errors
@_lab_errors
def lab_reload(paths, cni, verbose, name, allow_partial):
    """Load changed policies into a running lab in one transaction (the pods stay as they are).

    Without -f, the lab's remembered inputs are compiled again."""
    the_lab = Lab(name)
    cluster = _lab_cluster(the_lab, paths, cni, verbose)
    ruleset = _reported(the_lab, cluster,
                        lambda: the_lab.reload(cluster, allow_partial, inputs_of(cluster, cni) if paths else None))
    stderr().print(f"lab {name} reloaded: {ruleset.rules} rules")
    sys.exit(EXIT_OK)


@lab.command("down")
@click.option("--name", default="default", show_default=True)
@_lab_errors
def lab_down(name):
    """Remove everything the lab made (also after a crash half way)."""
    Lab(name).down()
    sys.exit(EXIT_OK)


@lab.command("probe")
@input_options
@click.option("--name", default="default", show_default=True)
@click.option("--tests", "test_paths", multiple=True, metavar="FILE", help="ConnectivityTest file(s) to probe.")
@click.option("--port", "port_specs", multiple=True, metavar="PORT[/PROTO]",
              help="Probe the full pod matrix on these ports (default without --tests: every port class).")
@click.option("--timeout", default=0.5, show_default=True, help="Seconds of silence that count as Drop.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
@_lab_errors
def lab_probe(paths, cni, verbose, name, test_paths, port_specs, timeout, output):
    """Real packets for a ConnectivityTest or the matrix.

    Every probe is compared with the engine's verdict and, for --tests, with the case's
    expect; exit 1 when the kernel disagrees with either. Without -f the lab's own inputs
    are used."""
    the_lab = Lab(name)
    state = the_lab.state()  # a missing or half-built lab is an error before any work
    cluster = _lab_cluster(the_lab, paths, cni, verbose)
    lab_pods = {p.key for p in the_lab.pods_of(cluster)} & set(state.get("pods", []))
    plan = case_probes(cluster, test_paths, lab_pods) if test_paths else matrix_probes(cluster, lab_pods, port_specs)
    probes = plan.probes
    err = stderr()
    if err.is_terminal:
        with Progress(TextColumn("probes"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as bar:
            task = bar.add_task("probes", total=len(probes))
            observed = the_lab.probe(probes, timeout, progress=lambda d, t: bar.update(task, completed=d))
    else:
        observed = the_lab.probe(probes, timeout)
    report = judge(cluster, observed, plan.expects)
    if output == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        render_probes(report, stdout())
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)
