"""Evaluate one flow through the compiled pipeline, recording every step.

The order is the model's stage list (``model/pipeline.py``): egress at the source pod, then
ingress at the destination pod; in each stage the applicable rules in ``sort_key`` order,
first match decides; ``Pass`` jumps to the stage's ``pass_to``; at a stage's end
``DROP_IF_SELECTED`` drops for the policies that isolate the endpoint. Special cases that
never reach a policy table (a pod to its own IP, node-local host traffic, hairpin through a
Service) are decided first and said so.
"""

from __future__ import annotations

from ..inventory import Pod
from ..model import ACTION_VERDICT, Action, Direction, NoMatch, Verdict
from .compile import CompiledCluster
from .flow import Flow, Request, resolve_flows
from .invented import invented_address_notes
from .match import Match, rule_matches
from .result import Decision, PathTrace, RuleStep, SideTrace, StageStep, TraceResult


def trace(cc: CompiledCluster, req: Request) -> TraceResult:
    """Trace a request: one :class:`PathTrace` per concrete flow (per Service endpoint)."""
    flows, notes = resolve_flows(cc.inv, req)
    result = TraceResult(req, cc.model.cni, [trace_flow(cc, f) for f in flows], notes + list(req.notes))
    for path in result.paths:
        path.notes.extend(invented_address_notes(cc, path))
    if not flows and req.service is not None:
        # Nothing to DNAT to: kube-proxy and Antrea Proxy answer a Service without endpoints
        # with a reject in the load-balancing step, before any policy table is reached.
        result.special = Decision(Verdict.REJECT, "builtin",
                                  f"Service {req.service.key} has no ready endpoints: the connection is refused")
    return result


def trace_flow(cc: CompiledCluster, flow: Flow) -> PathTrace:
    """Both sides of one concrete flow and the combined verdict."""
    src, dst = flow.src, flow.dst
    if src.is_pod and dst.is_pod and src.pod is dst.pod and flow.service is None:
        d = Decision(Verdict.ALLOW, "builtin", "a pod reaching its own IP never leaves its network namespace: "
                                               "no policy applies")
        return PathTrace(flow, Verdict.ALLOW, d, None, None)
    egress = _side(cc, flow, Direction.EGRESS)
    if egress.decision.verdict in (Verdict.DROP, Verdict.REJECT):
        return PathTrace(flow, egress.decision.verdict, egress.decision, egress, None)
    ingress = _side(cc, flow, Direction.INGRESS)
    if egress.decision.verdict is Verdict.UNKNOWN:
        return PathTrace(flow, Verdict.UNKNOWN, egress.decision, egress, ingress)
    if ingress.decision.verdict is not Verdict.ALLOW:
        return PathTrace(flow, ingress.decision.verdict, ingress.decision, egress, ingress)
    if _is_hairpin(flow) and dst.is_pod:
        return PathTrace(flow, Verdict.ALLOW, _hairpin_decision(cc, flow, egress), egress, ingress)
    # Both allow: name the rule that let it through (ingress first: the last hurdle).
    decision = next((s.decision for s in (ingress, egress) if s.decision.kind == "rule"),
                    next((s.decision for s in (ingress, egress) if s.evaluated), ingress.decision))
    return PathTrace(flow, Verdict.ALLOW, decision, egress, ingress)


def _side(cc: CompiledCluster, flow: Flow, direction: Direction) -> SideTrace:
    local = flow.src if direction is Direction.EGRESS else flow.dst
    side = direction.value
    if not local.is_pod:
        why = {"external": f"{local.ip} is outside the cluster: no {side} policy applies to it",
               "node": f"{local} is a node address: pod policies do not apply to host traffic",
               "hostNetwork pod": f"{local} uses its node's network: pod policies do not apply to it"}[local.kind]
        return SideTrace(side, False, Decision(Verdict.ALLOW, "builtin", why, side=side), endpoint=local.label)
    if direction is Direction.INGRESS:
        special = _ingress_exemption(flow)
        if special:
            return SideTrace(side, False, Decision(Verdict.ALLOW, "builtin", special, side=side),
                             endpoint=local.label)
    return _walk(cc, flow, direction, local.pod)


def _is_hairpin(flow: Flow) -> bool:
    """A pod reaching itself through a Service it backs (after DNAT, source = destination)."""
    return flow.service is not None and flow.src.pod is not None and flow.src.pod is flow.dst.pod


