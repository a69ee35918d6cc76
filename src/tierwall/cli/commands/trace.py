"""``tierwall trace``: one flow, both sides, every tier, policy and rule looked at."""

from __future__ import annotations

import sys

import click

from ... import api
from ...render import render_json, render_trace, render_yaml
from ..common import EXIT_OK, handle_errors, input_options, load, stdout


@click.command()
@input_options
@click.option("--from", "src", required=True, metavar="ENDPOINT", help="Source: namespace/pod or an IP.")
@click.option("--to", "dst", required=True, metavar="ENDPOINT",
              help="Destination: namespace/pod, an IP (a ClusterIP is a Service), or service/namespace/name.")
@click.option("--port", metavar="PORT", help="Destination port: a number or a named port (not for ICMP).")
@click.option("--protocol", default="TCP", show_default=True, type=click.Choice(["TCP", "UDP", "SCTP", "ICMP"],
              case_sensitive=False))
@click.option("--source-port", type=click.IntRange(1, 65535), help="Source port, for rules that match on it.")
@click.option("--icmp-type", type=click.IntRange(0, 255), help="ICMP type (default 8, echo request).")
@click.option("--icmp-code", type=click.IntRange(0, 255), help="ICMP code (default 0).")
@click.option("-n", "--namespace", default=None, metavar="NAMESPACE",
              help="Namespace of endpoints given by bare name (web-0, service/db); default: default.")
@click.option("-A", "--all-namespaces", is_flag=True,
              help="Find endpoints given by bare name in whichever namespace has them (must be one).")
@click.option("-o", "--output", type=click.Choice(["text", "json", "yaml", "dot", "svg"]), default="text",
              show_default=True, help="dot/svg: the traceflow graph (svg needs Graphviz's dot).")
@handle_errors
def trace(paths, cni, verbose, src, dst, port, protocol, source_port, icmp_type, icmp_code, namespace,
          all_namespaces, output):
    """Trace one flow: the verdict and every tier, policy and rule on the way.

    \b
    tierwall trace -f cluster/ -f policies/ --from dev/web-0 --to kube-system/coredns-0 \\
        --port 53 --protocol UDP
    """
    cluster = load(paths, cni, verbose)
    result = api.trace(cluster, src, dst, port, protocol, source_port=source_port, icmp_type=icmp_type,
                       icmp_code=icmp_code, namespace=namespace, all_namespaces=all_namespaces)
    if output == "json":
        sys.stdout.write(render_json(result.to_dict()))
    elif output == "yaml":
        sys.stdout.write(render_yaml(result.to_dict()))
    elif output in ("dot", "svg"):
        from ...render.trace_graph import build_trace_graph, to_dot, to_svg
        sys.stdout.write((to_dot if output == "dot" else to_svg)(build_trace_graph(result)))
    else:
        render_trace(result, stdout())
    sys.exit(EXIT_OK)
