#!/usr/bin/env python3
"""Deterministic cluster generator for benchmarks (seeded; same arguments → same files).

    python benchmarks/generate.py --pods 10000 --namespaces 500 --policies 2000 --seed 1 OUTDIR
    python benchmarks/generate.py --pods 2000 --namespaces 100 --policies 400 --antrea --calico OUTDIR
    python benchmarks/generate.py --shape varied --pods 10000 --policies 2500 --seed 1 OUTDIR

Writes OUTDIR/namespaces.yaml, OUTDIR/pods.yaml and OUTDIR/policies.yaml (plus
OUTDIR/antrea.yaml / calico.yaml with the options; the varied shape also OUTDIR/services.yaml). Clusters look like real ones: teams own
namespaces, namespaces hold a few workloads of replicated pods with app/tier/team labels and
named container ports; NetworkPolicies follow the usual patterns: default-deny, allow from a
team's namespaces, app-tier microsegmentation (web → api → db), DNS egress, ipBlock egress to
an on-premises network (ipBlocks name external addresses, as the API intends: see compare_nca.py).

``--shape varied`` is a second, differently built cluster (issue 12: our own generator had
hidden a cost that grew with the number of distinct ports): 40-60 pods per namespace, part of
them as Deployments (pods synthesized from the template, addresses from the default pod
range), many container port names and numbers; one NetworkPolicy per 4 pods with many
distinct ``endPort`` ranges, named ports, ``matchExpressions`` namespace selectors with
In/NotIn/Exists, ipBlocks with ``except``, and TCP/UDP/SCTP entries. It also has Services
(issue 13: Services are matrix destinations): one per workload in about half of them, on the
workload's named ports (named and numeric targetPorts), and kube-system with two CoreDNS pods
behind the kube-dns Service; with ``--antrea``, an Antrea policy allows DNS through that
Service (``toServices``) and drops other egress to kube-system.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
from pathlib import Path

import yaml

TIERS = ["web", "api", "db", "cache"]
PORTS = {"web": 8080, "api": 8443, "db": 5432, "cache": 6379}
TEAMS = ["payments", "search", "identity", "catalog", "checkout", "platform", "data", "ml"]


def generate(pods: int, namespaces: int, policies: int, seed: int):
    rnd = random.Random(seed)
    nss, pod_objs, pol_objs = [], [], []
    net = ipaddress.ip_network("10.128.0.0/10")
    addresses = net.hosts()
    per_ns = max(1, pods // namespaces)
    workloads: dict[str, list[tuple[str, str]]] = {}
    for n in range(namespaces):
        name = f"ns-{n:04d}"
        team = TEAMS[n % len(TEAMS)]
        env = rnd.choice(["dev", "staging", "prod"])
        nss.append({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": name, "labels": {"team": team, "env": env}}})
        wl = []
        for w in range(max(1, per_ns // 5)):
            tier = TIERS[w % len(TIERS)]
            wl.append((f"{tier}-{w}", tier))
        workloads[name] = wl
    count = 0
    in_ns = {ns["metadata"]["name"]: 0 for ns in nss}
    while count < pods:
        for ns in nss:
            name = ns["metadata"]["name"]
            app, tier = workloads[name][in_ns[name] % len(workloads[name])]
            in_ns[name] += 1
            pod_objs.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{app}-{count}", "namespace": name,
                             "labels": {"app": app, "tier": tier, "team": ns["metadata"]["labels"]["team"],
                                        "version": rnd.choice(["v1", "v2"])}},
                "spec": {"nodeName": f"node-{count % 50}", "containers": [{"name": "main", "ports": [
                    {"name": "serve", "containerPort": PORTS[tier]}, {"name": "metrics", "containerPort": 9090}]}]},
                "status": {"phase": "Running", "podIP": str(next(addresses))}})
            count += 1
            if count >= pods:
                break
    patterns = [_default_deny, _allow_team, _tier_chain, _dns_egress, _ipblock_egress]
    for i in range(policies):
        ns = nss[i % namespaces]["metadata"]
        pol_objs.append(patterns[(i // namespaces + i) % len(patterns)](i, ns, rnd))
    return nss, pod_objs, pol_objs


def _np(i, ns, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"np-{i:05d}", "namespace": ns["name"]}, "spec": spec}


def _default_deny(i, ns, rnd):
    return _np(i, ns, {"podSelector": {}, "policyTypes": ["Ingress"]})


def _allow_team(i, ns, rnd):
    return _np(i, ns, {"podSelector": {"matchLabels": {"tier": "web"}},
                       "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": ns["labels"]["team"]}}}],
                                    "ports": [{"port": "serve"}]}]})


def _tier_chain(i, ns, rnd):
    src, dst = rnd.choice([("web", "api"), ("api", "db"), ("api", "cache")])
    return _np(i, ns, {"podSelector": {"matchLabels": {"tier": dst}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": src}}}],
                                    "ports": [{"protocol": "TCP", "port": PORTS[dst]}]},
                                   {"from": [{"namespaceSelector": {"matchLabels": {"team": "platform"}}}],
                                    "ports": [{"port": 9090}]}]})


def _dns_egress(i, ns, rnd):
    return _np(i, ns, {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]},
                       "policyTypes": ["Egress"],
                       "egress": [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                                  {"to": [{"podSelector": {}}]}]})


def _ipblock_egress(i, ns, rnd):
    return _np(i, ns, {"podSelector": {"matchLabels": {"tier": "db"}}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.5.0/24"]}}],
                                   "ports": [{"protocol": "TCP", "port": 5432, "endPort": 5440}]},
                                  {"to": [{"podSelector": {"matchLabels": {"tier": "api"}}}]}]})


# --- the "varied" shape -------------------------------------------------------------------------

ENVS = ["dev", "staging", "prod", "qa"]
REGIONS = ["eu", "us", "ap"]
KINDS = ["frontend", "backend", "worker", "store", "gateway", "batch"]
PORT_NAMES = ["http", "grpc", "metrics", "admin", "debug"]


def generate_varied(pods: int, policies: int, seed: int, deployments: bool = True):
    """Namespaces of 40-60 pods; see the module docstring. Returns (namespaces, pods and
    Deployments, policies)."""
    rnd = random.Random(seed)
    nss, workloads_objs, pol_objs = [], [], []
    addresses = ipaddress.ip_network("10.128.0.0/10").hosts()
    apps: dict[str, list[dict]] = {}
    count, n = 0, 0
    while count < pods:
        name = f"team{n % 37}-{n:04d}"
        labels = {"team": f"team{n % 37}", "env": rnd.choice(ENVS), "region": rnd.choice(REGIONS)}
        if rnd.random() < 0.4:
            labels["compliance"] = rnd.choice(["pci", "hipaa", "sox"])
        nss.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
        size = min(rnd.randint(40, 60), pods - count)
        apps[name] = []
        w = 0
        while size > 0:
            kind = KINDS[w % len(KINDS)]
            replicas = min(size, rnd.randint(2, 8))
            app = f"{kind}-{w}"
            plabels = {"app": app, "kind": kind, "track": rnd.choice(["stable", "canary"]),
                       "owner": f"u{rnd.randrange(20)}"}
            ports = [{"name": pn, "containerPort": rnd.choice([80, 443, 8080, 8443, 9090, 9091, 3000 + w % 40,
                                                                 5000 + rnd.randrange(30)]),
                      "protocol": "UDP" if pn == "debug" and rnd.random() < 0.3 else "TCP"}
                     for pn in rnd.sample(PORT_NAMES, rnd.randint(1, 3))]
            spec = {"nodeName": f"node-{(count + w) % 64}", "containers": [{"name": "main", "image": "x",
                                                                            "ports": ports}]}
            if deployments and rnd.random() < 0.5:
                workloads_objs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                                       "metadata": {"name": app, "namespace": name},
                                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                                                "template": {"metadata": {"labels": plabels}, "spec": spec}}})
            else:
                for r in range(replicas):
                    workloads_objs.append({"apiVersion": "v1", "kind": "Pod",
                                           "metadata": {"name": f"{app}-{r}", "namespace": name, "labels": plabels},
                                           "spec": spec, "status": {"phase": "Running",
                                                                    "podIP": str(next(addresses))}})
            apps[name].append(plabels)
            size -= replicas
            count += replicas
            w += 1
        n += 1
    patterns = [_v_default_deny, _v_ns_expressions, _v_named_ports, _v_ipblock_except, _v_dns, _v_mixed]
    for i in range(policies):
        ns = nss[i % len(nss)]["metadata"]
        pol_objs.append(patterns[rnd.randrange(len(patterns)) if i >= len(nss) else 0](i, ns, apps[ns["name"]], rnd))
    return nss, workloads_objs, pol_objs


def varied_services(workloads: list[dict], seed: int) -> list[dict]:
    """kube-system with CoreDNS behind kube-dns, and a Service for about half the workloads
    (of ``generate_varied``'s Pods and Deployments; a separate random stream, so the pods and
    policies stay what they were without Services)."""
    rnd = random.Random(seed * 7919 + 13)
    workload_ports: dict[tuple[str, str], list[dict]] = {}
    for obj in workloads:
        spec = obj["spec"]["template"] if obj["kind"] == "Deployment" else obj
        labels = spec["metadata"]["labels"]
        workload_ports.setdefault((obj["metadata"]["namespace"], labels["app"]),
                                  spec["spec"]["containers"][0]["ports"])
    objs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": "kube-system", "labels": {"team": "platform", "env": "prod"}}}]
    for k in range(2):
        objs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"coredns-{k}", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
                     "spec": {"nodeName": f"node-{k}", "containers": [{"name": "coredns", "image": "x", "ports": [
                         {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                         {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}]}]},
                     "status": {"phase": "Running", "podIP": f"10.96.128.{k + 2}"}})
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kube-dns", "namespace": "kube-system"},
                 "spec": {"selector": {"k8s-app": "kube-dns"}, "clusterIP": "10.96.0.10",
                          "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"},
                                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}})
    for (ns, app), ports in sorted(workload_ports.items()):
        if rnd.random() < 0.5:
            continue
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
                     "spec": {"type": rnd.choice(["ClusterIP", "ClusterIP", "ClusterIP", "NodePort"]),
                              "selector": {"app": app},
                              "ports": [{"name": p["name"], "port": 80 + k, "protocol": p["protocol"],
                                         "targetPort": p["name"] if rnd.random() < 0.5 else p["containerPort"]}
                                        for k, p in enumerate(ports)]}})
    return objs


RANGES = 220
"""Distinct endPort ranges the policies draw from (a real cluster's few hundred)."""


def _range(rnd):
    k = rnd.randrange(RANGES)  # the same pool of ranges for every size; ranges do not overlap
    pick = random.Random(k)
    lo = 1024 + 170 * k + pick.randrange(20)
    return {"protocol": pick.choice(["TCP", "TCP", "UDP", "SCTP"]), "port": lo, "endPort": lo + pick.randrange(1, 150)}


def _ns_expression(rnd):
    return rnd.choice([
        {"key": "env", "operator": "In", "values": rnd.sample(ENVS, 2)},
        {"key": "region", "operator": "NotIn", "values": [rnd.choice(REGIONS)]},
        {"key": "compliance", "operator": "Exists"},
        {"key": "compliance", "operator": "DoesNotExist"},
        {"key": "team", "operator": "In", "values": [f"team{rnd.randrange(37)}", f"team{rnd.randrange(37)}"]},
    ])


def _app_selector(apps, rnd):
    chosen = rnd.choice(apps)
    return rnd.choice([{"matchLabels": {"app": chosen["app"]}},
                       {"matchLabels": {"kind": chosen["kind"]}},
                       {"matchExpressions": [{"key": "track", "operator": "NotIn", "values": ["canary"]}]},
                       {"matchExpressions": [{"key": "kind", "operator": "In",
                                              "values": rnd.sample(KINDS, 2)}]}])


def _v_default_deny(i, ns, apps, rnd):
    return _np(i, ns, {"podSelector": {}, "policyTypes": ["Ingress"]})


def _v_ns_expressions(i, ns, apps, rnd):
    return _np(i, ns, {"podSelector": _app_selector(apps, rnd), "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [_ns_expression(rnd)]}}],
                                    "ports": [_range(rnd) for _ in range(rnd.randint(1, 3))]}]})


