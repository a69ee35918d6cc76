"""Verdicts that rest on an address tierwall made up.

Pods dumped without ``status.podIP`` (and pods synthesized from workloads) get an address from
their node's podCIDR or the pod range (``inventory/ipam.py``). Selectors do not care, but an
ipBlock, a Calico ``nets`` list or a NetworkSet compares that address with a CIDR: the outcome
is then a consequence of tierwall's choice, not of the cluster. This module finds, for one
traced flow, every rule looked at whose address test involved such an address, so the trace
can say so instead of deciding silently.
"""

from __future__ import annotations

from ..model import Rule
from .flow import Endpoint, Flow
from .result import PathTrace, SideTrace


def _net_tests(res) -> list[str]:
    """Descriptions of the parts of a resolved peer that match by address: its CIDRs (inside
    their groups) and the address sets its label expressions match."""
    out = ["".join(f"{g}: " for g in part.groups) + (f"{part.via} (nets)" if part.via else part.label)
           for part in res.nets]
    return list(dict.fromkeys(out))  # an address set with several nets is one test


def address_tests(cc, rule: Rule, flow: Flow, remote: Endpoint) -> list[tuple[Endpoint, str]]:
    """Each (endpoint, condition) where ``rule`` compares an endpoint's address with a CIDR:
    its peers against the remote end, Calico entity ``nets`` against the end they name."""
    out = [(remote, what) for peer in rule.peers or () for what in _net_tests(cc.resolve(peer))]
    for entity in rule.entities:
        if entity.nets or entity.not_nets:
            end = flow.src if entity.side == "source" else flow.dst
            nets = ",".join(str(n) for n in (entity.nets or ())) or ""
            if entity.not_nets:
                nets += (" " if nets else "") + "notNets " + ",".join(str(n) for n in entity.not_nets)
            out.append((end, f"{entity.side} nets {nets}"))
        resolved = cc.resolve_entity(entity)
        end = flow.src if entity.side == "source" else flow.dst
        for res in (resolved.selector, resolved.not_selector):
            if res is not None:
                out.extend((end, what) for what in _net_tests(res))
    return out


def _invented(endpoint: Endpoint) -> bool:
    return endpoint.pod is not None and endpoint.pod.ip_assigned and not endpoint.pod.host_network


def _side_notes(cc, flow: Flow, side: SideTrace, decisive: Rule | None) -> list[str]:
    remote = flow.dst if side.side == "egress" else flow.src
    notes = []
    for stage in side.stages:
        for step in stage.rules:
            tests = [(e, what) for e, what in address_tests(cc, step.rule, flow, remote) if _invented(e)]
            if not tests:
                continue
            end, what = tests[0]
            who = f"{end.pod.key} has no status.podIP; tierwall invented {end.ip}"
            if step.rule is decisive:
                notes.append(f"the verdict rests on an invented address: {who}, and {step.rule.policy.ref} "
                             f"{step.rule.label} decided by comparing it with {what} (give the pod's real IP, or "
                             f"set the range with --pod-cidr)")
            else:
                notes.append(f"{step.rule.policy.ref} {step.rule.label} compared an invented address with {what} "
                             f"({who}); with the pod's real address the verdict may differ")
    return notes


def invented_address_notes(cc, path: PathTrace) -> list[str]:
    """Notes for ``path`` when a rule looked at tested an address tierwall made up."""
    flow = path.flow
    if not (_invented(flow.src) or _invented(flow.dst)):
        return []
    notes: list[str] = []
    for side in (path.egress, path.ingress):
        if side is not None and side.evaluated:
            notes += _side_notes(cc, flow, side, side.decision.rule)
    return list(dict.fromkeys(notes))
