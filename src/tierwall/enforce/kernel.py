"""Talking to the kernel: run ``ip``/``nft`` (optionally inside a network namespace) and load a
ruleset as one transaction that keeps the table and its base chain.

Why one place: ``enforce --apply``, ``lab up`` and ``lab reload`` must load rulesets the same
way, and the reload path is where failing open happened (re-creating the table dropped the
verdicts for a moment).
"""

from __future__ import annotations

import subprocess

from ..errors import TierwallError
from .nft import Ruleset, table_objects


class KernelError(TierwallError):
    """A tool is missing or the kernel refused a request."""


def run(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(list(args), input=input, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise KernelError(f"{args[0]} is not installed (install nftables and iproute2)") from exc
    if check and result.returncode != 0:
        raise KernelError(f"{' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def nft(netns: str | None) -> tuple[str, ...]:
    return (("ip", "netns", "exec", netns) if netns else ()) + ("nft",)


def load_ruleset(ruleset: Ruleset, netns: str | None = None) -> None:
    """Replace the table's contents atomically: the old verdicts hold until the new ones are in,
    and a refused ruleset leaves the old one untouched (``KernelError`` says why)."""
    listing = run(*nft(netns), "-j", "list", "table", "inet", ruleset.table, check=False)
    existing = table_objects(listing.stdout if listing.returncode == 0 else "")
    swap, cleanup = ruleset.reload_texts(existing)
    run(*nft(netns), "-f", "-", input=swap)
    if cleanup:  # a separate transaction: packets still in the previous chains finish there first
        run(*nft(netns), "-f", "-", input=cleanup)
