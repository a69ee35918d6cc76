"""Calico GlobalNetworkPolicy / NetworkPolicy and (Global)NetworkSet → model.

Policy selection (spec/calico.md §1.2): a NetworkPolicy's selector is ANDed with its own
namespace; a GlobalNetworkPolicy's with its ``namespaceSelector`` (``pcns.`` labels, all() →
any namespaced endpoint); ``serviceAccountSelector`` with ``pcsa.`` labels. Types default as
the v3 API does; a raw ``crd.projectcalico.org/v1`` object without types reaches Felix with an
empty list, which governs both directions (§1.1, §2.4). Order inside a tier: ``order``
(none = last), then the name Calico stores (``<tier>.<name>``, ``<ns>/<tier>.<name>``).
"""

from __future__ import annotations

import ipaddress

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import AddressSet, Direction, Policy, PolicyRef, SelectorPeer
from ...selectors.calico import All, Compare, Has, Selector
from .labels import (NAMESPACE_LABEL, NAMESPACE_PREFIX, SERVICE_ACCOUNT_LABEL, SERVICE_ACCOUNT_PREFIX,
                     namespace_profile_labels)
from .rules import conj, lower_rule, parse_selector
from .tiers import DEFAULT_TIER, CalicoTier

SPEC_FIELDS = ("tier", "order", "selector", "types", "ingress", "egress", "serviceAccountSelector",
               "performanceHints", "namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward")
HOST_ONLY = ("doNotTrack", "preDNAT", "applyOnForward")
RAW_CRD_GROUP = "crd.projectcalico.org"
POLICY_KIND = {"GlobalNetworkPolicy": "GlobalNetworkPolicy", "NetworkPolicy": "CalicoNetworkPolicy"}
"""How results name these policies (a Calico NetworkPolicy must not read like a Kubernetes one)."""
NO_ORDER = float("inf")


def policy_tier(raw: RawObject, spec: dict, tiers: dict[str, CalicoTier]) -> str:
    """``spec.tier``; else a ``<tier>.`` name prefix naming a known tier; else ``default``."""
    if spec.get("tier"):
        return str(spec["tier"])
    prefix, dot, _ = raw.name.partition(".")
    if dot and prefix in tiers:
        return prefix
    return DEFAULT_TIER


def default_types(raw: RawObject, spec: dict) -> list[str]:
    if raw.group == RAW_CRD_GROUP:
        return ["Ingress", "Egress"]  # Felix reads an empty list as both directions
    if spec.get("egress") and not spec.get("ingress"):
        return ["Egress"]
    if spec.get("egress"):
        return ["Ingress", "Egress"]
    return ["Ingress"]


def lower_calico_policy(raw: RawObject, tiers: dict[str, CalicoTier], diags: Diagnostics) -> Policy | None:
    r = ObjectReader(raw, diags)
    glob = raw.kind == "GlobalNetworkPolicy"
    ns = None if glob else (raw.namespace or "default")
    allowed = SPEC_FIELDS if glob else tuple(f for f in SPEC_FIELDS if f not in ("namespaceSelector", *HOST_ONLY))
    spec = r.spec(allowed)
    if spec is None:
        return None
    for field in HOST_ONLY:
        if spec.get(field):
            r.warn(("spec", field), f"{field} only affects host endpoints and forwarded traffic, which are not "
                                    f"modelled; pod-to-pod verdicts are unaffected", "TW223")
    tier_name = policy_tier(raw, spec, tiers)
    tier = tiers.get(tier_name)
    if tier is None:
        r.error(("spec", "tier"), f"tier {tier_name} does not exist")
        return None
    order = r.number(spec, "order", ("spec",), float("-inf"), float("inf"), integer=False)
    sel = parse_selector(r, spec.get("selector"), ("spec", "selector"))
    sa = parse_selector(r, spec.get("serviceAccountSelector"), ("spec", "serviceAccountSelector"))
    if sa is not None:
        sa = sa.rewrite(lambda k: SERVICE_ACCOUNT_PREFIX + k, Has(SERVICE_ACCOUNT_LABEL))
    if glob:
        # global() is not allowed here (only in a rule's namespaceSelector)
        ns_term = parse_selector(r, spec.get("namespaceSelector"), ("spec", "namespaceSelector"))
        if ns_term is not None:
            ns_term = ns_term.rewrite(lambda k: NAMESPACE_PREFIX + k, Has(NAMESPACE_LABEL))
    else:
        ns_term = Compare(NAMESPACE_LABEL, "==", ns)
    subject_node = conj(sel if sel is not None else All(), ns_term, sa)
    types = spec.get("types") or default_types(raw, spec)
    if not isinstance(types, list) or any(t not in ("Ingress", "Egress") for t in types):
        r.error(("spec", "types"), f"types {types!r} must list only Ingress and/or Egress")
        types = []
    if r.failed:
        return None
    tiered = raw.name if raw.name.startswith(f"{tier_name}.") else f"{tier_name}.{raw.name}"
    backend_name = tiered if glob else f"{ns}/{tiered}"
    ref = PolicyRef(POLICY_KIND[raw.kind], ns or "", raw.name, raw.origin, tier=tier_name,
                    priority="" if order is None else str(order))
    subject = (SelectorPeer(Selector(subject_node, str(subject_node))),)
    sort_key = (NO_ORDER if order is None else float(order), backend_name)
    rules = []
    for direction, key in ((Direction.INGRESS, "ingress"), (Direction.EGRESS, "egress")):
        entries = r.sequence(spec, key, ("spec",)) or []
        if entries and direction.title not in types:
            r.warn(("spec", key), f"{key} rules are ignored: types {types} does not include {direction.title}")
            continue
        for i, entry in enumerate(entries):
            rule = lower_rule(r, ref, direction, i, entry, subject, tier.stage_name, sort_key, ns)
            if rule is not None:
                rules.append(rule)
    if r.failed:
        return None
    return Policy(ref, tier.stage_name, subject, frozenset(d for d in Direction if d.title in types), tuple(rules))


def lower_network_set(raw: RawObject, namespace_labels, diags: Diagnostics) -> AddressSet | None:
    """A (Global)NetworkSet: its labels (a namespaced one also carries its namespace and the
    namespace profile's ``pcns.`` labels, like a pod) and its nets."""
    r = ObjectReader(raw, diags)
    spec = r.spec(("nets", "allowedEgressDomains"))
    if spec is None:
        return None
    if spec.get("allowedEgressDomains"):
        r.warn(("spec", "allowedEgressDomains"), "allowedEgressDomains is resolved from DNS at run time and is "
                                                 "not modelled", "TW224")
    nets = []
    for i, item in enumerate(spec.get("nets") or []):
        try:
            nets.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            r.error(("spec", "nets", i), f"{item!r} is not a CIDR or an IP address")
    labels = {str(k): "" if v is None else str(v) for k, v in (raw.metadata.get("labels") or {}).items()}
    ns = ""
    if raw.kind == "NetworkSet":
        ns = raw.namespace or "default"
        labels = {**namespace_profile_labels(ns, namespace_labels(ns)), **labels, NAMESPACE_LABEL: ns}
    if r.failed:
        return None
    return AddressSet(raw.kind, ns, raw.name, tuple(sorted(labels.items())), tuple(nets))
