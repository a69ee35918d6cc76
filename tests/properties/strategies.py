"""Hypothesis strategies: small random clusters with random tiered policies of every dialect."""

from __future__ import annotations

from hypothesis import strategies as st

NAMESPACES = ["n1", "n2", "n3"]
APPS = ["a", "b", "c"]
TIERS = ["emergency", "securityops", "application", "baseline"]


def label_selector(key, values):
    return st.one_of(
        st.just({}),
        st.sampled_from(values).map(lambda v: {"matchLabels": {key: v}}),
        st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True).map(
            lambda vs: {"matchExpressions": [{"key": key, "operator": "NotIn", "values": vs}]}),
    )


@st.composite
def cluster(draw):
    objs = []
    for ns in NAMESPACES:
        objs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": {"team": draw(st.sampled_from(["red", "blue"]))}}})
    n_pods = draw(st.integers(2, 6))
    for i in range(n_pods):
        ns = draw(st.sampled_from(NAMESPACES))
        port = draw(st.sampled_from([80, 8080]))
        objs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"p{i}", "namespace": ns, "labels": {"app": draw(st.sampled_from(APPS))}},
                     "spec": {"nodeName": "node-1", "containers": [{"name": "c", "ports": [
                         {"name": "http", "containerPort": port}, {"name": "dns", "containerPort": 53,
                                                                   "protocol": "UDP"}]}]},
                     "status": {"phase": "Running", "podIP": f"10.0.{i // 200}.{i % 200 + 1}"}})
    return objs


def k8s_peer():
    return st.one_of(
        label_selector("app", APPS).map(lambda s: {"podSelector": s}),
        label_selector("team", ["red", "blue"]).map(lambda s: {"namespaceSelector": s}),
        st.tuples(label_selector("team", ["red", "blue"]), label_selector("app", APPS)).map(
            lambda t: {"namespaceSelector": t[0], "podSelector": t[1]}),
        st.sampled_from(["10.0.0.0/24", "10.0.0.0/30", "0.0.0.0/0"]).map(lambda c: {"ipBlock": {"cidr": c}}),
    )


def port_entry():
    return st.one_of(
        st.sampled_from([80, 8080, "http", "dns"]).map(lambda p: {"port": p, "protocol": "UDP" if p == "dns" else "TCP"}),
        st.just({"protocol": "UDP"}),
        st.just({"port": 8000, "endPort": 8100}),
    )


def k8s_rule():
    return st.fixed_dictionaries({}, optional={"peers": st.lists(k8s_peer(), max_size=2),
                                               "ports": st.lists(port_entry(), max_size=2)})


@st.composite
def network_policy(draw, index):
    types = draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    spec = {"podSelector": draw(label_selector("app", APPS)), "policyTypes": types}
    for direction, key in (("Ingress", "from"), ("Egress", "to")):
        if direction in types:
            rules = []
            for r in draw(st.lists(k8s_rule(), max_size=2)):
                rule = {}
                if "peers" in r:
                    rule[key] = r["peers"]
                if "ports" in r:
                    rule["ports"] = r["ports"]
                rules.append(rule)
            spec[direction.lower()] = rules
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"np{index}", "namespace": draw(st.sampled_from(NAMESPACES))}, "spec": spec}


@st.composite
def antrea_policy(draw, index):
    tier = draw(st.sampled_from(TIERS))
    actions = ["Allow", "Drop", "Reject"] + ([] if tier == "baseline" else ["Pass"])
    spec = {"tier": tier, "priority": draw(st.sampled_from([1, 2, 5])),
            "appliedTo": [draw(st.one_of(label_selector("app", APPS).map(lambda s: {"podSelector": s}),
                                         label_selector("team", ["red", "blue"]).map(lambda s: {"namespaceSelector": s})))]}
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            rule = {"action": draw(st.sampled_from(actions))}
            peers = draw(st.lists(st.one_of(k8s_peer(), st.just({"namespaces": {"match": "Self"}})), max_size=2))
            if peers:
                rule[key] = peers
            ports = draw(st.lists(st.one_of(port_entry(), st.just({"protocol": "TCP", "port": "http"})), max_size=1))
            if ports:
                rule["ports"] = [p if "protocol" in p else {**p, "protocol": "TCP"} for p in ports]
            rules.append(rule)
        if rules:
            spec[direction] = rules
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": {"name": f"acnp{index}"},
            "spec": spec}


