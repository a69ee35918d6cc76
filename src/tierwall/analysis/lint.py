"""``lint``: what the API server or a CNI's webhook would refuse (errors), and what is accepted
but almost certainly wrong (warnings), each with a stable code, an origin and a hint.

Errors are the validation diagnostics every dialect already produces while lowering.
Warnings come from analysing the compiled model, mostly through the matrix engine's walk
(``engine.matrix.Tracker``): a rule that matched flows but decided none was shadowed by the
rules that took those flows first — in its own tier, or in an earlier one (whose persona then
wins) — and a NetworkPolicy no flow reaches is decided entirely in earlier tiers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cluster import Cluster
from ..dialects import VIEW_LABEL_PREFIXES, policy_kinds_checked
from ..engine import Flow, endpoint_for_pod, service_endpoints, trace_flow
from ..engine.matrix import Tracker, compute_matrix
from ..engine.outside import outside_endpoints
from ..errors import Severity
from ..expect import parse_tests
from ..model import Action, Direction, PodPeer, Rule, Verdict, flatten_peers
from ..origin import Origin
from ..selectors.calico import Node, labels_used
from .codes import CHECKS


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning
    message: str
    origin: Origin
    hint: str = ""
    rule: tuple[int, str] | None = None

    def to_dict(self) -> dict:
        out = {"code": self.code, "severity": self.severity, "title": CHECKS.get(self.code, ("", "", ""))[0],
               "message": self.message, "origin": self.origin.to_dict(), "hint": self.hint}
        if self.rule is not None:
            out["rule"] = {"index": self.rule[0], "name": self.rule[1] or None}
        return out


PERSONAS = {"emergency": "security team", "securityops": "security team", "networkops": "network team",
            "platform": "platform team", "application": "application teams", "baseline": "cluster default",
            "kubernetes-networkpolicy": "namespace owners", "admin": "cluster admins",
            "anp": "cluster admins", "cnp-admin": "cluster admins", "kube-admin": "cluster admins",
            "baseline-admin": "cluster default", "kube-baseline": "cluster default", "default": "namespace owners"}


def persona(stage_name: str) -> str:
    name = stage_name.split(":", 1)[-1]
    if name.startswith("nsx-category-"):
        return "NSX administrators"
    return PERSONAS.get(name, f"owners of tier {name}")


def _finding(code: str, message: str, origin: Origin, rule: Rule | None = None) -> Finding:
    title, severity, hint = CHECKS[code]
    return Finding(code, severity, message, origin, hint, (rule.index, rule.name) if rule else None)


def lint(cluster: Cluster) -> list[Finding]:
    """Every finding for a loaded (possibly partially invalid) cluster, errors first."""
    if cluster.tests:  # ConnectivityTests among the inputs are checked for their format too
        parse_tests(cluster.tests, cluster.diagnostics)
    out = [Finding(d.code, d.severity.value, d.message, d.origin,
                   CHECKS.get(d.code, ("", "", "fix the field as the message says"))[2])
           for d in cluster.diagnostics.items if d.severity is not Severity.INFO]
    cc = cluster.compiled
    if not cc.model.stages:
        return out
    tracker = Tracker()
    externals = external_representatives(cluster)
    matrix = compute_matrix(cc, externals=externals, tracker=tracker)
    out += _shadowing(cc, tracker)
    out += _unreachable_networkpolicies(cc, tracker, matrix)
    out += _selects_nothing(cc)
    out += _named_ports(cc)
    out += _equal_priorities(cc)
    out += _namespace_only_labels(cc)
    out += _dns(cc)
    out += _invented_addresses(cc)
    order = {"error": 0, "warning": 1}
    return sorted(out, key=lambda f: (order.get(f.severity, 2), f.origin.file, f.origin.line or 0, f.code))


def external_representatives(cluster: Cluster) -> list[str]:
    """One address per piece of the IPv4 space the model's CIDRs cut out (``engine.outside``,
    the pieces the matrix shows), none of them a pod's or a node's, plus node addresses: flows
    to and from outside are flows rules decide too."""
    inv = cluster.inventory
    nodes = sorted({a for n in inv.nodes.values() for a in n.addresses[:1]})
    taken = {p.ip for p in inv.pods if p.ips} | {a for n in inv.nodes.values() for a in n.addresses}
    pieces = [o.ip for o in outside_endpoints([cluster.model], taken)]
    pod_ips = {p.ip for p in inv.pods if p.ips}
    return pieces + [n for n in nodes if n not in pod_ips]


def _where(rule: Rule) -> str:
    return f"{rule.policy.ref} {rule.label} [{rule.action.value}]"


def _shadowing(cc, tracker: Tracker) -> list[Finding]:
    stage_index = {s.name: i for i, s in enumerate(cc.model.stages)}
    out = []
    for rid in sorted(tracker.matched - tracker.decided, key=lambda r: _order(tracker.rules[r])):
        rule = tracker.rules[rid]
        if rule.action is Action.LOG or rule.undecidable:
            continue
        takers = tracker.taken_by.get(rid, set())
        rules = [tracker.rules[t] for t in takers if t in tracker.rules]
        isolation = [t for t in takers if t < 0]
        if not rules and not isolation:
            continue
        earlier = [r for r in rules if stage_index[r.stage] < stage_index[rule.stage]]
        names = "; ".join(_where(r) for r in sorted(rules, key=_order)[:3]) + (" …" if len(rules) > 3 else "")
        if isolation and not rules:
            names = "NetworkPolicy isolation in an earlier stage"
        same_verdict = all(_verdict(r) == _verdict(rule) for r in rules) and not isolation
        if earlier and not same_verdict:
            winner = earlier[0]
            out.append(_finding("TW252", f"{_where(rule)} in {_stage(cc, rule)} ({persona(rule.stage)}) never "
                                         f"decides: {names} in {_stage(cc, winner)} ({persona(winner.stage)}) takes "
                                         f"every flow it matches first — the {persona(winner.stage)} win",
                                rule.origin, rule))
        elif same_verdict:
            out.append(_finding("TW251", f"{_where(rule)} is redundant: every flow it matches is already "
                                         f"{_verdict(rule).lower()}ed by {names}", rule.origin, rule))
        else:
            out.append(_finding("TW250", f"{_where(rule)} is shadowed: {names} decides every flow it matches "
                                         f"first", rule.origin, rule))
    return out


def _order(rule: Rule) -> tuple:
    return (rule.policy.origin.file, rule.policy.origin.line or 0, rule.direction.value, rule.index)


def _verdict(rule: Rule) -> str:
    return {Action.ALLOW: "Allow", Action.DROP: "Drop", Action.REJECT: "Reject"}.get(rule.action, rule.action.value)


def _stage(cc, rule: Rule) -> str:
    return cc.model.stage(rule.stage).title


def _unreachable_networkpolicies(cc, tracker: Tracker, matrix) -> list[Finding]:
    out = []
    rep_of_pod = {}
    for i, e in enumerate(matrix.endpoints):
        if e.is_pod:
            rep_of_pod[e.pod.index] = matrix.endpoints[matrix.reps[matrix.klass[i]]].pod.index
    for policy in cc.model.policies:
        if policy.ref.kind not in policy_kinds_checked("TW253") or not policy.isolates:
            continue
        bits = cc.applied_bits(policy.subject)
        pods = [p for p in cc.inv.pods if bits >> p.index & 1]
        if not pods:
            continue
        reached = False
        for direction in policy.isolates:
            seen = tracker.reached.get((policy.stage, direction), set())
            if any(rep_of_pod.get(p.index) in seen for p in pods):
                reached = True
        if not reached:
            out.append(_finding("TW253", f"{policy.ref.ref} selects {len(pods)} pod(s), but every flow to or from "
                                         f"them is decided before the NetworkPolicy stage: it has no effect",
                                policy.ref.origin))
    return out


def _selects_nothing(cc) -> list[Finding]:
    out = []
    seen_groups = set()
    for policy in cc.model.policies:
        subject_rule_level = any(r.applied_to != policy.subject for r in policy.rules)
        if policy.subject and not subject_rule_level and cc.applied_bits(policy.subject) == 0:
            out.append(_finding("TW254", f"{policy.ref.ref} applies to no pod", policy.ref.origin))
        for rule in policy.rules:
            if subject_rule_level and cc.applied_bits(rule.applied_to) == 0:
                out.append(_finding("TW254", f"{_where(rule)}: its appliedTo selects no pod", rule.origin, rule))
            for peer in flatten_peers((rule.peers or ()) + rule.applied_to):
                res = cc.resolve(peer)  # no subject: what the peer could ever cover
                if res.group:
                    if res.group not in seen_groups and not res.covers_something:
                        seen_groups.add(res.group)
                        out.append(_finding("TW254", f"{res.group} (used by {policy.ref.ref}) has no members",
                                            rule.origin, rule))
                    continue  # its members come next on their own
                for ns, name in sorted(res.services):
                    svc = cc.inv.service(f"{ns}/{name}")
                    if svc is not None and not service_endpoints(cc.inv, svc):
                        out.append(_finding("TW254", f"{_where(rule)}: Service {svc.key} has no endpoints",
                                            rule.origin, rule))
            for peer in rule.peers or ():
                res = cc.resolve(peer)
                if res.pod_selector and not cc.relativity(peer)[0] and res.pods == 0:
                    out.append(_finding("TW254", f"{_where(rule)}: peer '{peer}' selects no pod", rule.origin, rule))
    return out


def _named_ports(cc) -> list[Finding]:
    out = []
    for policy in cc.model.policies:
        for rule in policy.rules:
            names = [pm for pm in rule.ports or () if pm.named]
            if not names:
                continue
            if rule.direction is Direction.INGRESS:
                bits = cc.applied_bits(rule.applied_to)
            elif rule.peers is None:
                bits = cc.applied_bits((PodPeer(),))
            else:
                bits = cc.applied_bits(rule.peers)  # only the pods they cover count
            pods = [p for p in cc.inv.pods if bits >> p.index & 1]
            for pm in names:
                if pods and not any(p.named_port(pm.named, pm.protocol or cp.protocol) for p in pods
                                    for cp in p.ports if cp.name == pm.named):
                    side = "pods it applies to" if rule.direction is Direction.INGRESS else "destination pods"
                    out.append(_finding("TW255", f"{_where(rule)}: named port {pm.named!r}"
                                                 f"{'/' + pm.protocol if pm.protocol else ''} is declared by none of "
                                                 f"the {len(pods)} {side}", rule.origin, rule))
    return out


def _equal_priorities(cc) -> list[Finding]:
    out = []
    groups: dict[tuple, list] = {}
    for policy in cc.model.policies:
        if policy.ref.priority and policy.ref.kind in policy_kinds_checked("TW256"):
            groups.setdefault((policy.stage, policy.ref.priority), []).append(policy)
    for (stage, priority), policies in groups.items():
        for i, a in enumerate(policies):
            for b in policies[i + 1:]:
                actions_a = {r.action for r in a.rules if r.action is not Action.LOG}
                actions_b = {r.action for r in b.rules if r.action is not Action.LOG}
                if not (actions_a | actions_b) or len(actions_a | actions_b) < 2:
                    continue
                if cc.applied_bits(a.subject) & cc.applied_bits(b.subject):
                    first, second = sorted((a, b), key=lambda p: (p.ref.name, p.ref.namespace))
                    out.append(_finding("TW256", f"{a.ref.ref} and {b.ref.ref} share priority {priority} in "
                                                 f"{cc.model.stage(stage).title}, apply to the same pods and "
                                                 f"disagree on actions; tierwall (and antctl) put {first.ref.ref} "
                                                 f"first by name, upstream leaves the order undefined",
                                        b.ref.origin))
    return out


def _namespace_only_labels(cc) -> list[Finding]:
    pod_keys = {k for p in cc.inv.pods for k in p.labels}
    set_keys = {k for a in cc.model.address_sets for k, _ in a.labels}
    ns_keys = {k for ns in cc.inv.namespaces.values() for k in ns.labels}
    out = []
    for policy in cc.model.policies:
        if policy.ref.kind not in policy_kinds_checked("TW257"):
            continue
        for rule_or_policy, exprs in _calico_selectors(cc, policy):
            for expr in exprs:
                node = getattr(expr, "node", None)
                if not isinstance(node, Node):
                    continue
                for key in sorted(labels_used(node)):
                    if key.startswith(VIEW_LABEL_PREFIXES):
                        continue
                    if key in ns_keys and key not in pod_keys and key not in set_keys:
                        out.append(_finding("TW257", f"{policy.ref.ref}: selector '{expr}' tests label {key!r}, "
                                                     f"which only namespaces carry: it never matches a pod",
                                            rule_or_policy.origin, rule_or_policy if isinstance(rule_or_policy, Rule)
                                            else None))
    return out


def _calico_selectors(cc, policy):
    subject = [e for p in policy.subject for e in cc.resolve(p).expressions]
    yield policy.ref, subject
    for rule in policy.rules:
        exprs = [e.selector for e in rule.entities if e.selector is not None]
        exprs += [e.not_selector for e in rule.entities if e.not_selector is not None]
        yield rule, exprs


def _dns(cc) -> list[Finding]:
    inv = cc.inv
    svc = inv.service("kube-system/kube-dns")
    dns = [e for e in service_endpoints(inv, svc)] if svc else \
        [endpoint_for_pod(inv, p) for p in inv.pods if p.labels.get("k8s-app") == "kube-dns" and p.ips]
    dns = [e for e in dns if e.is_pod]
    if not dns:
        return []
    out = []
    seen = set()
    sources = {}
    for p in inv.pods:
        if p.ips and not p.host_network and p.namespace != dns[0].pod.namespace:
            sources.setdefault(tuple(r for sp in cc.plan(p, Direction.EGRESS) for r in sp.rules), p)
    for d in dns:
        for src_pod in sources.values():
            path = trace_flow(cc, Flow(endpoint_for_pod(inv, src_pod), d, "UDP", 53))
            if path.egress and path.egress.decision.verdict is Verdict.ALLOW and \
                    path.verdict in (Verdict.DROP, Verdict.REJECT) and path.decision.side == "ingress":
                key = (d.pod.key, path.decision.explanation)
                if key in seen:
                    continue
                seen.add(key)
                origin = path.decision.rule.origin if path.decision.rule else \
                    (path.decision.policy.origin if path.decision.policy else d.pod.origin)
                out.append(_finding("TW258", f"DNS egress from {src_pod.key} (and pods like it) is allowed, but "
                                             f"ingress to {d.pod.key} on UDP/53 is denied: "
                                             f"{path.decision.explanation}", origin, path.decision.rule))
    return out


def _invented_addresses(cc) -> list[Finding]:
    """Rules whose CIDRs contain addresses tierwall made up: their verdicts for those pods come
    from tierwall's choice (``inventory/ipam.py``), not from the cluster."""
    from ..addresses import parse_ip
    invented = [(p, parse_ip(p.ip)) for p in cc.inv.pods if p.ip_assigned and p.ips and not p.host_network]
    if not invented:
        return []
    out = []
    for policy in cc.model.policies:
        for rule in policy.rules:
            nets = [n for peer in rule.peers or () for part in cc.resolve(peer).nets if not part.via
                    for n in (part.net, *part.excepts)]
            nets += [n for e in rule.entities for n in (e.nets or ()) + e.not_nets]
            hits = [p for p, addr in invented if any(addr.version == n.version and addr in n for n in nets)]
            if hits:
                sample = ", ".join(f"{p.key} {p.ip}" for p in hits[:3]) + (" …" if len(hits) > 3 else "")
                out.append(_finding("TW259", f"{_where(rule)}: its CIDRs contain {len(hits)} address(es) tierwall "
                                             f"invented for pods without status.podIP ({sample}); verdicts for "
                                             f"those pods rest on made-up addresses", rule.origin, rule))
    return out


__all__ = ["Finding", "external_representatives", "lint", "persona"]
