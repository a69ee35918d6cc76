"""``tierwall enforce`` and ``tierwall lab up|probe|down``: the kernel as a back end."""

from __future__ import annotations

import subprocess
import sys

import click
import yaml
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from ...enforce.lab import Lab, LabError, Probe, prefix_of
from ...enforce.nft import compile_ruleset
from ...engine import Flow, endpoint_for_pod, trace_flow
from ...engine.portclasses import default_port_classes, parse_port_spec
from ...errors import Diagnostics, UsageError
from ...expect import parse_tests, resolve_destinations, resolve_sources
from ...inventory import Service
from ...load import load_paths
from ..common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, handle_errors, input_options, load, stderr, stdout


@click.command()
@input_options
@click.option("--node", default=None, help="Only the pods of this node (default: every pod).")
@click.option("--iface-map", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML mapping namespace/pod → host-side interface (default: the lab's names).")
@click.option("--table", default="tierwall", show_default=True, help="The nftables table tierwall owns.")
@click.option("--apply", "do_apply", is_flag=True, help="Load the ruleset with nft -f (atomically).")
@click.option("--log", "log", is_flag=True, help="Also log every verdict with a prefix naming tier, policy, rule.")
@handle_errors
def enforce(paths, cni, verbose, node, iface_map, table, do_apply, log):
    """Compile the policies to an nftables ruleset (printed, or loaded with --apply)."""
    cluster = load(paths, cni, verbose)
    pods = [p for p in cluster.inventory.pods if p.ips and not p.host_network and ":" not in p.ip
            and (node is None or p.node == node)]
    if iface_map:
        mapping = yaml.safe_load(open(iface_map)) or {}
        if not isinstance(mapping, dict):
            raise UsageError(f"{iface_map}: expected a mapping of namespace/pod to interface name")
    else:
        mapping = {p.key: f"{prefix_of('default')}v{p.index}"[:15] for p in pods}
    pods = [p for p in pods if p.key in mapping]
    ruleset = compile_ruleset(cluster.compiled, mapping, pods, table, log)
    for note in ruleset.unsupported:
        stderr().print(Text("unsupported", style="yellow") + Text(f": {note}"))
    if do_apply:
        result = subprocess.run(["nft", "-f", "-"], input=ruleset.text, capture_output=True, text=True)
        if result.returncode != 0:
            stderr().print(Text("nft refused the ruleset; the previous one stays: ", style="bold red") +
                           Text(result.stderr.strip()))
            sys.exit(EXIT_INPUT)
        stderr().print(f"loaded table inet {table}: {ruleset.rules} rules, {ruleset.sets} sets")
    else:
        sys.stdout.write(ruleset.text)
    sys.exit(EXIT_OK)


@click.group()
def lab():
    """Build the cluster as network namespaces on this machine and probe it with real packets."""


def _lab_errors(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except LabError as exc:
            stderr().print(Text("lab error", style="bold red") + Text(f": {exc}"))
            sys.exit(EXIT_INPUT)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@lab.command("up")
@input_options
@click.option("--name", default="default", show_default=True, help="Lab name (several labs can coexist).")
@handle_errors
@_lab_errors
def lab_up(paths, cni, verbose, name):
    """Create the pods' namespaces, veths, servers, and load the ruleset."""
    cluster = load(paths, cni, verbose)
    the_lab = Lab(name)
    ruleset = the_lab.up(cluster)
    for note in ruleset.unsupported:
        stderr().print(Text("unsupported", style="yellow") + Text(f": {note}"))
    stderr().print(f"lab {name} is up: {len(the_lab.pods_of(cluster))} pods, {ruleset.rules} rules")
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
    """Real packets for a ConnectivityTest or the matrix; exit 1 when kernel and engine disagree."""
    cluster = load(paths, cni, verbose)
    inv = cluster.inventory
    the_lab = Lab(name)
    lab_pods = {p.key for p in the_lab.pods_of(cluster)}
    probes: list[Probe] = []
    if test_paths:
        diags = Diagnostics()
        cases = parse_tests(load_paths(test_paths, diags), diags)
        diags.raise_if_errors()
        for case in cases:
            dsts = resolve_destinations(cluster.compiled, case.dst)
            for src in resolve_sources(cluster.compiled, case.src):
                for dst in dsts:
                    if isinstance(dst, Service) or src.pod is None or dst.pod is None or \
                            src.pod.key not in lab_pods or dst.pod.key not in lab_pods or src.pod is dst.pod:
                        continue  # the lab carries pod-to-pod flows only
                    port = case.port if not isinstance(case.port, str) else dst.pod.named_port(case.port, case.protocol)
                    probes.append(Probe(src.pod, dst.pod, case.protocol, port, case.source_port))
    else:
        ports = [parse_port_spec(p) for p in port_specs] or default_port_classes(cluster.model, inv)
        pods = [inv.pod(k) for k in sorted(lab_pods)]
        probes = [Probe(a, b, pc.protocol, pc.port) for pc in ports for a in pods for b in pods if a is not b]
    err = stderr()
    if err.is_terminal:
        with Progress(TextColumn("probes"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as bar:
            task = bar.add_task("probes", total=len(probes))
            observed = the_lab.probe(probes, timeout, progress=lambda d, t: bar.update(task, completed=d))
    else:
        observed = the_lab.probe(probes, timeout)
    rows, disagree = [], 0
    for o in observed:
        p = o.probe
        flow = Flow(endpoint_for_pod(inv, p.src), endpoint_for_pod(inv, p.dst), p.protocol, p.port, p.sport,
                    *((8, 0) if p.protocol == "ICMP" else (None, None)))
        path = trace_flow(cluster.compiled, flow)
        agree = path.verdict.value == o.verdict
        disagree += not agree
        rows.append({"from": p.src.key, "to": p.dst.key, "protocol": p.protocol, "port": p.port,
                     "kernel": o.verdict, "engine": path.verdict.value, "agree": agree,
                     "kernelRules": o.rules, "engineDecision": path.decision.explanation})
    if output == "json":
        import json
        sys.stdout.write(json.dumps({"probes": rows, "disagreements": disagree}, indent=2) + "\n")
    else:
        table = Table("from", "to", "port", "kernel", "engine", "kernel rule(s)", box=None, header_style="bold")
        for r in rows:
            style = "" if r["agree"] else "bold red"
            table.add_row(r["from"], r["to"], f"{r['protocol']}/{r['port'] or ''}", r["kernel"], r["engine"],
                          "; ".join(r["kernelRules"]) or "-", style=style)
        console = stdout()
        console.print(table)
        console.print(Text(f"{len(rows) - disagree} agree, {disagree} disagree",
                           style="bold green" if not disagree else "bold red"))
    sys.exit(EXIT_FAILED if disagree else EXIT_OK)