@st.composite
def admin_policy(draw, index):
    spec = {"priority": draw(st.sampled_from([1, 2])),
            "subject": {"namespaces": draw(label_selector("team", ["red", "blue"]))}}
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            peer = draw(st.one_of(label_selector("team", ["red", "blue"]).map(lambda s: {"namespaces": s}),
                                  st.just({"networks": ["10.0.0.0/30"]}) if direction == "egress"
                                  else st.just({"namespaces": {}})))
            rule = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass"])), key: [peer]}
            if draw(st.booleans()):
                choices = [{"portNumber": {"port": 80}}, {"portRange": {"protocol": "UDP", "start": 50, "end": 60}}]
                if "networks" not in peer:  # the API refuses named ports with networks peers
                    choices.append({"namedPort": "http"})
                rule["ports"] = [draw(st.sampled_from(choices))]
            rules.append(rule)
        if rules:
            spec[direction] = rules
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": f"anp{index}"}, "spec": spec}


CALICO_SELECTORS = ["all()", "app == 'a'", "app != 'b'", "app in {'a', 'c'}", "has(app)", "!has(tier)",
                    "team == 'red'", "pcns.team == 'red'", "app == 'a' || app == 'b'"]
CALICO_NS_SELECTORS = ["all()", "team == 'red'", "team != 'blue'", "projectcalico.org/name == 'n1'"]


@st.composite
def calico_entity(draw):
    out = {}
    if draw(st.booleans()):
        out["selector"] = draw(st.sampled_from(CALICO_SELECTORS))
    if draw(st.integers(0, 3)) == 0:
        out["notSelector"] = draw(st.sampled_from(CALICO_SELECTORS[1:]))
    if draw(st.integers(0, 3)) == 0:
        out["namespaceSelector"] = draw(st.sampled_from(CALICO_NS_SELECTORS))
    if draw(st.integers(0, 3)) == 0:
        out["nets"] = [draw(st.sampled_from(["10.0.0.0/30", "10.0.0.0/24"]))]
    return out


@st.composite
def calico_policy(draw, index):
    tier = draw(st.sampled_from(["default", "security"]))
    spec = {"tier": tier, "selector": draw(st.sampled_from(CALICO_SELECTORS)),
            "types": draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]]))}
    if draw(st.booleans()):
        spec["order"] = draw(st.sampled_from([1, 100, 1000]))
    for direction in spec["types"]:
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            rule = {"action": draw(st.sampled_from(["Allow", "Deny", "Pass", "Log"]))}
            src, dst = draw(calico_entity()), draw(calico_entity())
            if draw(st.booleans()):
                rule["protocol"] = draw(st.sampled_from(["TCP", "UDP"]))
                ports = draw(st.lists(st.sampled_from([80, "8000:8100", "http", 53]), min_size=1, max_size=2))
                if rule["protocol"] == "UDP":
                    ports = [53]
                dst["ports"] = ports
            if src:
                rule["source"] = src
            if dst:
                rule["destination"] = dst
            rules.append(rule)
        spec[direction.lower()] = rules
    namespaced = draw(st.booleans())
    md = {"name": f"{tier}.cp{index}"}
    if namespaced:
        md["namespace"] = draw(st.sampled_from(NAMESPACES))
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy" if namespaced else "GlobalNetworkPolicy",
            "metadata": md, "spec": spec}


CILIUM_ENTITIES = ["world", "cluster", "host", "remote-node", "all"]
NODES = [("node-1", "172.18.0.2"), ("node-2", "172.18.0.3")]
OUTSIDE = ["203.0.113.9", "198.51.100.1"]
"""External addresses the Cilium matrix also covers (besides the node addresses)."""


def cilium_endpoints(clusterwide):
    ns_key = st.sampled_from(NAMESPACES).map(lambda n: {"matchLabels": {"k8s:io.kubernetes.pod.namespace": n}})
    team = st.sampled_from(["red", "blue"]).map(
        lambda t: {"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.team": t}})
    options = [label_selector("app", APPS), ns_key]
    if clusterwide:
        options.append(team)
    return st.lists(st.one_of(*options), min_size=1, max_size=2)


def cilium_ports():
    entry = st.one_of(st.sampled_from(["80", "8080", "53", "http"]).map(lambda p: {"port": p, "protocol": "TCP"}),
                      st.just({"port": "53"}), st.just({"port": "8000", "endPort": 8100, "protocol": "TCP"}),
                      st.just({"protocol": "UDP"}))
    return st.lists(entry, min_size=1, max_size=2).map(lambda ps: [{"ports": ps}])


@st.composite
def cilium_rule(draw, side, clusterwide):
    prefix = "from" if side == "ingress" else "to"
    rule = draw(st.fixed_dictionaries({}, optional={
        f"{prefix}Endpoints": cilium_endpoints(clusterwide),
        f"{prefix}Entities": st.lists(st.sampled_from(CILIUM_ENTITIES), min_size=1, max_size=2, unique=True),
        f"{prefix}CIDRSet": st.sampled_from([[{"cidr": "0.0.0.0/0", "except": ["203.0.113.0/24"]}],
                                             [{"cidr": "10.0.0.0/24"}], [{"cidr": "172.18.0.0/16"}]]),
        "toPorts": cilium_ports()}))
    return rule


