"""``tierwall get KIND`` and ``tierwall explain pod NS/NAME``: the operator's views."""

from __future__ import annotations

import sys

import click
import yaml
from rich.table import Table
from rich.text import Text

from ...analysis.kind_args import resolve_short_name, short_name_note, split_args, unknown_kind
from ...analysis.views import ALIASES, KINDS, NAMESPACED, explain_pod, get as run_get, resolve_kind
from ...analysis.explain_objects import POD_LIST_LIMIT, explain_namespace, explain_policy, find_policy
from ...expect.run import qualify_endpoint, unknown_namespace, unknown_pod
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


POD_WORDS, NAMESPACE_WORDS = ("pod", "pods", "po"), ("namespace", "namespaces", "ns")


@click.command()
@click.argument("args", nargs=-1, required=True, metavar="KIND NAME | KIND/NAME")
@input_options
@click.option("-n", "--namespace", default=None, help="Namespace of a pod or namespaced policy given by bare name.")
@click.option("-A", "--all-namespaces", is_flag=True, help="Find a pod given by bare name in whichever namespace has it.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def explain(args, paths, cni, verbose, namespace, all_namespaces, output):
    """Explain one pod, namespace or policy: what applies to it, what it names, in order.

    \b
    tierwall explain pod prod/db-0 -f cluster/      # or: explain pod db-0 -n prod
    tierwall explain namespace prod -f cluster/
    tierwall explain acnp allow-dns -f cluster/     # or any kind get knows; policy NAME for any
    """
    kind, names = split_args(args, POD_WORDS)
    if len(names) != 1:
        raise UsageError("explain takes one object: KIND NAME or KIND/NAME")
    name = names[0]
    cluster = load(paths, cni, verbose)
    word = kind.lower()
    if word in POD_WORDS:
        key = qualify_endpoint(cluster.inventory, name, namespace, all_namespaces)
        pod = cluster.inventory.pod(key)
        if pod is None:
            raise UsageError(unknown_pod(cluster.inventory, key))
        _explain_pod(cluster, pod, output)
    elif word in NAMESPACE_WORDS:
        _print(explain_namespace(cluster, name), output, _namespace_text)
    else:
        ref_kinds = None if word in ("policy", "policies") else _policy_kinds(word, cluster)
        ns = None if all_namespaces else namespace
        _print(explain_policy(cluster, find_policy(cluster, ref_kinds, name, ns, kind)), output, _policy_text)
    sys.exit(EXIT_OK)


def _policy_kinds(word: str, cluster) -> tuple[str, ...]:
    key = resolve_get_kind(word, cluster)
    if not KINDS[key][2]:
        raise UsageError(f"explain shows pods, namespaces and policies; {word} is none of them "
                         f"(use get {word})")
    return KINDS[key][2]


def _print(result, output, text) -> None:
    if output == "json":
        sys.stdout.write(render_json(result.to_dict()))
    else:
        text(result, stdout())


def _policy_text(x, console) -> None:
    ref = x.policy.ref
    console.print(f"[bold]{ref.label}[/]  {x.stage_title}"
                  f"{'  priority ' + ref.priority if ref.priority else ''}  ({ref.origin.location})",
                  markup=True, highlight=False)
    if ref.managed_by:
        console.print(f"Managed by {ref.managed_by}: edits there are reconciled away", markup=False)
    console.print(f"Evaluation order: {x.rank} of {x.total} policies", markup=False)
    shown = ", ".join(x.pods[:POD_LIST_LIMIT]) + (" …" if len(x.pods) > POD_LIST_LIMIT else "")
    console.print(f"Applies to {len(x.pods)} pod(s) on {len(x.nodes)} node(s): {shown or 'none'}", markup=False)
    if x.policy.isolates:
        console.print(f"Isolates: {', '.join(sorted(d.value for d in x.policy.isolates))} "
                      f"(selected pods drop what no rule allows)", markup=False)
    for r in x.rules:
        name = f' "{r["name"]}"' if r["name"] else ""
        peers = "any address" if r["peers"] is None else (", ".join(r["peers"]) or "nothing")
        ports = "any port" if r["ports"] is None else (", ".join(r["ports"]) or "no port")
        where = "from" if r["direction"] == "ingress" else "to"
        console.print(f"  {r['direction']} rule {r['index']}{name} [{r['action']}] {where} {peers}; {ports}"
                      + (f"; applied to {r['appliedToPods']} pod(s)" if r["appliedToPods"] is not None else ""),
                      markup=False)
    if not x.rules:
        console.print("  no rules", markup=False)


def _namespace_text(x, console) -> None:
    labels = ",".join(f"{k}={v}" for k, v in x.labels.items()) or "<none>"
    console.print(f"[bold]Namespace {x.name}[/]  labels {labels}" + ("  (implied: not declared in the input)"
                                                                    if x.implied else ""),
                  markup=True, highlight=False)
    shown = ", ".join(x.pods[:POD_LIST_LIMIT]) + (" …" if len(x.pods) > POD_LIST_LIMIT else "")
    console.print(f"Pods ({len(x.pods)}): {shown or 'none'}", markup=False)
    console.print(f"Policies in the namespace: {', '.join(x.policies_in) or 'none'}", markup=False)
    for d in ("ingress", "egress"):
        console.print(f"{d.capitalize()} rules enforced at its pods come from: {', '.join(x.applies[d]) or 'none'}",
                      markup=False)
        console.print(f"  {d} rules of other pods that name its pods: {', '.join(x.peer_of[d]) or 'none'}",
                      markup=False)


def _explain_pod(cluster, pod, output) -> None:
    result = explain_pod(cluster, pod)
    if output == "json":
        sys.stdout.write(render_json(result.to_dict()))
        return
    console = stdout()
    invented = " (invented: the pod has no status.podIP; see --pod-cidr)" if pod.ip_assigned else ""
    console.print(f"[bold]Pod {pod.key}[/]  {pod.ip}{invented}  node {pod.node or '-'}  service account {pod.service_account}",
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
