"""``tierwall get KIND`` and ``tierwall explain pod NS/NAME``: the operator's views."""

from __future__ import annotations

import sys

import click
import yaml
from rich.table import Table
from rich.text import Text

from ...analysis.kind_args import resolve_short_name, short_name_note, split_args, unknown_kind
from ...analysis.views import ALIASES, KINDS, NAMESPACED, explain_pod, get as run_get, resolve_kind
from ...expect.run import unknown_namespace
from ...errors import UsageError
from ...render import render_json
from ..common import EXIT_OK, handle_errors, input_options, load, stderr, stdout


@click.command()
@click.argument("args", nargs=-1, required=True, metavar="KIND [NAME...] | KIND/NAME...")
@input_options
@click.option("-n", "--namespace", default=None, help="Namespace for namespaced kinds (default: default).")
@click.option("-A", "--all-namespaces", is_flag=True, help="List every namespace.")
@click.option("-o", "--output", type=click.Choice(["table", "wide", "yaml", "json", "name"]), default="table",
              show_default=True)
@click.option("--sort-by", default=None,
              help="A field path of the objects (.spec.priority, {.metadata.name}), a column name, or "
                   "effectivePriority. Unknown: an error.")
@handle_errors
def get(args, paths, cni, verbose, namespace, all_namespaces, output, sort_by):
    """kubectl-style listings: acnp, annp, tiers, clustergroups, groups, networkpolicies, anp, banp,
    cnp, gnp, caliconetworkpolicies, networksets, policies (every dialect, in evaluation order).

    \b
    tierwall get acnp -f cluster/                 # every Antrea ClusterNetworkPolicy
    tierwall get acnp allow-dns -f cluster/ -o yaml
    tierwall get annp/db-from-web -n prod -f cluster/ -o name

    `anp` means AdminNetworkPolicy or (before Antrea 1.13) Antrea NetworkPolicy: it is read as
    the one of the two the inputs hold, and refused when they hold both or neither.
    """
    kind, names = split_args(args)
    cluster = load(paths, cni, verbose)
    key = resolve_get_kind(kind, cluster)
    ns = None if all_namespaces else (namespace or "default")
    if key == "policies" and not namespace:
        ns = None
    if ns not in (None, "default") and key in NAMESPACED and ns not in cluster.inventory.namespaces:
        raise UsageError(unknown_namespace(cluster.inventory, ns))
    listing = run_get(cluster, key, ns, wide=output == "wide", sort_by=sort_by, names=names)
    if output in ("yaml", "json"):
        doc = {"apiVersion": "v1", "kind": "List", "items": [raw.data for raw in listing.objects]}
        if names and len(listing.objects) == 1:
            doc = listing.objects[0].data  # kubectl prints one object named by its name as itself
        sys.stdout.write(render_json(doc) if output == "json" else yaml.safe_dump(doc, sort_keys=False))
    elif output == "name":
        for name in listing.names:
            sys.stdout.write(name + "\n")
    else:
        table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
        for column in listing.columns:
            table.add_column(column, no_wrap=True)
        for row in listing.rows:
            table.add_row(*row)
        console = stdout()
        if listing.rows:
            console.print(table)
        else:
            where = f" in {ns} namespace" if ns and key in NAMESPACED else ""
            console.print(f"No resources found{where}.")
    sys.exit(EXIT_OK)


def resolve_get_kind(word: str, cluster) -> str:
    """The kind key for ``word``: a shared short name read against the inputs, else the table."""
    def present(key: str) -> bool:
        return any(p.ref.kind in KINDS[key][2] for p in cluster.model.policies)

    shared = resolve_short_name(word, cluster, present)
    if shared is not None:
        stderr().print(Text(short_name_note(word, shared), style="dim"))
        return shared
    try:
        return resolve_kind(word)
    except KeyError:
        raise unknown_kind(word, list(KINDS), ALIASES) from None


@click.group()
def explain():
    """Explain one object: what applies to it and what names it."""


@explain.command("pod")
@click.argument("pod_key", metavar="NAMESPACE/NAME")
@input_options
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def explain_pod_cmd(pod_key, paths, cni, verbose, output):
    """Every policy and rule that selects the pod or names it as a peer, per direction, in order."""
    cluster = load(paths, cni, verbose)
    pod = cluster.inventory.pod(pod_key)
    if pod is None:
        raise UsageError(f"pod {pod_key} is not in the input")
    result = explain_pod(cluster, pod)
    if output == "json":
        sys.stdout.write(render_json(result.to_dict()))
        sys.exit(EXIT_OK)
    console = stdout()
    console.print(f"[bold]Pod {pod.key}[/]  {pod.ip}  node {pod.node or '-'}  service account {pod.service_account}",
                  markup=True, highlight=False)
    console.print("Groups: " + (", ".join(result.groups) or "none"), markup=False)
    for direction in ("ingress", "egress"):
        console.print(f"\n[bold]{direction.capitalize()}[/] — rules enforced at this pod, in evaluation order",
                      markup=True)
        for t in result.applies[direction]:
            console.print(f"  {t.stage_title}: {t.rule.policy.label} {t.rule.label} [{t.rule.action.value}]  "
                          f"{t.rule.origin.location}", markup=False)
        if not result.applies[direction]:
            console.print("  none", markup=False)
        if result.isolated_by[direction]:
            console.print(f"  isolated for {direction} by: {', '.join(result.isolated_by[direction])}", markup=False)
        console.print(f"  named as a peer by {direction} rules of other pods "
                      f"(their {direction} {'from' if direction == 'ingress' else 'to'} this pod):", markup=False)
        for t in result.peer_of[direction]:
            console.print(f"    {t.stage_title}: {t.rule.policy.label} {t.rule.label} [{t.rule.action.value}]  "
                          f"{t.rule.origin.location}", markup=False)
        if not result.peer_of[direction]:
            console.print("    none", markup=False)
    sys.exit(EXIT_OK)
