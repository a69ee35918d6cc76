"""Hypothesis strategies for the conditions beyond peer-and-port: Calico EntityRules (selector,
notSelector, namespaceSelector, serviceAccounts, nets, notNets, ports, notPorts, services,
NetworkSets) and L4 criteria (protocol, notProtocol, icmp, notICMP, ipVersion); Cilium peers
with entities, CIDR sets with except, toServices. Small clusters on two nodes, with a Service."""

from __future__ import annotations

from hypothesis import strategies as st

from strategies import CALICO_NS_SELECTORS, CALICO_SELECTORS, cilium_policy, cluster, on_two_nodes
from strategies import calico_policy as plain_calico_policy

SERVICE_ACCOUNTS = ["default", "robot"]
NETS = ["10.0.0.0/30", "10.0.0.0/24", "10.0.0.2/32", "203.0.113.0/24", "172.18.0.0/16"]
NOT_NETS = ["10.0.0.0/30", "10.0.0.4/32", "203.0.113.0/25", "172.18.0.2/32"]
PORTS = [80, 8080, "8000:8100", "http", 53, "dns"]
SERVICE = ("n1", "web")


def with_service_and_sets(objs, draw):
    """Service n1/web on pods app=a (port 80 → the pods' named port ``http``), service
    accounts on pods, a GlobalNetworkSet and a NetworkSet whose nets hold pod and outside
    addresses."""
    for obj in objs:
        if obj["kind"] == "Pod":
            obj["spec"]["serviceAccountName"] = draw(st.sampled_from(SERVICE_ACCOUNTS))
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": SERVICE[1], "namespace": SERVICE[0]},
                 "spec": {"clusterIP": "10.96.0.10", "selector": {"app": "a"},
                          "ports": [{"port": 80, "targetPort": draw(st.sampled_from(["http", 8080])),
                                     "protocol": "TCP"}]}})
    objs.append({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
                 "metadata": {"name": "outside", "labels": {"zone": "ext"}},
                 "spec": {"nets": [draw(st.sampled_from(["203.0.113.0/24", "10.0.0.1/32"]))]}})
    objs.append({"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
                 "metadata": {"name": "few", "namespace": "n1", "labels": {"zone": "few"}},
                 "spec": {"nets": ["10.0.0.2/31"]}})
    return objs


@st.composite
def entity(draw, side):
    out: dict = {}
    if draw(st.integers(0, 5)) == 0:  # services stand alone (Calico refuses most combinations)
        out["services"] = {"name": SERVICE[1], "namespace": SERVICE[0]}
        return out
    if draw(st.booleans()):
        out["selector"] = draw(st.sampled_from(CALICO_SELECTORS + ["zone == 'ext'", "has(zone)"]))
    if draw(st.integers(0, 3)) == 0:
        out["notSelector"] = draw(st.sampled_from(CALICO_SELECTORS[1:] + ["zone == 'few'"]))
    if draw(st.integers(0, 3)) == 0:
        out["namespaceSelector"] = draw(st.sampled_from(CALICO_NS_SELECTORS))
    if draw(st.integers(0, 4)) == 0:
        out["serviceAccounts"] = {"names": [draw(st.sampled_from(SERVICE_ACCOUNTS))]}
    if draw(st.integers(0, 2)) == 0:
        out["nets"] = draw(st.lists(st.sampled_from(NETS), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 2)) == 0:
        out["notNets"] = draw(st.lists(st.sampled_from(NOT_NETS), min_size=1, max_size=2, unique=True))
    return out


@st.composite
def calico_rule(draw):
    rule: dict = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass", "Log"]))}
    src, dst = draw(entity("source")), draw(entity("destination"))
    protocol = draw(st.sampled_from([None, "TCP", "UDP", "ICMP", "SCTP", 17]))
    if protocol is not None:
        rule["protocol"] = protocol
    elif draw(st.integers(0, 2)) == 0:
        rule["notProtocol"] = draw(st.sampled_from(["TCP", "UDP", "ICMP"]))
    if protocol == "ICMP" and draw(st.booleans()):
        rule["icmp"] = draw(st.sampled_from([{"type": 8}, {"type": 8, "code": 0}, {"type": 0}, {"type": 8, "code": 1}]))
    elif protocol == "ICMP" and draw(st.booleans()):
        rule["notICMP"] = draw(st.sampled_from([{"type": 8}, {"type": 3}]))
    if draw(st.integers(0, 4)) == 0:
        rule["ipVersion"] = draw(st.sampled_from([4, 6]))
    if protocol in ("TCP", "UDP", "SCTP", 17):
        for end in (dst, src):
            if "services" in end and end is dst:  # Calico: a destination Service brings its ports
                continue
            key = draw(st.sampled_from([None, "ports", "notPorts"]))
            if key:
                end[key] = draw(st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True))
    if src:
        rule["source"] = src
    if dst:
        rule["destination"] = dst
    return rule


@st.composite
def calico_policy(draw, index):
    """A tiered Calico policy (as ``strategies.calico_policy`` draws it) with these rules."""
    policy = draw(plain_calico_policy(index))
    spec = policy["spec"]
    for direction in spec["types"]:
        spec[direction.lower()] = [draw(calico_rule()) for _ in range(draw(st.integers(0, 3)))]
    return policy


@st.composite
def calico_conditions(draw):
    """(objects, "calico") with Calico entity / L4 rules of every kind."""
    objs = with_service_and_sets(on_two_nodes(draw(cluster()), draw), draw)
    objs.append({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
                 "spec": {"order": 100, "defaultAction": draw(st.sampled_from(["Deny", "Pass"]))}})
    objs += [draw(calico_policy(i)) for i in range(draw(st.integers(1, 3)))]
    return objs, "calico"


@st.composite
def cilium_with_services(draw):
    """(objects, "cilium"): Cilium policies (entities, CIDR sets with except, endpoints), some
    with toServices, on two nodes with a Service."""
    objs = with_service_and_sets(on_two_nodes(draw(cluster()), draw), draw)
    objs = [o for o in objs if not o["apiVersion"].startswith("projectcalico")]
    for i in range(draw(st.integers(1, 3))):
        policy = draw(cilium_policy(i))
        if draw(st.integers(0, 3)) == 0:
            policy["spec"].setdefault("egress", []).append(
                {"toServices": [{"k8sService": {"serviceName": SERVICE[1], "namespace": SERVICE[0]}}]})
        objs.append(policy)
    return objs, "cilium"
