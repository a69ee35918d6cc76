"""The shape of a trace: per side, per stage, per rule — and which one decided.

These types are the data behind ``tierwall trace -o json`` and each ``check`` result's
``decidedBy``; their ``to_dict`` output is a stable interface (``TRACE_FORMAT``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Policy, PolicyRef, Rule, Stage, Verdict
from .flow import Flow, Request

TRACE_FORMAT = "tierwall.dev/v1alpha1"
"""Version of the trace JSON/YAML document; bumped on any incompatible change."""


def stage_label(stage: Stage | None) -> str | None:
    """The tier as users name it (``securityops``, ``kubernetes-networkpolicy``); ``None``
    for the default stage, which is no tier."""
    if stage is None or stage.default_verdict is not None:
        return None
    return stage.name.split(":", 1)[-1]


def policy_dict(ref: PolicyRef) -> dict:
    out = {"kind": ref.kind, "namespace": ref.namespace or None, "name": ref.name, "ref": ref.ref}
    if ref.tier:
        out["tier"] = ref.tier
    if ref.priority:
        out["priority"] = ref.priority
    if ref.managed_by:
        out["managedBy"] = ref.managed_by
    if ref.display_name:
        out["displayName"] = ref.display_name
    out["origin"] = ref.origin.to_dict()
    return out


def rule_dict(rule: Rule) -> dict:
    return {"index": rule.index, "name": rule.name or None, "direction": rule.direction.value,
            "action": rule.action.value, "origin": rule.origin.to_dict()}


@dataclass
class RuleStep:
    """One rule that was looked at, whether it matched and why (not)."""

    rule: Rule
    matched: str  # yes | no | maybe
    reason: str

    def to_dict(self) -> dict:
        return {"policy": policy_dict(self.rule.policy), "rule": rule_dict(self.rule),
                "matched": self.matched, "reason": self.reason}


@dataclass
class StageStep:
    """One stage on one side: the rules looked at and what the stage did with the flow.

    ``outcome``: ``decided`` (a rule decided), ``pass`` (a Pass rule sent the flow on),
    ``no-match`` (nothing matched, evaluation went on), ``isolation`` (nothing matched and a
    policy isolates the endpoint: drop), ``end-of-tier`` (the same for a Calico tier whose
    default action is Deny), ``default``, ``skipped`` (jumped over by a Pass),
    ``unknown`` (a rule that cannot be decided statically was reached).
    """

    stage: Stage
    outcome: str
    rules: list[RuleStep] = field(default_factory=list)
    isolating: tuple[Policy, ...] = ()
    note: str = ""

    def to_dict(self) -> dict:
        out = {"stage": self.stage.name, "title": self.stage.title, "outcome": self.outcome,
               "rules": [r.to_dict() for r in self.rules]}
        if self.isolating:
            out["isolatedBy"] = [policy_dict(p.ref) for p in self.isolating]
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Decision:
    """What decided one side (or the whole flow) and how to say it."""

    verdict: Verdict
    kind: str  # rule | isolation | end-of-tier | default | builtin | unknown
    explanation: str
    side: str | None = None
    stage: Stage | None = None
    rule: Rule | None = None
    isolated_by: tuple[PolicyRef, ...] = ()
    tie_note: str = ""

    @property
    def policy(self) -> PolicyRef | None:
        if self.rule is not None:
            return self.rule.policy
        return self.isolated_by[0] if self.isolated_by else None

    def to_dict(self) -> dict:
        out: dict = {"verdict": self.verdict.value, "kind": self.kind, "side": self.side,
                     "tier": stage_label(self.stage),
                     "policy": self.policy.ref if self.policy else None,
                     "rule": ({"index": self.rule.index, "name": self.rule.name or None,
                               "action": self.rule.action.value} if self.rule else None),
                     "origin": (self.rule.origin.to_dict() if self.rule
                                else self.policy.origin.to_dict() if self.policy else None),
                     "explanation": self.explanation}
        if self.isolated_by:
            out["isolatedBy"] = [p.ref for p in self.isolated_by]
        if self.tie_note:
            out["tieBreak"] = self.tie_note
        return out


@dataclass
class SideTrace:
    """The egress decision at the source, or the ingress decision at the destination."""

    side: str
    evaluated: bool
    decision: Decision
    stages: list[StageStep] = field(default_factory=list)
    endpoint: str = ""

    def to_dict(self) -> dict:
        return {"side": self.side, "endpoint": self.endpoint, "evaluated": self.evaluated,
                "verdict": self.decision.verdict.value, "decidedBy": self.decision.to_dict(),
                "stages": [s.to_dict() for s in self.stages]}


@dataclass
class PathTrace:
    """One concrete flow (one Service endpoint, or the one destination)."""

    flow: Flow
    verdict: Verdict
    decision: Decision
    egress: SideTrace | None
    ingress: SideTrace | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"flow": self.flow.to_dict(), "verdict": self.verdict.value, "decidedBy": self.decision.to_dict(),
                "egress": self.egress.to_dict() if self.egress else None,
                "ingress": self.ingress.to_dict() if self.ingress else None, "notes": self.notes}


@dataclass
class TraceResult:
    """Everything ``trace`` found for one request."""

    request: Request
    cni: str
    paths: list[PathTrace]
    notes: list[str] = field(default_factory=list)
    special: Decision | None = None
    """Set when no concrete flow exists (a Service without endpoints)."""

    @property
    def verdict(self) -> Verdict:
        if self.special is not None:
            return self.special.verdict
        verdicts = {p.verdict for p in self.paths}
        if len(verdicts) == 1:
            return verdicts.pop()
        return Verdict.UNKNOWN

    @property
    def mixed(self) -> bool:
        return len({p.verdict for p in self.paths}) > 1

    def to_dict(self) -> dict:
        return {"apiVersion": TRACE_FORMAT, "kind": "Trace", "cni": self.cni,
                "request": self.request.to_dict(), "verdict": self.verdict.value,
                "mixed": self.mixed,
                "decidedBy": self.special.to_dict() if self.special else None,
                "paths": [p.to_dict() for p in self.paths], "notes": self.notes}
