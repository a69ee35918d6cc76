"""``tierwall enforce``: the policies as an nftables ruleset for one node (built by
:func:`tierwall.enforce.node_ruleset`), printed or loaded."""

from __future__ import annotations

import sys

import click
from rich.text import Text

from ...enforce.kernel import KernelError, load_ruleset
from ...enforce.lab import PartialRuleset, refuse_partial
from ...enforce.nft import Ruleset
from ...enforce.nftsyntax import check_table
from ...enforce.node import node_ruleset, read_iface_map
from ...errors import UsageError
from ..common import EXIT_INPUT, EXIT_OK, handle_errors, input_options, load, stderr

ALLOW_PARTIAL = click.option(
    "--allow-partial", is_flag=True,
    help="Enforce even when some rules cannot be compiled to nftables: those rules fail closed (an Allow or Log "
         "rule is left out, any other action drops everything its expressible conditions match).")


def report_unsupported(ruleset: Ruleset) -> None:
    for note in ruleset.unsupported:
        stderr().print(Text("unsupported", style="yellow") + Text(f": {note}"))


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
    mapping = read_iface_map(iface_map) if iface_map else None
    ruleset = node_ruleset(cluster, node=node, iface_map=mapping, table=table, log=log)
    report_unsupported(ruleset)
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