@st.composite
def cilium_policy(draw, index):
    """A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy with allow and deny rules."""
    clusterwide = draw(st.booleans())
    spec: dict = {"endpointSelector": draw(label_selector("app", APPS))}
    if draw(st.booleans()):
        spec["enableDefaultDeny"] = {d: draw(st.booleans()) for d in ("ingress", "egress") if draw(st.booleans())}
    for key, side in (("ingress", "ingress"), ("egress", "egress"), ("ingressDeny", "ingress"),
                      ("egressDeny", "egress")):
        n = draw(st.integers(0, 2))
        if n:
            spec[key] = [draw(cilium_rule(side, clusterwide)) for _ in range(n)]
    md = {"name": f"cil{index}"}
    if not clusterwide:
        md["namespace"] = draw(st.sampled_from(NAMESPACES))
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy" if clusterwide
            else "CiliumNetworkPolicy", "metadata": md, "spec": spec}


def on_two_nodes(objs, draw):
    """Add two Nodes and spread the pods over them (Cilium's host/remote-node differ per node)."""
    for name, ip in NODES:
        objs.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                     "status": {"addresses": [{"type": "InternalIP", "address": ip}]}})
    for obj in objs:
        if obj["kind"] == "Pod":
            obj["spec"]["nodeName"] = draw(st.sampled_from([n for n, _ in NODES]))
    return objs


@st.composite
def scenario(draw, cnis=("generic", "antrea", "calico")):
    """(objects, cni): a cluster with 0-3 NetworkPolicies, 0-2 AdminNetworkPolicies and, for
    antrea and calico, 0-3 tiered policies of that CNI."""
    objs = draw(cluster())
    cni = draw(st.sampled_from(list(cnis)))
    objs += [draw(network_policy(i)) for i in range(draw(st.integers(0, 3)))]
    if cni == "antrea":
        objs += [draw(antrea_policy(i)) for i in range(draw(st.integers(0, 3)))]
    if cni == "calico":
        objs.append({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"},
                     "spec": {"order": 100, "defaultAction": draw(st.sampled_from(["Deny", "Pass"]))}})
        objs += [draw(calico_policy(i)) for i in range(draw(st.integers(0, 3)))]
    if cni == "cilium":
        objs = on_two_nodes(objs, draw)
        objs += [draw(cilium_policy(i)) for i in range(draw(st.integers(0, 3)))]
    objs += [draw(admin_policy(i)) for i in range(draw(st.integers(0, 2)))]
    return objs, cni


@st.composite
def service(draw, index):
    """A ClusterIP (or NodePort) Service selecting pods by app, with numeric and named targetPorts."""
    ports = draw(st.lists(st.sampled_from([
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"},
        {"name": "web", "port": 80, "protocol": "TCP", "targetPort": "http"},
        {"name": "alt", "port": 81, "protocol": "TCP", "targetPort": 8080}]), min_size=1, max_size=3,
        unique_by=lambda p: p["name"]))
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"svc{index}", "namespace": draw(st.sampled_from(NAMESPACES))},
            "spec": {"type": draw(st.sampled_from(["ClusterIP", "NodePort"])),
                     "selector": {"app": draw(st.sampled_from(APPS))}, "clusterIP": f"10.96.0.{index + 10}",
                     "ports": ports}}


@st.composite
def to_services_policy(draw, index, services):
    """An Antrea ClusterNetworkPolicy whose egress rules name Services (toServices) and pods."""
    rules = []
    for k in range(draw(st.integers(1, 2))):
        action = draw(st.sampled_from(["Allow", "Drop", "Reject", "Pass"]))
        if k == 0 or draw(st.booleans()):
            svc = draw(st.sampled_from(services))
            rules.append({"action": action, "toServices": [{"name": svc["metadata"]["name"],
                                                            "namespace": svc["metadata"]["namespace"]}]})
        else:
            rules.append({"action": action, "to": [draw(k8s_peer())]})
    if draw(st.booleans()):  # a catch-all after them, so that what the Service rules decide shows
        rules.append({"action": draw(st.sampled_from(["Drop", "Reject"]))})
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": f"svcp{index}"},
            "spec": {"tier": draw(st.sampled_from(TIERS[:3])), "priority": draw(st.sampled_from([1, 2])),
                     "appliedTo": [draw(label_selector("app", APPS).map(lambda s: {"podSelector": s}))],
                     "egress": rules}}


@st.composite
def service_scenario(draw):
    """A scenario plus 1-3 Services, and for Antrea (two draws in three) 1-2 policies with
    toServices rules."""
    objs, cni = draw(scenario(cnis=("antrea", "generic", "antrea", "calico")))
    services = [draw(service(i)) for i in range(draw(st.integers(1, 3)))]
    objs += services
    if cni == "antrea":
        objs += [draw(to_services_policy(i, services)) for i in range(draw(st.integers(1, 2)))]
    return objs, cni
