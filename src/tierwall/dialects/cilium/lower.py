"""cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy → model policies.

Cilium's evaluation (docs ``security/policy/intro.rst``, ``deny.rst``, ``layer3.rst``):

* every deny rule (``ingressDeny``/``egressDeny``) of every policy that selects the pod comes
  before every allow, whatever kind of policy holds either: the ``cilium:deny`` stage;
* the allows of CNPs, CCNPs and Kubernetes NetworkPolicies form one set: the ``cilium:allow``
  stage, the one where the CNI profile also puts NetworkPolicies;
* a pod is in default deny for a direction when a selecting policy has rules in that
  direction (allow or deny) and does not set ``enableDefaultDeny.<direction>: false``; it then
  drops at the end of the allow stage what no allow matched. Unselected pods are open.

A policy object is one or more rules (``spec`` and/or ``specs``); each becomes its own model
policy (``name``, ``name[0]``, ``name[1]`` …) because each has its own endpointSelector.
"""

from __future__ import annotations

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import Action, Direction, NoMatch, Policy, PolicyRef, Priority, Rule, Stage
from .peers import l3_fields, lower_l3
from .ports import lower_l4
from .profile import ALLOW_STAGE, DENY_STAGE
from .resources import CLUSTERWIDE, GROUP, KINDS, NAMESPACED, VERSION
from .selectors import parse_selector, subject_peer

STAGES = (Stage(DENY_STAGE, "Cilium deny rules (ingressDeny/egressDeny of every policy)", 0.0),
          Stage(ALLOW_STAGE, "Cilium allow rules and Kubernetes NetworkPolicies", 0.5,
                no_match=NoMatch.DROP_IF_SELECTED))
"""Deny first, then the one allow set whose end drops for pods in default deny."""

SPEC_FIELDS = ("endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny", "labels",
               "description", "enableDefaultDeny")
COMMON_RULE_FIELDS = ("toPorts", "icmps")
DECIDED, UNDECIDED = 0.0, 1.0
"""Sort order inside a stage: rules tierwall can decide before those it cannot (all rules of a
Cilium stage have the same action, so their order changes no verdict, only what is Unknown)."""


def lower_policies(raws: list[RawObject], diags: Diagnostics) -> tuple[list[Stage], list[Policy]]:
    policies: list[Policy] = []
    for raw in raws:
        policies.extend(lower_policy(raw, diags))
    return list(STAGES), policies


def lower_policy(raw: RawObject, diags: Diagnostics) -> list[Policy]:
    r = ObjectReader(raw, diags)
    if raw.kind not in KINDS:
        r.error(("kind",), f"{raw.kind} of {GROUP} is not modelled (policies: {', '.join(KINDS)})")
        return []
    if raw.api_version != f"{GROUP}/{VERSION}":
        r.error(("apiVersion",), f"unknown apiVersion {raw.api_version!r} for {raw.kind}; expected {GROUP}/{VERSION}")
        return []
    if not raw.name:
        r.error(("metadata", "name"), f"{raw.kind} has no name")
        return []
    r.known(raw.data, (), ("apiVersion", "kind", "metadata", "spec", "specs", "status"))
    namespace = (raw.namespace or "default") if raw.kind == NAMESPACED else None
    entries: list[tuple[tuple, object, str]] = []
    if raw.data.get("spec") is not None:
        entries.append((("spec",), raw.data["spec"], raw.name))
    for i, spec in enumerate(r.sequence(raw.data, "specs", ()) or []):
        entries.append((("specs", i), spec, f"{raw.name}[{i}]"))
    if not entries:
        r.error(("spec",), f"{raw.kind} needs spec or specs")
        return []
    out = []
    for path, spec, name in entries:
        policy = _lower_rule_set(r, path, spec, name, namespace)
        if policy is not None:
            out.append(policy)
    return [] if r.failed else out


