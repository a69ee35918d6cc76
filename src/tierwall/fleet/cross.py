"""Cross-cluster reach, first step: a flow from a pod of cluster A to a pod, Service or node of
cluster B, traced as egress at A and ingress at B.

Fleet tests name such ends ``CLUSTER/NAMESPACE/POD``, ``CLUSTER/service/NAMESPACE/NAME`` or
``CLUSTER/node/NAME``; a source without a cluster is the pod in each cluster that runs the
group's test. The check runs in two rounds over the same executor:

1. every cluster's own check also resolves the ends other clusters' cases name in it (pod
   addresses, the address of the pod's node, a Service's endpoints and target ports);
2. each cluster involved traces its halves: at A the egress of the source pod towards B's
   address (outside A), at B the ingress of B's pod from A's address as B sees it — the
   source pod's node address when A SNATs traffic leaving the cluster (Antrea's default,
   ``noSNAT: false`` in antrea-agent.conf), the pod's own address when the Fleet says
   ``snat: false`` (routed pod networks).

A Service of B stands for its endpoints (as a multi-cluster Service import routes to them): one
flow per endpoint, after B's targetPort translation. A node of B has no ingress half (pod
policies do not apply to host traffic). The verdict is the egress verdict when A drops or
rejects, else B's ingress verdict. Limits (docs/fleet.md): no gateway or NodePort/LoadBalancer
path is modelled, and the source must be a pod.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..cluster import load_cluster
from ..engine import Endpoint, Flow, Request, endpoint_for_ip, resolve_flows, trace_flow
from ..errors import Diagnostics, UsageError
from ..expect import Case, parse_tests, resolve_sources
from ..expect.spec import EndpointSpec
from ..load import RawObject
from .assemble import assemble
from .guard import guarded, reported

if TYPE_CHECKING:
    from .plan import ClusterJob

PLACEHOLDER_IP = "192.0.2.1"
"""Stands in for a node end while the rest of a case is validated (TEST-NET-1; never traced)."""


def split(value, clusters: set[str]) -> tuple[str, str] | None:
    """``(cluster, end in that cluster)`` for a cluster-qualified end, else ``None``."""
    if isinstance(value, dict) and set(value) == {"pod"}:
        value = value["pod"]
    if not isinstance(value, str):
        return None
    parts = value.split("/")
    if len(parts) < 3 or parts[0] not in clusters or not all(parts):
        return None
    rest = parts[1:]
    if rest[0] == "service" and len(rest) == 3:
        return parts[0], "/".join(rest)
    if rest[0] == "node" and len(rest) == 2:
        return parts[0], "/".join(rest)
    if len(rest) == 2:
        return parts[0], "/".join(rest)
    return None


def is_cross(entry, clusters: set[str]) -> bool:
    return isinstance(entry, dict) and (split(entry.get("to"), clusters) is not None or
                                        split(entry.get("from"), clusters) is not None)


def _local_form(text: str) -> str:
    return PLACEHOLDER_IP if text.startswith("node/") else text


@dataclass(frozen=True)
class CrossCase:
    case: Case
    """The case with both ends in their local form (its port, protocol, expect, name, origin)."""
    src_cluster: str | None
    src: str
    dst_cluster: str
    dst: str


def parse_cross(raws: list[RawObject], clusters: set[str], diags: Diagnostics) -> list[CrossCase]:
    """The cross-cluster cases of ``raws`` (the other cases are ``parse_tests``' business)."""

    def select(entry):
        if not is_cross(entry, clusters):
            return None
        local = dict(entry)
        for key in ("from", "to"):
            s = split(entry.get(key), clusters)
            if s is not None:
                local[key] = _local_form(s[1])
        return local

    out: list[CrossCase] = []
    for raw in raws:
        entries = (raw.data.get("spec") or {}).get("cases") if isinstance(raw.data.get("spec"), dict) else None
        if not isinstance(entries, list):
            continue
        for case in parse_tests([raw], Diagnostics(), select):
            entry = entries[int(re.search(r"\[(\d+)\]$", case.origin.field).group(1))]
            src, dst = split(entry.get("from"), clusters), split(entry.get("to"), clusters)
            if dst is None:
                diags.error(case.origin.at(case.origin.field + ".to", case.origin.line),
                            "the destination of a cross-cluster case names its cluster (CLUSTER/NAMESPACE/POD, "
                            "CLUSTER/service/NAMESPACE/NAME or CLUSTER/node/NAME)", "TW115")
                continue
            src_text = src[1] if src else entry.get("from")
            if not isinstance(src_text, str) or src_text.count("/") != 1 or src_text.startswith(("service/", "node/")):
                diags.error(case.origin.at(case.origin.field + ".from", case.origin.line),
                            "the source of a cross-cluster case is a pod: NAMESPACE/POD or CLUSTER/NAMESPACE/POD",
                            "TW115")
                continue
            out.append(CrossCase(case, src[0] if src else None, src_text, dst[0], dst[1]))
    parse_tests(raws, diags, select)  # report the other fields' errors at their lines
    return out


@dataclass
class Instance:
    """One cross case run from one source cluster."""

    cross: CrossCase
    src_cluster: str
    flows: list[dict] = field(default_factory=list)


def lookups_for(instances: list[Instance]) -> dict[str, set[tuple]]:
    """Cluster → the ends to resolve there: (text, protocol, port)."""
    out: dict[str, set[tuple]] = {}
    for inst in instances:
        c = inst.cross
        out.setdefault(inst.src_cluster, set()).add((c.src, c.case.protocol, None))
        out.setdefault(c.dst_cluster, set()).add((c.dst, c.case.protocol, c.case.port))
    return out


def resolve(cluster, text: str, protocol: str, port) -> dict:
    """One end of a cross-cluster flow as this cluster knows it (plain data)."""
    cc = cluster.compiled
    inv = cluster.inventory
    try:
        if text.startswith("node/"):
            node = inv.nodes.get(text[len("node/"):])
            if node is None or not node.addresses:
                raise UsageError(f"node {text[5:]} is not in the input (or has no address)")
            return {"ends": [{"label": f"node/{node.name}", "ip": node.addresses[0], "pod": None,
                              "port": port if not isinstance(port, str) else None}]}
        if text.startswith("service/"):
            svc = inv.service(text[len("service/"):])
            if svc is None:
                raise UsageError(f"Service {text[8:]} is not in the input")
            flows, _ = resolve_flows(inv, Request(Endpoint("0.0.0.0"), None, svc, protocol, port))
            if not flows:
                raise UsageError(f"Service {svc.key} has no endpoints")
            return {"ends": [_end(inv, f.dst, f.port) for f in flows]}
        [ep] = resolve_sources(cc, EndpointSpec(pod=text, text=text))
        named = ep.pod.named_port(port, protocol) if isinstance(port, str) else port
        if isinstance(port, str) and named is None:
            raise UsageError(f"{ep.pod.key} declares no {protocol} port named {port!r}")
        return {"ends": [_end(inv, ep, named)]}
    except UsageError as exc:
        return {"error": str(exc)}


def _end(inv, ep: Endpoint, port) -> dict:
    return {"label": ep.label, "ip": ep.ip, "pod": ep.pod.key if ep.pod is not None else None,
            "nodeIp": inv.node_address(ep.node_name) if ep.node_name else "", "port": port}


def halves_job(item: tuple[ClusterJob, list[dict]]) -> dict:
    """Trace this cluster's halves of cross-cluster flows; never raises."""
    job, halves = item
    diags = Diagnostics()
    out: dict = {"cluster": job.cluster.name, "halves": {}, "diagnostics": []}

    def body() -> None:
        asm = assemble(job.cluster, list(job.bundles), diags, job.others)
        cluster = load_cluster([], job.cluster.cni, diags=diags, extra=asm.effective)
        diags.raise_if_errors()
        for half in halves:
            out["halves"][half["id"]] = trace_half(cluster, half)

    guarded(job.cluster.origin, diags, body)
    out["diagnostics"] = reported(diags)
    return out


def trace_half(cluster, half: dict) -> dict:
    """The egress side at the source pod (towards an address outside this cluster), or the
    ingress side at the destination pod (from an address outside it)."""
    cc = cluster.compiled
    icmp = (8, 0) if half["protocol"] == "ICMP" else (None, None)
    port = half["port"] if half["protocol"] != "ICMP" else None
    if half["side"] == "full":  # both ends in this cluster: an ordinary trace
        [src] = resolve_sources(cc, EndpointSpec(pod=half["pod"], text=half["pod"]))
        path = trace_flow(cc, Flow(src, endpoint_for_ip(cc.inv, half["remote"]), half["protocol"], port, None,
                                   *icmp))
        return {"verdict": path.verdict.value, "decidedBy": path.decision.to_dict(), "trace": path.to_dict()}
    if half["side"] == "egress":
        [src] = resolve_sources(cc, EndpointSpec(pod=half["pod"], text=half["pod"]))
        flow = Flow(src, Endpoint(half["remote"]), half["protocol"], port, None, *icmp)
        side = trace_flow(cc, flow).egress
    else:
        [dst] = resolve_sources(cc, EndpointSpec(pod=half["pod"], text=half["pod"]))
        flow = Flow(Endpoint(half["remote"]), dst, half["protocol"], port, None, *icmp)
        side = trace_flow(cc, flow).ingress
    return {"verdict": side.decision.verdict.value, "decidedBy": side.decision.to_dict(),
            "trace": side.to_dict()}


def lookup_key(text: str, protocol: str, port) -> str:
    return f"{text}|{protocol}|{'' if port is None else port}"


def resolve_all(cluster, lookups) -> dict:
    return {lookup_key(*key): resolve(cluster, *key) for key in lookups}


def instances(plan, jobs: list[ClusterJob]) -> list[Instance]:
    """Every cross case of every job's groups, from the cluster that runs it."""
    out: list[Instance] = []
    seen = set()
    for job in jobs:
        for group in job.groups:
            for cc in plan.cross.get(group, ()):
                src = cc.src_cluster or job.cluster.name
                if src != job.cluster.name or (id(cc), src) in seen:
                    continue
                seen.add((id(cc), src))
                out.append(Instance(cc, src))
    return out


def evaluate(plan, jobs: list[ClusterJob], results: list[dict], executor: str, run_map) -> None:
    """Round two: trace every instance's halves where they run and add the cases to the
    source cluster's results (``results`` is updated in place)."""
    todo = instances(plan, jobs)
    if not todo:
        return
    by_name = {r["cluster"]: r for r in results}
    need = lookups_for(todo)
    missing = [plan.job(plan.fleet.cluster(n)) for n in need if n not in by_name]
    extra = {r["cluster"]: r for r in run_map(lookup_job, [(j, tuple(need[j.cluster.name])) for j in missing],
                                              executor)}
    addresses = {n: (by_name.get(n) or extra[n]).get("addresses", {}) for n in need}
    halves: dict[str, list[dict]] = {}
    for i, inst in enumerate(todo):
        _plan_halves(plan, i, inst, addresses, halves)
    jobs_by = {j.cluster.name: j for j in jobs + missing}
    traced = run_map(halves_job, [(jobs_by[n], hs) for n, hs in halves.items()], executor)
    done = {}
    for t in traced:
        for hid, value in t["halves"].items():
            done[hid] = value
        for d in t["diagnostics"]:
            if d["severity"] == "error":
                done.setdefault(f"error:{t['cluster']}", d)
    for inst in todo:
        _attach(by_name[inst.src_cluster], inst, done, plan)
    for r in results:
        r.pop("addresses", None)


def lookup_job(item) -> dict:
    """Only resolve ends (a cluster not being checked that other clusters' cases name)."""
    job, lookups = item
    diags = Diagnostics()
    out: dict = {"cluster": job.cluster.name, "addresses": {}}

    def body() -> None:
        asm = assemble(job.cluster, list(job.bundles), diags, job.others)
        out["addresses"] = resolve_all(load_cluster([], job.cluster.cni, diags=diags, extra=asm.effective), lookups)

    if not guarded(job.cluster.origin, diags, body):
        message = next((d["message"] for d in reported(diags) if d["severity"] == "error"), "input is not usable")
        out["addresses"] = {lookup_key(*k): {"error": f"cluster {job.cluster.name}: {message}"} for k in lookups}
    return out


def _plan_halves(plan, i: int, inst: Instance, addresses: dict, halves: dict) -> None:
    c = inst.cross
    proto = c.case.protocol
    src = addresses.get(inst.src_cluster, {}).get(lookup_key(c.src, proto, None)) or \
        {"error": f"cluster {inst.src_cluster} could not be read"}
    dst = addresses.get(c.dst_cluster, {}).get(lookup_key(c.dst, proto, c.case.port)) or \
        {"error": f"cluster {c.dst_cluster} could not be read"}
    if "error" in src or "error" in dst:
        inst.flows.append({"error": src.get("error") or f"{c.dst_cluster}: {dst['error']}"})
        return
    s = src["ends"][0]
    snat = plan.fleet.cluster(inst.src_cluster).snat
    for j, e in enumerate(dst["ends"]):
        hid = f"{i}.{j}"
        flow = {"id": hid, "from": f"{inst.src_cluster}/{s['label']}", "to": f"{c.dst_cluster}/{e['label']}",
                "port": e["port"], "seenAs": None}
        if inst.src_cluster == c.dst_cluster:
            halves.setdefault(inst.src_cluster, []).append(
                {"id": hid + "f", "side": "full", "pod": s["pod"], "remote": e["ip"], "protocol": proto,
                 "port": e["port"]})
            inst.flows.append(flow | {"halves": [hid + "f"]})
            continue
        ids = [hid + "e"]
        halves.setdefault(inst.src_cluster, []).append(
            {"id": hid + "e", "side": "egress", "pod": s["pod"], "remote": e["ip"], "protocol": proto,
             "port": e["port"]})
        if e["pod"] is not None:
            seen_as = s["nodeIp"] if snat and s["nodeIp"] else s["ip"]
            flow["seenAs"] = seen_as
            ids.append(hid + "i")
            halves.setdefault(c.dst_cluster, []).append(
                {"id": hid + "i", "side": "ingress", "pod": e["pod"], "remote": seen_as, "protocol": proto,
                 "port": e["port"]})
        inst.flows.append(flow | {"halves": ids})


def _attach(result: dict, inst: Instance, done: dict, plan, keep_all: bool = False) -> None:
    c = inst.cross
    case = c.case
    entry = {"name": case.name, "test": case.test, "expect": case.expect, "origin": case.origin.to_dict(),
             "crossCluster": {"from": inst.src_cluster, "to": c.dst_cluster}, "pairs": 0, "failedPairs": 0,
             "passed": True, "failures": []}
    for flow in inst.flows:
        if "error" in flow:
            result["diagnostics"].append({"severity": "error", "code": "TW120",
                                          "message": f"case {case.name!r}: {flow['error']}",
                                          "origin": case.origin.to_dict()})
            result["status"] = "error"
            continue
        sides = [done.get(h) for h in flow["halves"]]
        if any(s is None for s in sides):
            cluster = c.dst_cluster if sides[0] is not None else inst.src_cluster
            d = done.get(f"error:{cluster}")
            result["diagnostics"].append({"severity": "error", "code": "TW120", "origin": case.origin.to_dict(),
                                          "message": f"case {case.name!r}: cluster {cluster} could not be traced"
                                                     + (f": {d['message']}" if d else "")})
            result["status"] = "error"
            continue
        decided = sides[0]
        if len(sides) == 2 and sides[0]["verdict"] == "Allow":
            # both allow: name the rule that let it through, ingress first (as trace does)
            rule_sides = [x for x in (sides[1], sides[0]) if x["decidedBy"]["kind"] == "rule"]
            decided = rule_sides[0] if sides[1]["verdict"] == "Allow" and rule_sides else sides[1]
        verdict = decided["verdict"]
        pair = {"name": case.name, "test": case.test, "from": flow["from"], "to": flow["to"], "port": flow["port"],
                "protocol": case.protocol, "expect": case.expect, "verdict": verdict,
                "passed": verdict == case.expect,
                "decidedBy": dict(decided["decidedBy"],
                                  cluster=inst.src_cluster if decided is sides[0] else c.dst_cluster),
                "seenAtDestinationAs": flow["seenAs"],
                "sides": [dict(s["trace"], cluster=n) for s, n in zip(sides, (inst.src_cluster, c.dst_cluster))],
                "caseOrigin": case.origin.to_dict()}
        entry["pairs"] += 1
        if keep_all:
            entry.setdefault("results", []).append(pair)
        if not pair["passed"]:
            entry["failedPairs"] += 1
            entry["passed"] = False
            entry["failures"].append(pair)
    result["cases"].append(entry)
    if result["status"] == "passed" and not entry["passed"]:
        result["status"] = "failed"


def trace_cross(plan, src: str, dst: str, protocol: str = "TCP", port=None, executor: str = "serial",
                run_map=None) -> dict:
    """One cross-cluster flow (``A/ns/pod`` to ``B/ns/pod``, ``B/service/ns/name`` or
    ``B/node/name``), traced as egress at A and ingress at B: every pair with both sides.
    ``port`` and ``protocol`` as the user wrote them (numeric text is a number; the case's
    reader checks both, after the endpoints)."""
    import yaml

    from ..load import load_text
    names = {c.name for c in plan.fleet.clusters}
    if split(src, names) is None:
        raise UsageError(f"--from {src!r}: give CLUSTER/NAMESPACE/POD with a cluster of fleet {plan.fleet.name}")
    if split(dst, names) is None:
        raise UsageError(f"--to {dst!r}: give CLUSTER/NAMESPACE/POD, CLUSTER/service/NAMESPACE/NAME or "
                         f"CLUSTER/node/NAME with a cluster of fleet {plan.fleet.name}")
    port = int(port) if isinstance(port, str) and port.isdigit() else port
    entry = {"name": f"{src} -> {dst}", "from": src, "to": dst, "protocol": str(protocol).upper(), "expect": "Allow"}
    if port is not None:
        entry["port"] = port
    doc = {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": "trace"},
           "spec": {"cases": [entry]}}
    diags = Diagnostics()
    raws = load_text(yaml.safe_dump(doc), "<command line>", diags)
    crosses = parse_cross(raws, names, diags)
    if diags.has_errors() or not crosses:
        raise UsageError("; ".join(d.message for d in diags.errors) or "not a cross-cluster flow")
    inst = Instance(crosses[0], split(src, names)[0])
    need = lookups_for([inst])
    jobs = {n: plan.job(plan.fleet.cluster(n)) for n in need}
    looked = {r["cluster"]: r["addresses"] for r in run_map(lookup_job, [(jobs[n], tuple(need[n])) for n in need],
                                                             executor)}
    halves: dict[str, list[dict]] = {}
    _plan_halves(plan, 0, inst, looked, halves)
    done: dict = {}
    for t in run_map(halves_job, [(jobs[n], hs) for n, hs in halves.items()], executor):
        done.update(t["halves"])
        for d in t["diagnostics"]:
            if d["severity"] == "error":
                done.setdefault(f"error:{t['cluster']}", d)
    result = {"cluster": inst.src_cluster, "status": "passed", "cases": [], "diagnostics": []}
    _attach(result, inst, done, plan, keep_all=True)
    [case] = result["cases"]
    return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "FleetTrace", "from": src, "to": dst,
            "protocol": protocol, "port": port, "pairs": case.get("results", []),
            "diagnostics": result["diagnostics"]}
