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
    """Offline trace and checks for tiered Kubernetes network policy.

    Reads Kubernetes NetworkPolicies and Antrea tiers, policies and groups (with the
    Namespaces, Pods, workloads, Services and Nodes they select) from YAML, and answers
    what happens to a flow, and whether the cluster meets its ConnectivityTests.
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