def _lower_rule_set(r: ObjectReader, path: tuple, spec, name: str, namespace: str | None) -> Policy | None:
    """One Cilium ``Rule`` (a spec): its subject, its default-deny directions and its rules."""
    if not isinstance(spec, dict):
        r.error(path, "a policy spec must be a mapping")
        return None
    r.known(spec, path, SPEC_FIELDS)
    if spec.get("nodeSelector") is not None:
        r.warn(path + ("nodeSelector",), "host policies (nodeSelector) act on host traffic, which is not modelled; "
                                         "this rule set is left out", "TW218")
        return None
    if spec.get("endpointSelector") is None:
        r.error(path, "endpointSelector or nodeSelector is required")
        return None
    sel = parse_selector(r, spec["endpointSelector"], path + ("endpointSelector",))
    if sel is None:
        return None
    if sel.reserved:
        r.warn(path + ("endpointSelector",), f"an endpointSelector on reserved:{sel.reserved[0]} selects no pod; "
                                             f"host traffic is not modelled", "TW218")
    subject = () if sel.reserved or sel.nothing else (subject_peer(sel, namespace),)
    kind = NAMESPACED if namespace is not None else CLUSTERWIDE
    ref = PolicyRef(kind, namespace or "", name, r.raw.at(path))
    default_deny = _default_deny(r, spec, path)
    rules: list[Rule] = []
    isolates = set()
    for direction in Direction:
        has_rules = False
        for deny in (False, True):
            key = direction.value + ("Deny" if deny else "")
            entries = r.sequence(spec, key, path) or []
            has_rules = has_rules or bool(entries)
            for i, entry in enumerate(entries):
                rules.extend(_lower_rule(r, ref, subject, direction, deny, i, entry, path + (key, i), namespace))
        if has_rules and default_deny.get(direction.value, True):
            isolates.add(direction)
    return Policy(ref, ALLOW_STAGE, subject, frozenset(isolates), tuple(rules))


def _default_deny(r: ObjectReader, spec: dict, path: tuple) -> dict[str, bool]:
    value = r.mapping(spec, "enableDefaultDeny", path)
    if value is None:
        return {}
    r.known(value, path + ("enableDefaultDeny",), ("ingress", "egress"))
    out = {}
    for key in ("ingress", "egress"):
        v = value.get(key)
        if v is None:
            continue
        if not isinstance(v, bool):
            r.error(path + ("enableDefaultDeny", key), f"enableDefaultDeny.{key} must be true or false, not {v!r}")
            continue
        out[key] = v
    return out


def _lower_rule(r: ObjectReader, ref: PolicyRef, subject, direction: Direction, deny: bool, index: int, entry,
                path: tuple, namespace: str | None) -> list[Rule]:
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        r.error(path, "a rule must be a mapping")
        return []
    side = direction.value
    known = l3_fields(side, deny) + COMMON_RULE_FIELDS + tuple(
        k for k in ("fromRequires", "fromGroups") if side == "ingress") + tuple(
        k for k in ("toRequires", "toGroups") if side == "egress")
    r.known(entry, path, known)
    l3 = lower_l3(r, entry, path, side, namespace, deny)
    l4 = lower_l4(r, entry, path, deny)
    if not l3.named and not l4.named:
        return []  # `{}`: the direction is in default deny, nothing is allowed (or denied)
    peers = l3.peers if l3.named else None  # an L4-only rule: every peer on those ports
    action = Action.DROP if deny else Action.ALLOW
    stage = STAGES[0].name if deny else ALLOW_STAGE
    name = f"{side}Deny" if deny else ""
    origin = r.raw.at(path)

    def rule(ports, order: float, undecidable: str = "", who=peers) -> Rule:
        priority = Priority(order, 0, (ref.ref,), index, upstream_names=True)
        return Rule(ref, direction, index, name, action, subject, who, ports, stage, priority=priority,
                    origin=origin, undecidable=undecidable)

    out = []
    only_elsewhere = (l4.named and not l4.ports and l4.proxied) or (peers == () and (l3.fqdn or l3.unknown))
    if not only_elsewhere:
        out.append(rule(l4.ports, DECIDED))
    if l4.proxied:
        out.append(rule(tuple(l4.proxied), UNDECIDED, "L7 rules on these ports are decided by Cilium's proxy "
                                                      "at run time"))
    if l3.fqdn:  # after the decided rules: an FQDN match is Unknown, which must not hide an Allow
        out.append(rule(l4.ports, UNDECIDED, who=l3.fqdn))
    if l3.unknown:
        ports = None if not l4.named else (l4.ports or ()) + tuple(l4.proxied)
        out.append(rule(ports, UNDECIDED, "; ".join(l3.unknown), who=None))
    return out
