"""The tamper search: can a subject a case is protected from flip it? One witness if so.

For every passing case with ``protectedFrom`` and every subject named there, the routes
(routes.py) propose writes; a write counts only if RBAC allows it for that subject (an update
may be a ``patch`` or an ``update``) and every admission guard among the inputs admits it
(its CEL evaluated on the write). The first such witness after which the **re-loaded**
cluster gives the case another verdict is the finding, with the resulting trace. No finding
means no route of this search exists — the report lists what was tried and what stopped it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..cluster import Cluster
from ..dialects import tier_check_for
from ..errors import Diagnostics, InputError, UsageError
from ..expect import CaseResult, CheckReport, run_cases
from .evaluate import Grant, Identity, authorize, authorize_tiered
from .guard import Guard, admit
from .model import Rbac
from .routes import ROUTES, CaseContext
from .witness import Change, Witness, apply

REPORT_KIND = "TamperReport"


@dataclass
class Finding:
    """A witness that flips the case, the grants that allow it, and the case afterwards."""

    witness: Witness
    grants: list[Grant]
    result: CaseResult

    def to_dict(self) -> dict:
        r = self.result
        return {**self.witness.to_dict(), "yaml": self.witness.yaml(),
                "grants": [g.to_dict() for g in self.grants],
                "after": {"from": r.src, "to": r.dst, "verdict": r.verdict, "expect": r.case.expect,
                          "decidedBy": r.to_dict()["decidedBy"],
                          "trace": r.path.to_dict() if r.path is not None else None}}


@dataclass
class Outcome:
    """One (case, subject) pair: the finding, or why none of the tried writes was one."""

    case_name: str
    test: str
    subject: str
    finding: Finding | None = None
    tried: dict[str, dict[str, int]] = field(default_factory=dict)
    """route → {"rbac-denied", "guard-denied", "no-flip", "invalid"} → count."""
    guard_blocks: list[str] = field(default_factory=list)
    """Witnesses RBAC allowed and a guard refused (guard: message), one per route."""

    def count(self, route: str, what: str) -> None:
        self.tried.setdefault(route, {}).setdefault(what, 0)
        self.tried[route][what] += 1

    def to_dict(self) -> dict:
        return {"case": self.case_name, "test": self.test, "subject": self.subject,
                "path": self.finding is not None,
                "witness": self.finding.to_dict() if self.finding else None,
                "tried": self.tried, "guardBlocked": self.guard_blocks}


@dataclass
class TamperReport:
    outcomes: list[Outcome] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Protected cases not searched (they fail already), with why."""

    @property
    def found(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.finding is not None]

    def to_dict(self) -> dict:
        return {"kind": REPORT_KIND, "guards": self.guards,
                "summary": {"searched": len(self.outcomes), "paths": len(self.found)},
                "outcomes": [o.to_dict() for o in self.outcomes], "skipped": self.skipped}


def authorize_change(rbac: Rbac, who: Identity, change: Change) -> Grant | list[Grant] | None:
    """RBAC for one write; an update is allowed by ``patch`` or ``update`` (kubectl uses either)."""
    verbs = ("patch", "update") if change.verb == "update" else (change.verb,)
    for verb in verbs:
        req = change.request()
        req = type(req)(verb, req.group, req.resource, req.namespace, req.name, req.subresource)
        check = tier_check_for(change.group, change.resource)
        if check is not None:
            tier = str((change.obj.get("spec") or {}).get("tier") or check.default_tier)
            grants = authorize_tiered(rbac, who, req, tier, check)
            if grants:
                return grants
        else:
            grant = authorize(rbac, who, req)
            if grant:
                return grant
    return None


def search(cluster: Cluster, report: CheckReport, rbac: Rbac, guards: list[Guard],
           pod_cidr: str | None = None) -> TamperReport:
    """Search every protected case of ``report`` (``check``'s results on ``cluster``, read with
    ``pod_cidr``: the re-loads invent the same addresses)."""
    out = TamperReport(guards=sorted(g.name for g in guards if not g.unsupported))
    by_case: dict[int, list[CaseResult]] = {}
    for r in report.results:
        by_case.setdefault(id(r.case), []).append(r)
    for results in by_case.values():
        case = results[0].case
        if not case.protected_from:
            continue
        if not all(r.passed for r in results):
            out.skipped.append(f"{case.name}: fails already; nothing to protect")
            continue
        ctx = CaseContext.of(cluster, results)
        for principal in case.protected_from:
            who = Identity.of(principal)
            out.outcomes.append(_search_one(cluster, ctx, rbac, guards, who, principal.text, pod_cidr))
    return out


def _search_one(cluster: Cluster, ctx: CaseContext, rbac: Rbac, guards: list[Guard], who: Identity,
                subject: str, pod_cidr: str | None) -> Outcome:
    outcome = Outcome(ctx.case.name, ctx.case.test, subject)
    inv = cluster.inventory
    for route, propose in ROUTES:
        blocked_noted = False
        for witness in propose(ctx):
            grants = []
            for change in witness.changes:
                g = authorize_change(rbac, who, change)
                if g is None:
                    break
                grants.extend(g if isinstance(g, list) else [g])
            else:
                verdicts = [admit(guards, c, who, inv.namespace_labels(c.namespace) if c.namespace else None)
                            for c in witness.changes]
                denied = next((v for v in verdicts if not v.allowed), None)
                if denied is not None:
                    outcome.count(route, "guard-denied")
                    if not blocked_noted:
                        outcome.guard_blocks.append(f"{witness.title}: {denied.guard}: {denied.message}")
                        blocked_noted = True
                    continue
                flipped = _flip(cluster, ctx, witness, outcome, route, pod_cidr)
                if flipped is not None:
                    outcome.finding = Finding(witness, grants, flipped)
                    return outcome
                continue
            outcome.count(route, "rbac-denied")
    return outcome


def _flip(cluster: Cluster, ctx: CaseContext, witness: Witness, outcome: Outcome, route: str,
          pod_cidr: str | None) -> CaseResult | None:
    diags = Diagnostics()
    try:
        after = apply(cluster, witness, diags, pod_cidr)
    except InputError:
        outcome.count(route, "invalid")  # the route proposed an object the webhooks refuse
        return None
    try:
        results = run_cases(after.compiled, [ctx.case], diags).results
    except UsageError:
        results = []
    failed = [r for r in results if not r.passed]
    if not failed:
        outcome.count(route, "no-flip")
        return None
    return failed[0]
