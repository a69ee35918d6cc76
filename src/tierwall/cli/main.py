"""``tierwall``: the click group. Commands live in ``cli/commands``; no logic here."""

from __future__ import annotations

import click

from .. import __version__
from .commands.check import check
from .commands.diff import diff
from .commands.enforce import enforce, lab
from .commands.get import explain, get
from .commands.lint import lint
from .commands.matrix import matrix
from .commands.trace import trace


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tierwall")
def cli() -> None:
    """Tiered Kubernetes network policy, offline and on real packets.

    Reads Kubernetes NetworkPolicies, Antrea tiers, policies and groups, Calico tiers,
    policies and network sets, and AdminNetworkPolicies (with the Namespaces, Pods,
    workloads, Services and Nodes they select) into one model, and answers what happens to a
    flow (trace), whether the cluster meets its tests (check), who reaches whom (matrix),
    what is wrong (lint), what a change changes (diff), and proves it in the kernel (lab).
    """


cli.add_command(trace)
cli.add_command(check)
cli.add_command(matrix)
cli.add_command(lint)
cli.add_command(diff)
cli.add_command(get)
cli.add_command(explain)
cli.add_command(enforce)
cli.add_command(lab)


def main() -> None:
    cli(prog_name="tierwall")
