"""Antrea ClusterNetworkPolicy and NetworkPolicy → model :class:`Policy`, with the admission
webhook's checks (spec/antrea.md §6, pkg/controller/networkpolicy/validate.go) in the order
the webhook applies them.

Order inside a tier is (policy priority, rule index within its direction); a tie between
policies is broken by policy name, as ``antctl query networkpolicyevaluation`` does
(spec/antrea.md §0.2). Native policies never isolate: ``isolates`` is empty.
"""

from __future__ import annotations

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import Action, Direction, Policy, PolicyRef, Priority, Rule
from .peers import Context, parse_applied_to, parse_peer, parse_ports, parse_to_services
from .tiers import BASELINE_TIER, resolve_tier_name

SPEC_FIELDS = ("tier", "priority", "appliedTo", "ingress", "egress")
RULE_FIELDS = ("action", "name", "ports", "protocols", "l7Protocols", "enableLogging", "logLabel", "appliedTo")
ACTIONS = ("Allow", "Drop", "Reject", "Pass")
POLICY_KIND = {"ClusterNetworkPolicy": "ClusterNetworkPolicy", "NetworkPolicy": "AntreaNetworkPolicy"}
"""How policies are named in results: an Antrea NetworkPolicy must not read like a
Kubernetes one (Antrea's own Traceflow says AntreaNetworkPolicy too)."""
NSX_MANAGED_LABEL = "ccp-adapter.antrea.tanzu.vmware.com/managedBy"
NSX_DISPLAY_NAME = "ccp-adapter.antrea.tanzu.vmware.com/display-name"


def lower_antrea_policy(raw: RawObject, ctx: Context) -> Policy | None:
    diags: Diagnostics = ctx.diags
    r = ObjectReader(raw, diags)
    cluster = raw.kind == "ClusterNetworkPolicy"
    ns = "" if cluster else (raw.namespace or "default")
    if isinstance(raw.data.get("spec"), dict) and "subject" in raw.data["spec"]:
        r.error(("spec", "subject"), f"{raw.api_version} {raw.kind} has no subject: this looks like the upstream "
                                     f"ClusterNetworkPolicy, whose apiVersion is policy.networking.k8s.io/v1alpha2")
        return None
    spec = r.spec(SPEC_FIELDS)
    if spec is None:
        return None
    # 1. the tier must exist
    tier_name = resolve_tier_name(r.string(spec, "tier", ("spec",)))
    tier = ctx.tiers.get(tier_name)
    if tier is None:
        r.error(("spec", "tier"), f"tier {tier_name} does not exist")
        return None
    priority = r.number(spec, "priority", ("spec",), 1.0, 10000.0, required=True, integer=False)
    directions = []
    for direction, key in ((Direction.INGRESS, "ingress"), (Direction.EGRESS, "egress")):
        entries = r.sequence(spec, key, ("spec",)) or []
        for i, e in enumerate(entries):
            if not isinstance(e, dict):
                r.error(("spec", key, i), "a rule must be a mapping")
        directions.append((direction, key, [e if isinstance(e, dict) else {} for e in entries]))
    all_rules = [(d, k, i, e) for d, k, entries in directions for i, e in enumerate(entries)]
    # 2. no Pass in the baseline tier
    if tier_name.lower() == BASELINE_TIER:
        for _, k, i, e in all_rules:
            if e.get("action") == "Pass":
                r.error(("spec", k, i, "action"), "`Pass` action should not be set for Baseline Tier policy rules")
    # 3. rule names unique across both directions
    seen: dict[str, tuple] = {}
    for _, k, i, e in all_rules:
        name = r.string(e, "name", ("spec", k, i))
        if name:
            if name in seen:
                r.error(("spec", k, i, "name"), "rules names must be unique within the policy")
            seen[name] = (k, i)
    # 4. appliedTo placement
    policy_level = bool(spec.get("appliedTo"))
    rule_level = [bool(e.get("appliedTo")) for _, _, _, e in all_rules]
    if policy_level and any(rule_level):
        r.error(("spec", "appliedTo"), "appliedTo should not be set in both spec and rules")
        return None
    if not policy_level and not any(rule_level):
        r.error(("spec",), "appliedTo needs to be set in either spec or rules")
        return None
    if not policy_level and not all(rule_level):
        r.error(("spec",), "appliedTo field should either be set in all rules or in none of them")
        return None
    subject = parse_applied_to(r, ctx, spec["appliedTo"], ("spec", "appliedTo"), cluster, ns) \
        if policy_level else ()
    if priority is None or r.failed:
        return None
    md = raw.metadata
    managed = "NSX (ccp-adapter)" if (md.get("labels") or {}).get(NSX_MANAGED_LABEL) else ""
    display = (md.get("annotations") or {}).get(NSX_DISPLAY_NAME, "")
    ref = PolicyRef(POLICY_KIND[raw.kind], ns, raw.name, raw.origin, tier=tier_name, priority=_fmt(priority),
                    managed_by=f"{managed}: {display}" if managed and display else managed,
                    display_name=str(display) if display else "")
    rules: list[Rule] = []
    for d, k, i, e in all_rules:
        rule = _lower_rule(r, ctx, ref, d, k, i, e, subject, cluster, ns, float(priority), tier.stage_name)
        if rule is not None:
            rules.append(rule)
    if r.failed:
        return None
    if not policy_level:
        union = []
        for rule in rules:
            union.extend(p for p in rule.applied_to if p not in union)
        subject = tuple(union)
    return Policy(ref, tier.stage_name, subject, frozenset(), tuple(rules))


