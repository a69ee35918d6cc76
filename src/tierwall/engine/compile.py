"""Resolve a symbolic :class:`Model` against an :class:`Inventory` (compile once, evaluate many).

Selectors become pod bitsets (Python ints: bit *i* is ``inventory.pods[i]``), computed once
per distinct selector through label indexes, so ten thousand pods and thousands of
policies cost one pass each. Every peer (and every Calico EntityRule) resolves into the one
form back ends read (``engine.resolve``), cached per distinct peer. For each (pod, direction)
the ordered per-stage rule lists are built on first use and cached: that is the plan
``trace`` walks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from ..inventory import Inventory, Pod
from ..model import (AddressSet, Direction, EntityMatch, LabelExpression, Model, NamespaceScope, Peer, PodPeer, Policy,
                     Rule, Stage)
from ..selectors import LabelSelector
from .resolve import Resolved, ResolvedEntity, kind_of, relativity, resolve_entity


GROUPED_INDEX_FROM = 2048
"""Pods from which plans are indexed by the vectorised, grouped path (numpy)."""


@dataclass(frozen=True, slots=True)
class StagePlan:
    """The rules of one stage that apply at one endpoint for one direction, in order."""

    stage: Stage
    rules: tuple[Rule, ...]
    isolating: tuple[Policy, ...]
    """Policies of this stage that select the endpoint and isolate this direction."""


class _LabelIndex:
    """key → value → bitset of the objects carrying that label."""

    def __init__(self, labelled: list[dict[str, str]]):
        self.universe = (1 << len(labelled)) - 1
        self.index: dict[str, dict[str, int]] = {}
        for i, labels in enumerate(labelled):
            bit = 1 << i
            for k, v in labels.items():
                by_value = self.index.setdefault(k, {})
                by_value[v] = by_value.get(v, 0) | bit

    def select(self, sel: LabelSelector) -> int:
        bits = self.universe
        for req in sel.requirements:
            values = self.index.get(req.key, {})
            if req.operator in ("In", "NotIn"):
                hit = reduce(or_, (values.get(v, 0) for v in req.values), 0)
            else:
                hit = reduce(or_, values.values(), 0)
            if req.operator in ("NotIn", "DoesNotExist"):
                hit = self.universe & ~hit
            bits &= hit
            if not bits:
                break
        return bits


class CompiledCluster:
    """A model bound to an inventory, with resolved selectors and cached per-pod plans."""

    def __init__(self, model: Model, inv: Inventory):
        self.model = model
        self.inv = inv
        self.ns_names = sorted(inv.namespaces)
        self._ns_pos = {n: i for i, n in enumerate(self.ns_names)}
        self._ns_index = _LabelIndex([inv.namespaces[n].labels for n in self.ns_names])
        selectable = [p if p.ips and not p.host_network else None for p in inv.pods]
        self._pod_index = _LabelIndex([p.labels if p else {} for p in selectable])
        self._selectable = sum(1 << i for i, p in enumerate(selectable) if p is not None)
        self._pods_in_ns: dict[str, int] = {}
        for i, p in enumerate(selectable):
            if p is not None:
                self._pods_in_ns[p.namespace] = self._pods_in_ns.get(p.namespace, 0) | (1 << i)
        self._pod_bits: dict[tuple, int] = {}
        self._effective: list[dict[str, str]] | None = None
        self._expr_bits: dict[LabelExpression, int] = {}
        self._label_groups: list | None = None
        self._expr_sets: dict[LabelExpression, tuple[AddressSet, ...]] = {}
        self._plans: dict[tuple[int, Direction], tuple[StagePlan, ...]] = {}
        self._plan_intern: dict[tuple, tuple[StagePlan, ...]] = {}
        self._applied: dict[tuple, int] = {}
        self._resolved: dict[tuple, Resolved] = {}
        self._relative: dict[Peer, tuple[bool, bool]] = {}
        self._entities: dict[EntityMatch, ResolvedEntity] = {}
        self._by_pod: list[dict] | None = None
        self._grouped: dict | None = None
        self._items_list: list = []
        self.rules_by_stage: dict[str, list[Rule]] = {s.name: [] for s in model.stages}
        self.policies_by_stage: dict[str, list[Policy]] = {s.name: [] for s in model.stages}
        for policy in model.policies:
            self.policies_by_stage.setdefault(policy.stage, []).append(policy)
            for rule in policy.rules:
                self.rules_by_stage.setdefault(rule.stage, []).append(rule)
        for rules in self.rules_by_stage.values():
            rules.sort(key=lambda r: r.sort_key)
        for policies in self.policies_by_stage.values():
            policies.sort(key=_policy_order)

    # --- namespaces -------------------------------------------------------------------------
    def namespaces_of(self, scope: NamespaceScope, subject_ns: str | None = None) -> set[str]:
        """Names of the namespaces a scope covers (relative scopes need the subject's namespace)."""
        if scope.kind == "all":
            return set(self.ns_names)
        if scope.kind == "names":
            return set(scope.names)
        if scope.kind == "selector":
            bits = self._ns_index.select(scope.selector)
            return {n for i, n in enumerate(self.ns_names) if bits >> i & 1}
        if subject_ns is None:
            return set()
        if scope.kind == "self":
            return {subject_ns}
        own = self.inv.namespace_labels(subject_ns)
        if any(k not in own for k in scope.keys):
            return set()  # an applied-to namespace lacking a key gets nothing from this peer
        return {n for n in self.ns_names
                if all(self.inv.namespaces[n].labels.get(k) == own[k] for k in scope.keys)}

    # --- pods -------------------------------------------------------------------------------
    def pod_bits(self, peer: PodPeer, subject_ns: str | None = None) -> int:
        """Bitset of the pods a pod peer selects (for a relative scope, seen from ``subject_ns``)."""
        key = (peer, subject_ns if peer.namespaces.relative else None)
        bits = self._pod_bits.get(key)
        if bits is None:
            nss = self.namespaces_of(peer.namespaces, subject_ns)
            in_ns = reduce(or_, (self._pods_in_ns.get(n, 0) for n in nss), 0)
            bits = in_ns & self._pod_index.select(peer.pods) if in_ns else 0
            if peer.service_account is not None and bits:
                bits &= sum(1 << p.index for p in self.inv.pods if p.service_account == peer.service_account)
            self._pod_bits[key] = bits
        return bits

    # --- label expressions (Calico selectors) ------------------------------------------------
    def effective_labels(self, pod: Pod) -> dict[str, str]:
        """The labels label-expression selectors see on ``pod``: the model's label view
        (declared by the CNI's native dialect), else the pod's own labels."""
        if self._effective is None:
            view, inv = self.model.label_view, self.inv
            self._effective = [view(p.labels, p.namespace, inv.namespace_labels(p.namespace), p.service_account,
                                    inv.service_accounts.get(f"{p.namespace}/{p.service_account}", {}))
                               if view is not None else dict(p.labels) for p in inv.pods]
        return self._effective[pod.index]

    def expr_bits(self, expr: LabelExpression) -> int:
        """Bitset of the (selectable) pods whose effective labels match ``expr``."""
        bits = self._expr_bits.get(expr)
        if bits is None:
            bits = 0
            for labels, members in self._label_sets():
                if expr.matches(labels):
                    bits |= members
            self._expr_bits[expr] = bits
        return bits

    def _label_sets(self) -> list[tuple[dict[str, str], int]]:
        """Distinct effective label sets of the selectable pods, each with its pods' bitset:
        replicas share labels, so an expression is evaluated once per set, not per pod."""
        if self._label_groups is None:
            groups: dict[tuple, list] = {}
            for i, pod in enumerate(self.inv.pods):
                if self._selectable >> i & 1:
                    labels = self.effective_labels(pod)
                    entry = groups.setdefault(tuple(sorted(labels.items())), [labels, 0])
                    entry[1] |= 1 << i
            self._label_groups = [(labels, members) for labels, members in groups.values()]
        return self._label_groups

    def expr_address_sets(self, expr: LabelExpression) -> tuple[AddressSet, ...]:
        sets = self._expr_sets.get(expr)
        if sets is None:
            sets = tuple(a for a in self.model.address_sets if expr.matches(dict(a.labels)))
            self._expr_sets[expr] = sets
        return sets

    # --- the resolved form ---------------------------------------------------------------------
    def relativity(self, peer: Peer) -> tuple[bool, bool]:
        """(depends on the applied-to endpoint's namespace, on its node) for ``peer``."""
        flags = self._relative.get(peer)
        if flags is None:
            flags = self._relative[peer] = relativity(peer)
        return flags

    def resolution_key(self, peer: Peer, subject_ns: str | None = None, subject_node: str | None = None) -> tuple:
        """What a peer's resolution depends on: the peer, and the subject's namespace / node
        only when the peer is relative to them (the key back ends cache their own forms by)."""
        ns_rel, node_rel = self.relativity(peer)
        return peer, subject_ns if ns_rel else None, subject_node if node_rel else None

    def resolve(self, peer: Peer, subject_ns: str | None = None, subject_node: str | None = None) -> Resolved:
        """``peer`` resolved (``engine.resolve``) as seen from an endpoint the rule applies to in
        ``subject_ns`` on ``subject_node``. Without a subject, relative namespaces cover
        nothing and relative nodes are not narrowed (what the peer could ever cover)."""
        key = self.resolution_key(peer, subject_ns, subject_node)
        res = self._resolved.get(key)
        if res is None:
            res = self._resolved[key] = kind_of(peer).resolve(self, peer, key[1], key[2])
        return res

    def resolve_entity(self, entity: EntityMatch) -> ResolvedEntity:
        """A Calico EntityRule lowered into the resolved form."""
        res = self._entities.get(entity)
        if res is None:
            res = self._entities[entity] = resolve_entity(self, entity)
        return res

    def applied_bits(self, peers: tuple[Peer, ...]) -> int:
        """Bitset of the pods an appliedTo / subject list covers (only pod members count)."""
        bits = self._applied.get(peers)
        if bits is None:
            bits = 0
            for peer in peers:
                bits |= self.resolve(peer).pods
            bits &= self._selectable
            self._applied[peers] = bits
        return bits

    def selects_pod(self, peers: tuple[Peer, ...], pod: Pod) -> bool:
        """Whether an appliedTo / subject list covers ``pod``."""
        return bool(self.applied_bits(peers) >> pod.index & 1)

    # --- plans ------------------------------------------------------------------------------
    def _items(self):
        """Every (slot, rule or isolating policy, pods it applies to) in evaluation order; a slot
        is (stage, direction, "rules" | "isolating")."""
        for stage in self.model.stages:
            for rule in self.rules_by_stage.get(stage.name, ()):
                yield (stage.name, rule.direction, "rules"), rule, self.applied_bits(rule.applied_to)
            for policy in self.policies_by_stage.get(stage.name, ()):
                if policy.isolates:
                    bits = self.applied_bits(policy.subject)
                    for direction in sorted(policy.isolates, key=lambda d: d.value):
                        yield (stage.name, direction, "isolating"), policy, bits

    def _index(self) -> None:
        """Invert "rule applies to pods" into "pod → its rules", once for all pods: the cost is
        the total number of (rule, pod) pairs, not rules × pods. Large clusters take the
        vectorised, grouped path (:meth:`_index_grouped`)."""
        n = len(self.inv.pods)
        if n >= GROUPED_INDEX_FROM:
            self._index_grouped()
            return
        self._by_pod = [{} for _ in range(n)]
        for slot, item, bits in self._items():
            while bits:
                low = bits & -bits
                self._by_pod[low.bit_length() - 1].setdefault(slot, []).append(item)
                bits ^= low

    def _index_grouped(self) -> None:
        """Pods whose rules are the same get one plan, found without a Python step per (pod, rule)
        pair: each (pod, direction) gets two independent 64-bit sums of random weights of its
        items plus their count, and pods with equal keys share the plan built from the first of
        them (a false merge needs two 64-bit collisions at once, about 2^-128 per pair)."""
        import numpy as np
        n = len(self.inv.pods)
        items, pods, item_of = [], [], []
        expanded: dict[int, np.ndarray] = {}  # the rules of a policy share its pods: expand each set once
        for slot, item, bits in self._items():
            if not bits:
                continue
            members = expanded.get(bits)
            if members is None:
                raw = bits.to_bytes(max(1, (n + 7) // 8), "little")
                members = expanded[bits] = np.flatnonzero(
                    np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:n])
            pods.append(members)
            item_of.append(np.full(len(members), len(items), np.int64))
            items.append((slot, item))
        self._items_list = items
        self._grouped = {}
        P = np.concatenate(pods) if pods else np.zeros(0, np.int64)
        X = np.concatenate(item_of) if item_of else np.zeros(0, np.int64)
        order = np.lexsort((X, P))  # by pod, then in evaluation order
        P, X = P[order], X[order]
        from .portsets import hash_weights
        weights = hash_weights(2 * max(1, len(items)), seed=20261202)
        w1, w2 = weights[:max(1, len(items))], weights[max(1, len(items)):]
        item_dir = np.array([slot[1] is Direction.EGRESS for slot, _ in items] or [False])
        for direction in Direction:
            keep = item_dir[X] == (direction is Direction.EGRESS)
            p, x = P[keep], X[keep]
            h1, h2, count = (np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.uint64))
            if len(p):
                starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
                owners = p[starts]
                h1[owners] = np.add.reduceat(w1[x], starts)
                h2[owners] = np.add.reduceat(w2[x], starts)
                count[owners] = np.diff(np.r_[starts, len(p)])
            _, first, group = np.unique(np.stack([h1, h2, count], axis=1), axis=0, return_index=True,
                                        return_inverse=True)
            bounds = (np.searchsorted(p, first, "left"), np.searchsorted(p, first, "right"))
            self._grouped[direction] = (group.reshape(-1), [x[a:b] for a, b in zip(*bounds)], {})

    def plan(self, pod: Pod, direction: Direction) -> tuple[StagePlan, ...]:
        """The stages, each with the rules that apply at ``pod`` for ``direction``, in order.
        Pods with the same rules get the same (identical) tuple, so ``id(plan)`` names a plan."""
        key = (pod.index, direction)
        plan = self._plans.get(key)
        if plan is None:
            if self._by_pod is None and self._grouped is None:
                self._index()
            if self._grouped is not None:
                group, entries, built = self._grouped[direction]
                g = int(group[pod.index])
                plan = built.get(g)
                if plan is None:
                    mine: dict = {}
                    for x in entries[g].tolist():
                        slot, item = self._items_list[x]
                        mine.setdefault(slot, []).append(item)
                    plan = built[g] = self._make_plan(mine, direction)
            else:
                plan = self._make_plan(self._by_pod[pod.index], direction)
            self._plans[key] = plan
        return plan

    def _make_plan(self, mine: dict, direction: Direction) -> tuple[StagePlan, ...]:
        parts = tuple((tuple(mine.get((stage.name, direction, "rules"), ())),
                       tuple(mine.get((stage.name, direction, "isolating"), ()))) for stage in self.model.stages)
        content = (direction, tuple((tuple(map(id, r)), tuple(map(id, i))) for r, i in parts))
        plan = self._plan_intern.get(content)
        if plan is None:  # pods with the same rules share one plan object (its id is a key)
            plan = self._plan_intern[content] = tuple(
                StagePlan(stage, r, i) for stage, (r, i) in zip(self.model.stages, parts))
        return plan


def _policy_order(policy: Policy) -> tuple:
    """Evaluation order of a stage's policies (priority/order, none last; then namespace, name), so
    that which policy an end-of-tier drop names does not depend on the order the objects were read
    in (files, a cluster listing sorted by name, a snapshot all give the same answer)."""
    try:
        priority = float(policy.ref.priority)
    except ValueError:
        priority = float("inf")
    return (priority, policy.ref.namespace, policy.ref.name, policy.ref.kind)


def compile_cluster(model: Model, inv: Inventory) -> CompiledCluster:
    """Bind ``model`` to ``inv``; selectors resolve lazily and are cached."""
    return CompiledCluster(model, inv)
