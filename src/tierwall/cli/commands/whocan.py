"""``tierwall who-can``: per tier, dialect and namespace, who may write what decides traffic."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from ...dialects import write_target_dialects
from ...errors import Diagnostics, UsageError
from ...render import render_diagnostics, render_json
from ..common import EXIT_OK, handle_errors, input_options, load, stderr, stdout

REPORT_VERSION = "tierwall.dev/v1alpha1"


def parse_subject(text: str):
    """``Group/dev-team``, ``User/alice``, ``ServiceAccount/ns/name`` → Subject."""
    from ...rbac import Subject
    kind, _, rest = text.partition("/")
    if kind == "ServiceAccount" and rest.count("/") == 1 and all(rest.split("/")):
        ns, name = rest.split("/")
        return Subject(kind, name, ns)
    if kind in ("User", "Group") and rest:
        return Subject(kind, rest)
    raise UsageError(f"subject {text!r} is not Group/NAME, User/NAME or ServiceAccount/NAMESPACE/NAME")


def parse_request(verb: str, resource: str, namespace: str | None, subresource: str | None):
    """``VERB RESOURCE[.GROUP][/NAME]`` as ``kubectl auth can-i`` takes them."""
    from ...rbac import Request
    res, _, name = resource.partition("/")
    plural, _, group = res.partition(".")
    if not plural or not verb:
        raise UsageError(f"{verb} {resource}: expected VERB RESOURCE[.GROUP][/NAME], e.g. create "
                         f"networkpolicies.crd.antrea.io")
    if name and verb == "create":
        raise UsageError("a create request has no name (kubectl auth can-i create RESOURCE)")
    ns = name if plural == "namespaces" and name else (namespace or "")
    return Request(verb, group, plural, ns, name, subresource or "")


@click.command("who-can")
@click.argument("query", nargs=-1, metavar="[VERB RESOURCE[.GROUP][/NAME]]")
@input_options
@click.option("-n", "--namespace", default=None, help="Only targets in this namespace (and cluster-scoped ones).")
@click.option("--tier", default=None, help="Only targets that land in this tier.")
@click.option("--dialect", type=click.Choice([*write_target_dialects(), "identity"]),
              default=None, help="Only this dialect's objects (identity: namespace/pod labels, Services).")
@click.option("--subject", "subjects", multiple=True, metavar="KIND/NAME",
              help="Ask about these subjects only (Group/NAME, User/NAME, ServiceAccount/NS/NAME). Repeatable.")
@click.option("--subresource", default=None, help="With VERB RESOURCE: the subresource (e.g. log, scale).")
@click.option("--no-cni-roles", is_flag=True,
              help="Do not assume the aggregation ClusterRoles the CNI ships (Antrea's chart, Calico's operator).")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@handle_errors
def who_can(query, paths, cni, verbose, namespace, tier, dialect, subjects, subresource, no_cni_roles, output):
    """Who can create, update, patch or delete the objects that decide traffic.

    With VERB RESOURCE (e.g. `who-can patch namespaces/dev-app`, `who-can create
    networkpolicies.crd.antrea.io -n dev`): the subjects `kubectl auth can-i VERB RESOURCE
    --as` would answer yes for, with the binding that grants it.

    Reads Roles, ClusterRoles (aggregation included), RoleBindings and ClusterRoleBindings
    among the inputs, plus Kubernetes' built-in roles (cluster-admin, admin, edit, view) and
    the roles the CNI ships, and answers as `kubectl auth can-i --as` would, per tier,
    dialect and namespace: policies, Tiers, groups, namespace labels, pod labels (pods and
    workload controllers) and the Services toServices / serviceReference name.
    """
    from ...rbac import read_cluster_rbac
    from ...rbac.targets import targets, who_can_write
    cluster = load(paths, cni, verbose)
    diags = Diagnostics()
    rbac = read_cluster_rbac(cluster, diags, cni_roles=not no_cni_roles)
    render_diagnostics(diags.items, stderr(), verbose)
    diags.raise_if_errors()
    chosen = [parse_subject(s) for s in subjects] or None
    if query:
        if len(query) != 2:
            raise UsageError("expected VERB RESOURCE[.GROUP][/NAME] (two arguments) or none")
        _answer_one(rbac, parse_request(query[0], query[1], namespace, subresource), chosen, output, verbose)
        sys.exit(EXIT_OK)
    items = [t for t in targets(cluster)
             if (namespace is None or t.namespace in ("", namespace))
             and (tier is None or t.tier == tier) and (dialect is None or t.dialect == dialect)]
    answers = who_can_write(rbac, items, chosen)
    assumed = sorted({f"{r.ref} ({r.shipped_by})" for r in rbac.roles.values() if r.shipped_by} |
                     {f"{b.ref} ({b.shipped_by})" for b in rbac.bindings if b.shipped_by})
    if output == "json":
        sys.stdout.write(render_json({"apiVersion": REPORT_VERSION, "kind": "WhoCanReport", "cni": cluster.model.cni,
                                      "assumed": assumed, "subjects": [s.to_dict() for s in (chosen or rbac.subjects())],
                                      "targets": [a.to_dict() for a in answers]}))
        sys.exit(EXIT_OK)
    _render_text(answers, assumed, verbose)
    sys.exit(EXIT_OK)


def _answer_one(rbac, req, chosen, output: str, verbose: bool) -> None:
    from ...rbac import Identity, authorize
    rows = [(s, g) for s in (chosen or rbac.subjects()) if (g := authorize(rbac, Identity.of(s), req))]
    if output == "json":
        sys.stdout.write(render_json({"apiVersion": REPORT_VERSION, "kind": "WhoCanAnswer", "request": req.text,
                                      "allowed": [{"subject": s.to_dict(), "grant": g.to_dict()} for s, g in rows]}))
        return
    console = stdout()
    if not rows:
        console.print(f"no subject in the bindings may {req.text}")
    for s, g in rows:
        console.print(f"{s.text}  ({g.text})")


def _render_text(answers, assumed, verbose: bool) -> None:
    console = stdout()
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("DIALECT", "TIER", "NAMESPACE", "OBJECT", "VERBS", "SUBJECTS"):
        table.add_column(column, no_wrap=column != "SUBJECTS")
    nobody = 0
    for a in answers:
        groups: dict[tuple, list[str]] = {}
        for verb, rows in a.verbs.items():
            key = tuple(s.text + (f" ({rows_grants[0].text})" if verbose else "")
                        for s, rows_grants in rows)
            if key:
                groups.setdefault(key, []).append(verb)
        if not groups:
            nobody += 1
        for key, verbs in groups.items():
            t = a.target
            table.add_row(t.dialect, t.tier or "-", t.namespace or "-", t.what, ",".join(verbs), ", ".join(key))
    console.print(table)
    if nobody:
        console.print(f"{nobody} target{'s' if nobody != 1 else ''} no listed subject can write (not shown).")
    console.print(f"assumed (not in the input): {', '.join(assumed)}", style="dim")