def _v_named_ports(i, ns, apps, rnd):
    return _np(i, ns, {"podSelector": _app_selector(apps, rnd), "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"podSelector": _app_selector(apps, rnd)},
                                             {"namespaceSelector": {"matchExpressions": [_ns_expression(rnd)]},
                                              "podSelector": {"matchLabels": {"kind": rnd.choice(KINDS)}}}],
                                    "ports": [{"port": pn} for pn in rnd.sample(PORT_NAMES, 2)]}]})


def _v_ipblock_except(i, ns, apps, rnd):
    base = ipaddress.ip_network(f"172.{16 + rnd.randrange(16)}.0.0/16")
    holes = sorted({str(s) for s in rnd.sample(list(base.subnets(new_prefix=24)), rnd.randint(1, 3))})
    return _np(i, ns, {"podSelector": _app_selector(apps, rnd), "policyTypes": ["Egress"],
                       "egress": [{"to": [{"ipBlock": {"cidr": str(base), "except": holes}}],
                                   "ports": [_range(rnd)]},
                                  {"to": [{"podSelector": {}}]}]})


def _v_dns(i, ns, apps, rnd):
    return _np(i, ns, {"podSelector": _app_selector(apps, rnd), "policyTypes": ["Egress"],
                       "egress": [{"to": [{"namespaceSelector": {"matchExpressions": [_ns_expression(rnd)]}}],
                                   "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                                  {"to": [{"podSelector": _app_selector(apps, rnd)}], "ports": [_range(rnd)]}]})


def _v_mixed(i, ns, apps, rnd):
    return _np(i, ns, {"podSelector": _app_selector(apps, rnd), "policyTypes": ["Ingress", "Egress"],
                       "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"env": rnd.choice(ENVS)}},
                                              "podSelector": _app_selector(apps, rnd)}],
                                    "ports": [_range(rnd), {"protocol": "UDP", "port": rnd.randrange(1, 1024)}]}],
                       "egress": [{"to": [{"namespaceSelector": {}}]},
                                  {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]})


def antrea_extras(nss):
    teams = sorted({ns["metadata"]["labels"]["team"] for ns in nss})
    objs = [{"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterGroup", "metadata": {"name": f"team-{t}"},
             "spec": {"namespaceSelector": {"matchLabels": {"team": t}}}} for t in teams]
    objs.append({"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy",
                 "metadata": {"name": "env-isolation"},
                 "spec": {"tier": "securityops", "priority": 5, "appliedTo": [{"namespaceSelector": {}}],
                          "ingress": [{"action": "Pass", "from": [{"namespaces": {"sameLabels": ["env"]}}]},
                                      {"action": "Drop", "from": [{"namespaceSelector": {}}]}]}})
    objs.append({"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy",
                 "metadata": {"name": "dns-through-kube-dns"},
                 "spec": {"tier": "securityops", "priority": 1, "appliedTo": [{"namespaceSelector": {}}],
                          "egress": [{"action": "Allow", "toServices": [{"name": "kube-dns",
                                                                          "namespace": "kube-system"}]},
                                     {"action": "Drop", "to": [{"namespaceSelector": {
                                         "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]}]}})
    objs.append({"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy",
                 "metadata": {"name": "baseline-deny"},
                 "spec": {"tier": "baseline", "priority": 100, "appliedTo": [{"group": f"team-{teams[0]}"}],
                          "ingress": [{"action": "Drop"}]}})
    return objs


def calico_extras():
    return [{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "deny-ml-to-payments"},
             "spec": {"order": 10, "selector": "team == 'payments'", "types": ["Ingress"],
                      "ingress": [{"action": "Deny", "source": {"namespaceSelector": "team == 'ml'"}},
                                  {"action": "Pass"}]}}]


def calico_heavy(nss: list[dict], count: int, seed: int) -> list[dict]:
    """``count`` Calico policies whose rules use EntityRules and L4 criteria (selector,
    notSelector, namespaceSelector, nets, notNets, ports incl. named ones, notPorts, protocol,
    notProtocol, ICMP) in a tier: what the matrix evaluates through ``engine/conditionvec.py``."""
    rnd = random.Random(seed + 7)
    out: list[dict] = [{"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "platform"},
                        "spec": {"order": 50}}]
    for i in range(count):
        kind = rnd.choice(KINDS)
        ns = rnd.choice(nss)["metadata"]["name"]

        def side(peer: bool) -> dict:
            e: dict = {}
            if peer and rnd.random() < 0.7:
                e["selector"] = rnd.choice([f"kind == '{rnd.choice(KINDS)}'", "track == 'stable'",
                                            f"owner in {{'u{rnd.randrange(20)}', 'u{rnd.randrange(20)}'}}", "all()"])
            if peer and rnd.random() < 0.3:
                e["namespaceSelector"] = rnd.choice([f"team == 'team{rnd.randrange(37)}'", "env == 'prod'",
                                                     "has(compliance)"])
            if rnd.random() < 0.2:
                e["notSelector"] = "track == 'canary'"
            if rnd.random() < 0.2:
                e["nets"] = [f"10.{128 + rnd.randrange(2)}.{rnd.randrange(64)}.0/{rnd.choice([18, 20, 24])}"]
            if rnd.random() < 0.1:
                e["notNets"] = [f"10.128.{rnd.randrange(64)}.0/26"]
            return e

        rules = []
        for _ in range(rnd.randint(1, 4)):
            rule: dict = {"action": rnd.choice(["Allow", "Allow", "Deny", "Pass"])}
            proto = rnd.choice(["TCP", "TCP", "UDP", "ICMP", None])
            if proto:
                rule["protocol"] = proto
            elif rnd.random() < 0.5:
                rule["notProtocol"] = "UDP"
            src, dst = side(True), side(False)
            if proto in ("TCP", "UDP"):
                dst[rnd.choice(["ports", "ports", "notPorts"])] = rnd.sample(
                    [80, 443, 8080, "9090:9099", "3000:3040", "http", "grpc", "metrics"], rnd.randint(1, 3))
            if proto == "ICMP" and rnd.random() < 0.5:
                rule["icmp"] = {"type": 8}
            if src:
                rule["source"] = src
            if dst:
                rule["destination"] = dst
            rules.append(rule)
        spec = {"tier": "platform", "order": rnd.randrange(1000), "selector": f"kind == '{kind}'",
                "types": ["Ingress"], "ingress": rules}
        if rnd.random() < 0.5:
            out.append({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                        "metadata": {"name": f"platform.c{i}", "namespace": ns}, "spec": spec})
        else:
            out.append({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                        "metadata": {"name": f"platform.g{i}"}, "spec": spec})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--policies", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--antrea", action="store_true")
    ap.add_argument("--calico", action="store_true")
    ap.add_argument("--calico-policies", type=int, default=0,
                    help="also write calico-heavy.yaml: that many Calico policies with EntityRule / L4 conditions")
    ap.add_argument("--shape", choices=["classic", "varied"], default="classic",
                    help="classic: the first generator; varied: 40-60 pods/namespace, Deployments, endPort "
                         "ranges, named ports, matchExpressions, ipBlock except (--namespaces is ignored)")
    ap.add_argument("--no-deployments", action="store_true",
                    help="varied shape: only Pods (for tools that do not expand Deployments the same way)")
    args = ap.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    if args.shape == "varied":
        nss, pods, pols = generate_varied(args.pods, args.policies, args.seed, not args.no_deployments)
    else:
        nss, pods, pols = generate(args.pods, args.namespaces, args.policies, args.seed)
    dump = lambda name, objs: (out / name).write_text(yaml.dump_all(objs, Dumper=yaml.CSafeDumper, sort_keys=False))  # noqa: E731
    dump("namespaces.yaml", nss)
    dump("pods.yaml", pods)
    dump("policies.yaml", pols)
    if args.shape == "varied":
        dump("services.yaml", varied_services(pods, args.seed))
    if args.antrea:
        dump("antrea.yaml", antrea_extras(nss))
    if args.calico:
        dump("calico.yaml", calico_extras())
    if args.calico_policies:
        dump("calico-heavy.yaml", calico_heavy(nss, args.calico_policies, args.seed))


if __name__ == "__main__":
    main()
