"""The tier board: every stage of the evaluation order with its policies and rules.

Stages come in the model's order (tiers, the Kubernetes NetworkPolicy stage, baseline, the
default), policies inside a stage in the engine's order (``analysis.views.effective_key``),
rules in their written order. A filter keeps the policies that *apply to* (select, or
enforce a rule at) at least one pod matching a namespace, a pod name and labels; the page says
how many were left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis.views import effective_key
from ..cluster import Cluster
from ..model import Policy, Rule, Stage

MAX_PEERS_TEXT = 6
"""Peers listed per rule before "and N more" (the policy's YAML has all of them)."""


@dataclass(frozen=True)
class Filter:
    """What the user typed: a namespace, a pod name (or ``ns/name``), labels ``k=v,k2``."""

    namespace: str = ""
    pod: str = ""
    labels: str = ""

    @property
    def active(self) -> bool:
        return bool(self.namespace or self.pod or self.labels)


@dataclass
class BoardRule:
    rule: Rule
    peers: str
    ports: str


@dataclass
class BoardPolicy:
    policy: Policy
    id: int
    """Index in ``model.policies``: the policy's address in URLs."""
    display_name: str
    managed_by: str
    rules: list[BoardRule]
    pods: int
    """Pods the policy applies to."""


@dataclass
class BoardStage:
    stage: Stage
    policies: list[BoardPolicy] = field(default_factory=list)
    total: int = 0
    """Policies of the stage before filtering."""


@dataclass
class Board:
    stages: list[BoardStage]
    filter: Filter
    matched_pods: int | None
    """Pods the filter matched (``None`` without a filter)."""
    shown: int
    total: int
    problems: list[str] = field(default_factory=list)
    """Why a filter could not be applied as typed (a malformed label term)."""


def parse_labels(text: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``app=web,tier!=db,team`` → [(key, op, value)] with op ``=``, ``!=`` or ``exists``."""
    terms, problems = [], []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "!=" in part:
            key, _, value = part.partition("!=")
            terms.append((key.strip(), "!=", value.strip()))
        elif "=" in part:
            key, _, value = part.partition("=")
            terms.append((key.strip().rstrip("="), "=", value.strip().lstrip("=")))
        elif part.replace("/", "").replace(".", "").replace("-", "").replace("_", "").isalnum():
            terms.append((part, "exists", ""))
        else:
            problems.append(f"label term {part!r} is not key=value, key!=value or key")
    return terms, problems


def _labels_match(labels: dict[str, str], terms) -> bool:
    for key, op, value in terms:
        if op == "exists" and key not in labels:
            return False
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
    return True


def filter_pods(cluster: Cluster, flt: Filter) -> tuple[int, int, list[str]]:
    """Bitset and count of the pods the filter matches, and the problems with it."""
    terms, problems = parse_labels(flt.labels)
    pod_ns, _, pod_name = flt.pod.rpartition("/") if "/" in flt.pod else ("", "", flt.pod)
    bits, count = 0, 0
    for pod in cluster.inventory.pods:
        if flt.namespace and pod.namespace != flt.namespace:
            continue
        if pod_ns and pod.namespace != pod_ns:
            continue
        if pod_name and pod.name != pod_name:
            continue
        if terms and not _labels_match(pod.labels, terms):
            continue
        bits |= 1 << pod.index
        count += 1
    return bits, count, problems


def policy_bits(cluster: Cluster, policy: Policy) -> int:
    """The pods a policy applies to: its subject and every rule-level appliedTo."""
    cc = cluster.compiled
    bits = cc.applied_bits(policy.subject)
    for rule in policy.rules:
        bits |= cc.applied_bits(rule.applied_to)
    return bits


def display_name(policy: Policy) -> tuple[str, str]:
    """(display name, manager): NSX-managed Antrea policies carry a readable display name in an
    annotation, their object name being a generated id (``dialects/antrea/lower.py``)."""
    managed = policy.ref.managed_by
    if ": " in managed:
        manager, _, display = managed.partition(": ")
        return display, manager
    return "", managed


def _peers_text(rule: Rule) -> str:
    if rule.peers is None:
        return "any"
    if not rule.peers:
        return "nothing"
    parts = [str(p) for p in rule.peers[:MAX_PEERS_TEXT]]
    if len(rule.peers) > MAX_PEERS_TEXT:
        parts.append(f"and {len(rule.peers) - MAX_PEERS_TEXT} more")
    return "; ".join(parts)


def _ports_text(rule: Rule) -> str:
    if rule.ports is None:
        return "any port"
    return ", ".join(str(p) for p in rule.ports) or "no port"


def build_board(cluster: Cluster, flt: Filter = Filter()) -> Board:
    """The board for ``cluster``, keeping only policies that apply to the filter's pods."""
    model = cluster.model
    stage_pos = {s.name: i for i, s in enumerate(model.stages)}
    ids = {id(p): i for i, p in enumerate(model.policies)}
    wanted, matched, problems = filter_pods(cluster, flt) if flt.active else (None, None, [])
    stages = {s.name: BoardStage(s) for s in model.stages}
    shown = 0
    for policy in sorted(model.policies, key=lambda p: effective_key(p, stage_pos)):
        stage = stages.setdefault(policy.stage, BoardStage(model.stage(policy.stage)))
        stage.total += 1
        bits = policy_bits(cluster, policy)
        if wanted is not None and not bits & wanted:
            continue
        display, manager = display_name(policy)
        rules = [BoardRule(r, _peers_text(r), _ports_text(r)) for r in policy.rules]
        stage.policies.append(BoardPolicy(policy, ids[id(policy)], display, manager, rules, bits.bit_count()))
        shown += 1
    ordered = sorted(stages.values(), key=lambda s: stage_pos.get(s.stage.name, len(stage_pos)))
    return Board(ordered, flt, matched, shown, len(model.policies), problems)