def _lower_rule(r: ObjectReader, ctx: Context, ref: PolicyRef, direction: Direction, key: str, index: int,
                entry: dict, subject, cluster: bool, ns: str, priority: float, stage: str) -> Rule | None:
    path = ("spec", key, index)
    egress = direction is Direction.EGRESS
    peer_key = "to" if egress else "from"
    r.known(entry, path, RULE_FIELDS + ((peer_key, "toServices") if egress else (peer_key,)))
    action = r.string(entry, "action", path, required=True, choices=ACTIONS)
    if action is None:
        return None
    applied = subject
    if entry.get("appliedTo"):
        applied = parse_applied_to(r, ctx, entry["appliedTo"], path + ("appliedTo",), cluster, ns)
        if applied is None:
            return None
    peers = None
    raw_peers = r.sequence(entry, peer_key, path)
    if raw_peers:
        parsed = [parse_peer(r, ctx, p, path + (peer_key, j), cluster, ns, egress) for j, p in enumerate(raw_peers)]
        peers = tuple(p for p in parsed if p is not None)
    if egress:
        services = parse_to_services(r, ctx, entry, path, ns, cluster)
        if services is not None:
            peers = services
    ports = parse_ports(r, entry, path)
    undecidable = ""
    l7 = r.sequence(entry, "l7Protocols", path)
    if l7:
        if action != "Allow":
            r.error(path + ("l7Protocols",), "layer 7 protocols only support Allow")
        if entry.get("toServices"):
            r.error(path + ("l7Protocols",), "layer 7 protocols cannot be used with toServices")
        kinds = sorted({k for p in l7 if isinstance(p, dict) for k in p})
        undecidable = (f"L7 rule ({', '.join(kinds) or 'l7Protocols'}): traffic that matches L3/L4 goes to the L7 "
                       f"engine, which allows matching requests and drops the others")
    name = entry.get("name") if isinstance(entry.get("name"), str) else ""
    return Rule(ref, direction, index, name, Action(action), applied, peers, ports, stage,
                priority=Priority(priority, index, (ref.name, ref.namespace, ref.kind), index),
                origin=r.raw.at(path), undecidable=undecidable)


def _fmt(priority: float) -> str:
    return str(int(priority)) if float(priority).is_integer() else repr(float(priority))
