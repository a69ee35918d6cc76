"""What ``tierwall enforce`` loads on one node: the pods it covers, their interfaces, the
ruleset, and what the ruleset cannot honour.

Kept out of the CLI so that any front end (the command, the lab, a node agent) builds the same
ruleset from a cluster: the CLI only parses options and prints.
"""

from __future__ import annotations

import yaml

from ..cluster import Cluster
from ..errors import UsageError
from ..inventory import Pod
from .nft import Ruleset, compile_ruleset
from .nftsyntax import check_ifname, check_table


def read_iface_map(path: str) -> dict[str, str]:
    """``namespace/pod`` → host-side interface, from a YAML mapping file.

    Raises:
        UsageError: the file cannot be read, is not a mapping, or names an invalid interface.
    """
    try:
        with open(path, encoding="utf-8") as f:
            mapping = yaml.safe_load(f) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"--iface-map {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not isinstance(mapping, dict):
        raise UsageError(f"--iface-map {path}: expected a mapping of namespace/pod to interface name")
    return {str(k): check_ifname(v, f"--iface-map {path}: {str(k)[:80]}") for k, v in mapping.items()}


def iface_of(pod: Pod) -> str:
    """The node-side interface of ``pod`` in a lab's node namespace (also ``enforce``'s default)."""
    return f"v{pod.index}"


def enforced_pods(cluster: Cluster, node: str | None = None) -> list[Pod]:
    """The pods a node ruleset (and the lab) can cover: IPv4 pods with an address, not on the
    host network, on ``node`` when given."""
    return [p for p in cluster.inventory.pods if p.ips and not p.host_network and ":" not in p.ip
            and (node is None or p.node == node)]


def node_ruleset(cluster: Cluster, *, node: str | None = None, iface_map: dict[str, str] | None = None,
                 table: str = "tierwall", log: bool = False) -> Ruleset:
    """The nftables ruleset for ``node``'s pods (every pod when ``None``), each on its interface
    from ``iface_map`` (default: the lab's names; pods the map leaves out are not covered).

    Pods with a made-up address are listed in ``ruleset.unsupported``: on a real node that
    address matches some other host, or nobody.

    Raises:
        UsageError: ``table`` is not a valid nftables table name.
    """
    check_table(table)
    pods = enforced_pods(cluster, node)
    mapping = iface_map if iface_map is not None else {p.key: iface_of(p) for p in pods}
    pods = [p for p in pods if p.key in mapping]
    ruleset = compile_ruleset(cluster.compiled, mapping, pods, table, log)
    invented = sorted(p.key for p in cluster.inventory.pods if p.ip_assigned and not p.host_network)
    if invented:
        ruleset.unsupported.append(
            f"{len(invented)} pod(s) have no status.podIP ({', '.join(invented[:3])}{', …' if len(invented) > 3 else ''}):"
            f" the addresses tierwall made up for them would be in the ruleset; give the pods their addresses")
    return ruleset