def _hairpin_decision(cc: CompiledCluster, flow: Flow, egress: SideTrace) -> Decision:
    """The headline of a hairpin flow: egress decided as usual, ingress was exempt — say which
    rule allowed the egress, and which ingress rule the exemption overrode, if one would have
    dropped the flow (spec/antrea.md §2: hairpin always passes ingress with Antrea Proxy)."""
    pod = flow.dst.pod
    out = egress.decision
    if out.rule is not None:
        why = f"egress allowed by {out.rule.policy.label} {out.rule.label}"
    else:
        why = "no egress policy decided (allowed by default)"
    would = _walk(cc, flow, Direction.INGRESS, pod).decision
    overridden = ""
    if would.verdict is not Verdict.ALLOW:
        by = f"{would.rule.policy.label} {would.rule.label}" if would.rule is not None else would.explanation
        overridden = f"; without the exemption the ingress would be {would.verdict.value.lower()}: {by}"
    return Decision(Verdict.ALLOW, "builtin",
                    f"hairpin: {pod.key} reaches itself through Service {flow.service.key}, and hairpin traffic "
                    f"always passes ingress; {why}{overridden}", side="ingress", rule=out.rule)


def _ingress_exemption(flow: Flow) -> str:
    src, dst = flow.src, flow.dst
    if src.host is not None and src.host.name == dst.node_name:
        return (f"traffic from {dst.node_name}'s own host (kubelet probes, hostNetwork pods) to a local pod "
                f"is always allowed")
    if _is_hairpin(flow):
        return "hairpin: a pod reaching itself through a Service always passes ingress"
    return ""


def _walk(cc: CompiledCluster, flow: Flow, direction: Direction, pod: Pod) -> SideTrace:
    side = direction.value
    steps: list[StageStep] = []
    jump_to: str | None = None
    decision: Decision | None = None
    for plan in cc.plan(pod, direction):
        stage = plan.stage
        if decision is not None:
            break
        if jump_to is not None and stage.name != jump_to:
            steps.append(StageStep(stage, "skipped", note="passed over by a Pass rule"))
            continue
        jump_to = None
        if stage.default_verdict is not None:
            steps.append(StageStep(stage, "default"))
            decision = Decision(stage.default_verdict, "default",
                                f"no policy decided the {side} of {pod.key}: "
                                f"{stage.default_verdict.value.lower()} by default", side=side, stage=stage)
            break
        rule_steps: list[RuleStep] = []
        outcome = "no-match"
        for rule in plan.rules:
            m, why = rule_matches(cc, rule, flow)
            rule_steps.append(RuleStep(rule, m.value, why))
            if m is Match.NO:
                continue
            if rule.action is Action.LOG:
                rule_steps[-1].reason += " (logged; evaluation continues)"
                continue
            if m is Match.MAYBE or rule.undecidable:
                outcome = "unknown"
                decision = Decision(Verdict.UNKNOWN, "unknown", rule.undecidable or why, side=side,
                                    stage=stage, rule=rule)
                break
            if rule.action is Action.PASS:
                outcome = "pass"
                jump_to = stage.pass_to
                break
            outcome = "decided"
            decision = Decision(ACTION_VERDICT[rule.action], "rule",
                                f"{rule.policy.label} {rule.label} ({rule.action.value}) matched", side=side,
                                stage=stage, rule=rule, tie_note=_tie_note(cc, flow, plan.rules, rule))
            break
        step = StageStep(stage, outcome, rule_steps)
        if outcome == "no-match" and stage.no_match is NoMatch.DROP_IF_SELECTED and plan.isolating:
            step.outcome = "end-of-tier" if stage.end_of_tier else "isolation"
            step.isolating = plan.isolating
            names = ", ".join(p.ref.label for p in plan.isolating)
            if stage.end_of_tier:
                why = (f"end of {stage.title}: {pod.key} is selected for {side} by {names} and no rule allowed "
                       f"or passed the flow; the tier's default action drops it")
            else:
                why = f"{pod.key} is isolated for {side} by {names}; none of their {side} rules matched"
            decision = Decision(Verdict.DROP, step.outcome, why, side=side, stage=stage,
                                isolated_by=tuple(p.ref for p in plan.isolating))
        elif outcome == "no-match" and not plan.rules:
            step.note = "no rules apply here"
        steps.append(step)
    assert decision is not None, "the pipeline always ends with a default stage"
    return SideTrace(side, True, decision, steps, endpoint=pod.key)


def _tie_note(cc: CompiledCluster, flow: Flow, rules, winner) -> str:
    """Say so when another policy's rule at the same upstream position also matches."""
    rivals = [r for r in rules if r.tie_key == winner.tie_key and r.policy.ref != winner.policy.ref
              and r.action is not winner.action and rule_matches(cc, r, flow)[0] is not Match.NO]
    if not rivals:
        return ""
    names = ", ".join(f"{r.policy.ref} {r.label} ({r.action.value})" for r in rivals)
    return (f"tie: {names} sits at the same priority and rule position; upstream leaves the order "
            f"undefined, tierwall orders by policy name")
