"""``tierwall enforce`` and ``tierwall lab up|probe|down``: the kernel as a back end."""

from __future__ import annotations

import sys

import click
import yaml
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from ...enforce.kernel import KernelError, load_ruleset
from ...enforce.lab import Lab, PartialRuleset, Probe, iface_of, refuse_partial
from ...enforce.nft import Ruleset, compile_ruleset
from ...enforce.nftsyntax import check_ifname, check_table
from ...engine import Flow, endpoint_for_pod, trace_flow
from ...engine.portclasses import default_port_classes, parse_port_spec
from ...errors import Diagnostics, UsageError
from ...expect import parse_tests, resolve_destinations, resolve_sources
from ...inventory import Service
from ...load import load_paths
from ..common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, handle_errors, input_options, load, stderr, stdout

ALLOW_PARTIAL = click.option(
    "--allow-partial", is_flag=True,
    help="Enforce even when some rules cannot be compiled to nftables: those rules fail closed (an Allow or Log "
         "rule is left out, any other action drops everything its expressible conditions match).")


def _report_unsupported(ruleset: Ruleset) -> None:
    for note in ruleset.unsupported:
        stderr().print(Text("unsupported", style="yellow") + Text(f": {note}"))


def _iface_map(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            mapping = yaml.safe_load(f) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"--iface-map {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not isinstance(mapping, dict):
        raise UsageError(f"--iface-map {path}: expected a mapping of namespace/pod to interface name")
    return {str(k): check_ifname(v, f"--iface-map {path}: {str(k)[:80]}") for k, v in mapping.items()}


@click.command()
@input_options
@click.option("--node", default=None, help="Only the pods of this node (default: every pod).")
@click.option("--iface-map", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML mapping namespace/pod → host-side interface (default: the lab's names).")
@click.option("--table", default="tierwall", show_default=True, help="The nftables table tierwall owns.")
@click.option("--apply", "do_apply", is_flag=True, help="Load the ruleset with nft -f (atomically).")
@click.option("--log", "log", is_flag=True, help="Also log every verdict with a prefix naming tier, policy, rule.")
@ALLOW_PARTIAL
@handle_errors
def enforce(paths, cni, verbose, node, iface_map, table, do_apply, log, allow_partial):
    """Compile the policies to an nftables ruleset (printed, or loaded with --apply).

    A rule nftables cannot express (FQDN peers, L7 matches, a made-up Service address) makes
    the command exit 2 without printing or loading anything, unless --allow-partial is given.
    Loading keeps the table and its base chain and swaps the contents in one transaction."""
    check_table(table)
    cluster = load(paths, cni, verbose)
    pods = [p for p in cluster.inventory.pods if p.ips and not p.host_network and ":" not in p.ip
            and (node is None or p.node == node)]
    mapping = _iface_map(iface_map) if iface_map else {p.key: iface_of(p) for p in pods}
    pods = [p for p in pods if p.key in mapping]
    ruleset = compile_ruleset(cluster.compiled, mapping, pods, table, log)
    invented = sorted(p.key for p in cluster.inventory.pods if p.ip_assigned and not p.host_network)
    if invented:  # on a real node a made-up address matches some other host, or nobody
        ruleset.unsupported.append(
            f"{len(invented)} pod(s) have no status.podIP ({', '.join(invented[:3])}{', …' if len(invented) > 3 else ''}):"
            f" the addresses tierwall made up for them would be in the ruleset; give the pods their addresses")
    _report_unsupported(ruleset)
    if not allow_partial:
        try:
            refuse_partial(ruleset)
        except PartialRuleset as exc:
            raise UsageError(str(exc)) from None
    if do_apply:
        try:
            load_ruleset(ruleset)
        except KernelError as exc:
            stderr().print(Text("nft refused the ruleset; the previous one stays: ", style="bold red") + Text(str(exc)))
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
        except KernelError as exc:
            stderr().print(Text("lab error", style="bold red") + Text(f": {exc}"))
            sys.exit(EXIT_INPUT)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _inputs(cluster, cni) -> dict:
    """What the lab remembers of its inputs: every object as read, and the --cni given."""
    objects = cluster.objects
    raws = [r for rs in objects.by_dialect.values() for r in rs] + list(objects.unknown)
    return {"cni": cni, "objects": [r.data for r in raws]}


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
        _report_unsupported(the_lab.compile(cluster))
        raise
    _report_unsupported(ruleset)
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
                                                             inputs=_inputs(cluster, cni)))
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
                        lambda: the_lab.reload(cluster, allow_partial, _inputs(cluster, cni) if paths else None))
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
    inv = cluster.inventory
    lab_pods = {p.key for p in the_lab.pods_of(cluster)} & set(state.get("pods", []))
    probes: list[Probe] = []
    expects: list[str | None] = []
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
                    expects.append(case.expect)
    else:
        ports = [parse_port_spec(p) for p in port_specs] or default_port_classes(cluster.model, inv)
        pods = [inv.pod(k) for k in sorted(lab_pods)]
        probes = [Probe(a, b, pc.protocol, pc.port) for pc in ports for a in pods for b in pods if a is not b]
        expects = [None] * len(probes)
    err = stderr()
    if err.is_terminal:
        with Progress(TextColumn("probes"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as bar:
            task = bar.add_task("probes", total=len(probes))
            observed = the_lab.probe(probes, timeout, progress=lambda d, t: bar.update(task, completed=d))
    else:
        observed = the_lab.probe(probes, timeout)
    rows, disagree, unmet = [], 0, 0
    for o, expect in zip(observed, expects):
        p = o.probe
        flow = Flow(endpoint_for_pod(inv, p.src), endpoint_for_pod(inv, p.dst), p.protocol, p.port, p.sport,
                    *((8, 0) if p.protocol == "ICMP" else (None, None)))
        path = trace_flow(cluster.compiled, flow)
        agree = path.verdict.value == o.verdict
        met = None if expect is None else expect == o.verdict
        disagree += not agree
        unmet += met is False
        rows.append({"from": p.src.key, "to": p.dst.key, "protocol": p.protocol, "port": p.port,
                     "kernel": o.verdict, "engine": path.verdict.value, "agree": agree,
                     "expect": expect, "expectMet": met,
                     "kernelRules": o.rules, "engineDecision": path.decision.explanation})
    with_expect = sum(r["expect"] is not None for r in rows)
    if output == "json":
        import json
        sys.stdout.write(json.dumps({"probes": rows, "disagreements": disagree, "unmetExpectations": unmet},
                                    indent=2) + "\n")
    else:
        columns = ["from", "to", "port", "kernel", "engine"] + (["expect"] if with_expect else []) + ["kernel rule(s)"]
        table = Table(*columns, box=None, header_style="bold")
        for r in rows:
            style = "" if r["agree"] and r["expectMet"] is not False else "bold red"
            cells = [r["from"], r["to"], f"{r['protocol']}/{r['port'] or ''}", r["kernel"], r["engine"]]
            cells += [r["expect"] or "-"] if with_expect else []
            table.add_row(*cells, "; ".join(r["kernelRules"]) or "-", style=style)
        console = stdout()
        console.print(table)
        line = f"kernel vs engine: {len(rows) - disagree} agree, {disagree} disagree"
        if with_expect:
            line += f"; kernel vs expect: {with_expect - unmet} met, {unmet} not met"
        console.print(Text(line, style="bold green" if not disagree and not unmet else "bold red"))
    sys.exit(EXIT_FAILED if disagree or unmet else EXIT_OK)
