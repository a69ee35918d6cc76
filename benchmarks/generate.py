#!/usr/bin/env python3
"""Deterministic cluster generator for benchmarks (seeded; same arguments → same files).

    python benchmarks/generate.py --pods 10000 --namespaces 500 --policies 2000 --seed 1 OUTDIR
    python benchmarks/generate.py --pods 2000 --namespaces 100 --policies 400 --antrea --calico OUTDIR

Writes OUTDIR/namespaces.yaml, OUTDIR/pods.yaml and OUTDIR/policies.yaml (plus
OUTDIR/antrea.yaml / calico.yaml with the options). Clusters look like real ones: teams own
namespaces, namespaces hold a few workloads of replicated pods with app/tier/team labels and
named container ports; NetworkPolicies follow the usual patterns: default-deny, allow from a
team's namespaces, app-tier microsegmentation (web → api → db), DNS egress, ipBlock egress to
an on-premises network (ipBlocks name external addresses, as the API intends: see compare_nca.py).
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
                 "metadata": {"name": "baseline-deny"},
                 "spec": {"tier": "baseline", "priority": 100, "appliedTo": [{"group": f"team-{teams[0]}"}],
                          "ingress": [{"action": "Drop"}]}})
    return objs


def calico_extras():
    return [{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "deny-ml-to-payments"},
             "spec": {"order": 10, "selector": "team == 'payments'", "types": ["Ingress"],
                      "ingress": [{"action": "Deny", "source": {"namespaceSelector": "team == 'ml'"}},
                                  {"action": "Pass"}]}}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--policies", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--antrea", action="store_true")
    ap.add_argument("--calico", action="store_true")
    args = ap.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    nss, pods, pols = generate(args.pods, args.namespaces, args.policies, args.seed)
    dump = lambda name, objs: (out / name).write_text(yaml.dump_all(objs, Dumper=yaml.CSafeDumper, sort_keys=False))  # noqa: E731
    dump("namespaces.yaml", nss)
    dump("pods.yaml", pods)
    dump("policies.yaml", pols)
    if args.antrea:
        dump("antrea.yaml", antrea_extras(nss))
    if args.calico:
        dump("calico.yaml", calico_extras())


if __name__ == "__main__":
    main()
