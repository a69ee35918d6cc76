"""Cilium peers in the nftables compiler: CIDRs leave pod and node addresses out, host and
remote-node are per-pod sets (no kernel needed: the ruleset text is checked)."""

import re
from ipaddress import ip_address, ip_network

from helpers import build, namespace, node, pod
from tierwall.enforce.nft import compile_ruleset


def _elements(text: str) -> list[list[str]]:
    """The element lists of the ruleset's sets."""
    return [e.split(", ") for e in re.findall(r"elements = \{ ([^}]*) \}", text)]


def test_cidr_excludes_cluster_addresses_and_host_is_the_pods_own_node():
    objs = [node("n1", "172.18.0.2"), node("n2", "172.18.0.3"), namespace("x"),
            pod("x", "a", "10.0.1.1", {"app": "a"}, node="n1"), pod("x", "b", "10.0.2.2", {"app": "b"}, node="n2"),
            {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "p"},
             "spec": {"endpointSelector": {}, "egress": [{"toCIDRSet": [{"cidr": "10.0.0.0/16"}]},
                                                         {"toEntities": ["host"]}]}}]
    c = build(objs, cni="cilium")
    text = compile_ruleset(c.compiled, {p.key: f"v{p.index}" for p in c.inventory.pods}).text
    elements = _elements(text)
    cidr = next(e for e in elements if "10.0.0.0/24" in e)
    nets = [ip_network(n) for n in cidr]
    for pod_ip in ("10.0.1.1", "10.0.2.2"):                                             # pods cut out
        assert not any(ip_address(pod_ip) in n for n in nets)
    assert "10.0.1.0/32" in cidr and "10.0.2.3/32" in cidr                              # neighbours kept
    assert ["172.18.0.2/32"] in elements and ["172.18.0.3/32"] in elements              # one host set per node
