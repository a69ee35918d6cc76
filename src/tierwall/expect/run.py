"""Run ConnectivityTest cases through ``trace`` and collect pass/fail results.

Selector endpoints and Service destinations fan out: one result per concrete pair, all with
the case's name; the case passes only when every one of them has the expected verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine import (CompiledCluster, Decision, Endpoint, PathTrace, Request, endpoint_for_ip, endpoint_for_pod,
                      trace)
from ..engine.result import stage_label
from ..errors import Diagnostics, UsageError, did_you_mean
from ..inventory import Inventory, Service
from .spec import Case, EndpointSpec

REPORT_FORMAT = "tierwall.dev/v1alpha1"


@dataclass
class CaseResult:
    case: Case
    src: str
    dst: str
    port: int | str | None
    verdict: str
    decision: Decision
    path: PathTrace | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == self.case.expect

    def to_dict(self) -> dict:
        d = self.decision
        policy = d.policy
        return {
            "name": self.case.name, "test": self.case.test, "from": self.src, "to": self.dst,
            "port": self.port, "protocol": self.case.protocol, "expect": self.case.expect,
            "verdict": self.verdict, "passed": self.passed,
            "decidedBy": {
                "side": d.side, "tier": stage_label(d.stage), "kind": d.kind,
                "policy": policy.ref if policy else None,
                "rule": {"index": d.rule.index, "name": d.rule.name or None} if d.rule else None,
                "origin": (d.rule.origin.to_dict() if d.rule else policy.origin.to_dict() if policy else None),
                "explanation": d.explanation,
            },
            "caseOrigin": self.case.origin.to_dict(),
        }


@dataclass
class CheckReport:
    cni: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict:
        return {"apiVersion": REPORT_FORMAT, "kind": "CheckReport", "cni": self.cni,
                "summary": {"total": len(self.results), "passed": len(self.results) - len(self.failed),
                            "failed": len(self.failed)},
                "results": [r.to_dict() for r in self.results]}


def run_cases(cc: CompiledCluster, cases: list[Case], diags: Diagnostics) -> CheckReport:
    """Evaluate every case; unresolvable endpoints become error diagnostics (exit 2)."""
    report = CheckReport(cc.model.cni)
    for case in cases:
        try:
            sources = resolve_sources(cc, case.src)
            target = resolve_destinations(cc, case.dst)
        except UsageError as exc:
            diags.error(case.origin, f"case {case.name!r}: {exc}", "TW120")
            continue
        for src in sources:
            for dst in target:
                try:
                    _run_pair(cc, case, src, dst, report)
                except UsageError as exc:
                    diags.error(case.origin, f"case {case.name!r}: {exc}", "TW120")
    return report


def _run_pair(cc: CompiledCluster, case: Case, src: Endpoint, dst: Endpoint | Service, report: CheckReport) -> None:
    service = dst if isinstance(dst, Service) else None
    req = Request(src, None if service else dst, service, case.protocol, case.port, case.source_port,
                  case.icmp_type, case.icmp_code)
    result = trace(cc, req)
    if result.special is not None:
        label = f"service/{service.key}" if service else str(dst)
        report.results.append(CaseResult(case, src.label, label, case.port, result.special.verdict.value,
                                         result.special))
        return
    for path in result.paths:
        dst_label = path.flow.dst.label
        if service is not None:
            dst_label = f"service/{service.key} → {dst_label}"
        port = path.flow.port if case.protocol != "ICMP" else None
        report.results.append(CaseResult(case, src.label, dst_label, port, path.verdict.value, path.decision, path))


def _selector_pods(cc: CompiledCluster, spec: EndpointSpec) -> list[Endpoint]:
    inv = cc.inv
    out = []
    for pod in inv.pods:
        if not pod.ips:
            continue
        if spec.namespace_selector is not None and not spec.namespace_selector.matches(
                inv.namespace_labels(pod.namespace)):
            continue
        if spec.pod_selector is not None and not spec.pod_selector.matches(pod.labels):
            continue
        out.append(endpoint_for_pod(inv, pod))
    if not out:
        raise UsageError(f"selector {spec.text} matches no pod")
    return out


def _pod(cc: CompiledCluster, key: str) -> Endpoint:
    pod = cc.inv.pod(key)
    if pod is None:
        group = cc.inv.workloads.get(key)
        if group:
            pod = group[0]
        else:
            raise UsageError(unknown_pod(cc.inv, key))
    if not pod.ips:
        raise UsageError(f"pod {key} has no IP")
    return endpoint_for_pod(cc.inv, pod)


def unknown_namespace(inv: Inventory, namespace: str) -> str:
    return f"namespace {namespace} is not in the input{did_you_mean(namespace, inv.namespaces)}"


def unknown_pod(inv: Inventory, key: str) -> str:
    """Why ``key`` names no pod, with the closest pod (or namespace) names."""
    ns, _, name = key.partition("/")
    keys = [p.key for p in inv.pods] + list(inv.workloads)
    if ns not in inv.namespaces:
        # a misspelt namespace: the same pod name in the namespaces it resembles, else the namespaces
        import difflib
        near = difflib.get_close_matches(ns, list(inv.namespaces), n=3, cutoff=0.6)
        same = [f"{n}/{name}" for n in near if f"{n}/{name}" in keys]
        hint = f" (did you mean {' or '.join(same)}?)" if same else did_you_mean(ns, inv.namespaces)
        return f"pod {key} is not in the input: namespace {ns} does not exist{hint}"
    local = [k.partition("/")[2] for k in keys if k.startswith(ns + "/")]
    hint = did_you_mean(name, local)
    if hint:
        hint = hint.replace("did you mean ", f"did you mean {ns}/").replace(" or ", f" or {ns}/")
    return f"pod {key} is not in the input{hint or did_you_mean(key, keys)}"


def qualify_endpoint(inv: Inventory, text: str, namespace: str | None = None, all_namespaces: bool = False) -> str:
    """``text`` with its namespace filled in, as kubectl's ``-n``/``-A`` do for a bare name.

    ``web-0`` → ``<namespace>/web-0`` (``default`` when none is given); with ``all_namespaces``
    the one namespace holding a pod (or workload) of that name, an error naming them all when
    several do. ``service/NAME`` gets the namespace too. IPs and ``ns/name`` stay as they are.
    """
    service = text.startswith("service/")
    rest = text[len("service/"):] if service else text
    if "/" in rest or not rest or _is_ip(rest):
        return text
    if all_namespaces:
        names = [p.key for p in inv.pods] + list(inv.workloads)
        if service:
            names = list(inv.services)
        hits = sorted({k for k in names if k.partition("/")[2] == rest})
        if not hits:
            what = "Service" if service else "pod"
            raise UsageError(f"no {what} named {rest} in any namespace{did_you_mean(rest, [k.partition('/')[2] for k in names])}")
        if len(hits) > 1:
            raise UsageError(f"{rest} is in several namespaces: {', '.join(hits)}; name one (-n NAMESPACE or ns/{rest})")
        return ("service/" if service else "") + hits[0]
    return ("service/" if service else "") + f"{namespace or 'default'}/{rest}"


def _is_ip(text: str) -> bool:
    import ipaddress
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def unknown_service(inv: Inventory, key: str) -> str:
    return f"Service {key} is not in the input{did_you_mean(key, inv.services)}"


def resolve_sources(cc: CompiledCluster, spec: EndpointSpec) -> list[Endpoint]:
    if spec.pod:
        return [_pod(cc, spec.pod)]
    if spec.ip:
        return [endpoint_for_ip(cc.inv, spec.ip)]
    if spec.service:
        raise UsageError("a Service cannot be the source of a flow")
    return _selector_pods(cc, spec)


def resolve_destinations(cc: CompiledCluster, spec: EndpointSpec) -> list[Endpoint | Service]:
    if spec.service:
        svc = cc.inv.service(spec.service)
        if svc is None:
            raise UsageError(unknown_service(cc.inv, spec.service))
        return [svc]
    if spec.ip:
        svc = cc.inv.service_by_ip(spec.ip)
        return [svc] if svc is not None else [endpoint_for_ip(cc.inv, spec.ip)]
    return resolve_sources(cc, spec)
