"""The resolved peer form (engine/resolve.py): what each peer kind covers, the words trace
explains a match with, and compile-once caching (per subject only for relative peers)."""

import ipaddress

from helpers import build, node, pod, world
from tierwall.engine import endpoint_for_ip, endpoint_for_pod
from tierwall.engine.flow import Flow
from tierwall.engine.match import Match, covers, peer_matches, resolved_matches
from tierwall.model import (FQDNPeer, GroupPeer, IPBlockPeer, NamespaceScope, NodePeer, NothingPeer,
                            PodPeer, SelectorPeer, ServicePeer)
from tierwall.selectors import LabelSelector
from tierwall.selectors.calico import Selector, parse

NET = ipaddress.ip_network


def _cluster():
    objs = world() + [node("node-2", "172.18.0.4"), pod("x", "h", "172.18.0.4", node="node-2", host_network=True)]
    return build(objs)


def _flow(cc, src, dst):
    return Flow(src, dst, "TCP", 80)


def test_each_kind_resolves_into_parts_of_one_shape():
    cc = _cluster().compiled
    inv = cc.inv
    xa = next(p for p in inv.pods if p.key == "x/a")
    pods = cc.resolve(PodPeer(NamespaceScope("names", frozenset({"x"})), LabelSelector.from_labels({"pod": "a"})))
    assert pods.pods == 1 << xa.index and [p.kind for p in pods.parts] == ["pods"]
    block = cc.resolve(IPBlockPeer(NET("10.10.1.0/24"), (NET("10.10.1.8/29"),)))
    assert block.nets[0].addresses() and all(not n.overlaps(NET("10.10.1.8/29")) for n in block.nets[0].addresses())
    assert cc.resolve(NodePeer()).hosts == {"node-0", "node-1", "node-2"}
    assert cc.resolve(ServicePeer("x", "web")).services == {("x", "web")}
    assert cc.resolve(FQDNPeer("*.example.com")).unknown
    assert cc.resolve(NothingPeer("no such group")).parts == ()
    group = cc.resolve(GroupPeer("ClusterGroup", "", "g", (IPBlockPeer(NET("203.0.113.0/24")), NodePeer())))
    assert group.group == "ClusterGroup/g" and group.hosts and group.nets[0].groups == ("ClusterGroup/g",)


def test_trace_words_come_from_the_parts_origins():
    cc = _cluster().compiled
    inv = cc.inv
    xa = endpoint_for_pod(inv, next(p for p in inv.pods if p.key == "x/a"))
    outside = endpoint_for_ip(inv, "203.0.113.7")
    host = endpoint_for_ip(inv, "172.18.0.3")
    group = GroupPeer("ClusterGroup", "", "g", (IPBlockPeer(NET("203.0.113.0/24")),))
    m, why = peer_matches(cc, group, outside, "x", _flow(cc, outside, xa))
    assert (m, why) == (Match.YES, "ClusterGroup/g: 203.0.113.7 is in ipBlock 203.0.113.0/24")
    m, why = peer_matches(cc, group, xa, "x", _flow(cc, xa, xa))
    assert (m, why) == (Match.NO, f"{xa} is not a member of ClusterGroup/g")
    m, why = peer_matches(cc, IPBlockPeer(NET("10.10.1.0/24"), (NET("10.10.1.8/29"),)), xa, "x", _flow(cc, xa, xa))
    assert m is Match.NO and why == "10.10.1.11 is in the except 10.10.1.8/29 of ipBlock 10.10.1.0/24 except 10.10.1.8/29"
    cidr = IPBlockPeer(NET("0.0.0.0/0"), outside_cluster=True)
    assert peer_matches(cc, cidr, host, "x", _flow(cc, host, xa))[0] is Match.NO
    assert peer_matches(cc, cidr, outside, "x", _flow(cc, outside, xa))[0] is Match.YES
    m, why = peer_matches(cc, NodePeer(relation="local"), host, "x", _flow(cc, host, xa), subject_node="node-1")
    assert (m, why) == (Match.YES, "node node-1 vs the applied-to pod's own node (host)")
    assert peer_matches(cc, NodePeer(relation="local"), host, "x", _flow(cc, host, xa), subject_node="node-0")[0] \
        is Match.NO
    m, why = peer_matches(cc, FQDNPeer("*.example.com"), outside, "x", _flow(cc, xa, outside))
    assert m is Match.MAYBE and "only known from DNS at run time" in why


def test_selectors_cover_network_set_addresses_and_say_which_set():
    gns = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
           "metadata": {"name": "ext", "labels": {"zone": "ext"}}, "spec": {"nets": ["203.0.113.0/24"]}}
    cc = build(world() + [gns], "calico").compiled
    expr = Selector(parse("zone == 'ext'"), "zone == 'ext'")
    res = cc.resolve(SelectorPeer(expr))
    outside = endpoint_for_ip(cc.inv, "203.0.113.9")
    assert covers(res, outside) == "203.0.113.9 is in GlobalNetworkSet/ext (203.0.113.0/24), which matches zone == 'ext'"
    xa = endpoint_for_pod(cc.inv, next(p for p in cc.inv.pods if p.key == "x/a"))
    assert resolved_matches(res, xa, _flow(cc, xa, xa)) == (Match.NO, f"{xa} does not match zone == 'ext'")


def test_resolution_is_cached_per_peer_and_per_subject_only_when_relative():
    cc = _cluster().compiled
    plain = PodPeer(NamespaceScope("all"), LabelSelector.from_labels({"pod": "a"}))
    assert cc.resolve(plain, "x", "node-1") is cc.resolve(plain, "y", "node-0")
    own = PodPeer(NamespaceScope("self"), LabelSelector.from_labels({"pod": "a"}))
    in_x, in_y = cc.resolve(own, "x"), cc.resolve(own, "y")
    assert in_x is not in_y and in_x.pods != in_y.pods and cc.resolve(own, "x") is in_x
    assert cc.resolve(own).pods == 0  # no subject: a relative namespace covers nothing
    local = NodePeer(relation="local")
    assert cc.resolve(local, subject_node="node-1").hosts == {"node-1"}
    assert cc.resolve(local).hosts == {"node-0", "node-1", "node-2"}  # no subject: not narrowed
    assert cc.relativity(GroupPeer("ClusterGroup", "", "g", (own, local))) == (True, True)
