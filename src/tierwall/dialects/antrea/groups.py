"""Antrea ClusterGroup and Group → :class:`GroupPeer` members.

Semantics (spec/antrea.md §1.4): at most one member kind, except namespaceSelector with
podSelector; a Group's podSelector selects in its own namespace; serviceReference is the
Service's selected pods (no port); childGroups is the union of the children, one level
deep. A missing child contributes nothing; nesting deeper than one level resolves the
whole group to no members (``ChildGroupsNestingExceeded``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Diagnostics
from ...load import ObjectReader, RawObject
from ...model import GroupPeer, NamespaceScope, NodePeer, NothingPeer, Peer, PodPeer
from ...selectors import EVERYTHING, LabelSelector, parse_label_selector
from ..common import parse_ipblock
from ..contract import ServiceLookup

MEMBER_FIELDS = ("podSelector", "namespaceSelector", "nodeSelector", "externalEntitySelector",
                 "serviceReference", "ipBlock", "ipBlocks", "childGroups")


@dataclass
class GroupDef:
    """A parsed group before its children are resolved."""

    kind: str  # ClusterGroup | Group
    namespace: str
    name: str
    raw: RawObject
    own: tuple[Peer, ...]
    children: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


def parse_group(raw: RawObject, diags: Diagnostics, services: "ServiceLookup") -> GroupDef | None:
    r = ObjectReader(raw, diags)
    cluster = raw.kind == "ClusterGroup"
    ns = "" if cluster else (raw.namespace or "default")
    spec = r.spec(MEMBER_FIELDS)
    if spec is None:
        return None
    allowed = MEMBER_FIELDS if cluster else tuple(f for f in MEMBER_FIELDS if f not in ("nodeSelector", "ipBlock"))
    set_fields = [f for f in MEMBER_FIELDS if spec.get(f) not in (None, [], {})
                  or (f in ("podSelector", "namespaceSelector") and spec.get(f) == {})]
    pairs = ({"namespaceSelector", "podSelector"}, {"namespaceSelector", "externalEntitySelector"})
    if len(set_fields) > 2 or (len(set_fields) == 2 and set(set_fields) not in pairs) or \
            any(f not in allowed for f in set_fields):
        names = ", ".join(f for f in allowed if f != "namespaceSelector")
        r.error(("spec",), f"At most one of {names} can be set for a {raw.kind} "
                           f"(namespaceSelector may go with podSelector or externalEntitySelector)")
        return None
    own: list[Peer] = []
    pods = parse_label_selector(spec.get("podSelector"), r.report, ("spec", "podSelector"))
    nss = parse_label_selector(spec.get("namespaceSelector"), r.report, ("spec", "namespaceSelector"))
    if "externalEntitySelector" in set_fields:
        r.warn(("spec", "externalEntitySelector"), "externalEntitySelector (VMs, external entities) is not "
                                                   "modelled: this group selects no external entity", "TW212")
    if nss is not None and "externalEntitySelector" not in set_fields:
        own.append(PodPeer(NamespaceScope("selector", selector=nss), pods or EVERYTHING))
    elif pods is not None:
        scope = NamespaceScope("all") if cluster else NamespaceScope("names", frozenset({ns}))
        own.append(PodPeer(scope, pods))
    if spec.get("nodeSelector") is not None:
        nodes = parse_label_selector(spec["nodeSelector"], r.report, ("spec", "nodeSelector"))
        if nodes is not None:
            own.append(NodePeer(nodes))
    blocks = list(spec.get("ipBlocks") or [])
    paths = [("spec", "ipBlocks", i) for i in range(len(blocks))]
    if spec.get("ipBlock"):
        blocks.append(spec["ipBlock"])
        paths.append(("spec", "ipBlock"))
    for block, path in zip(blocks, paths):
        peer = parse_ipblock(r, block, path)
        if peer is not None:
            own.append(peer)
    ref = spec.get("serviceReference")
    if ref is not None:
        own.append(_service_members(r, ref, ns, services))
    children = spec.get("childGroups") or []
    if not isinstance(children, list) or not all(isinstance(c, str) for c in children):
        r.error(("spec", "childGroups"), "childGroups must be a list of group names")
        children = []
    if raw.name in children:
        r.error(("spec", "childGroups"), f"cannot set {raw.kind} {raw.name} as its own childGroup")
    if r.failed:
        return None
    return GroupDef(raw.kind, ns, raw.name, raw, tuple(own), tuple(children))


def _service_members(r: ObjectReader, ref, group_ns: str, services: "ServiceLookup") -> Peer:
    path = ("spec", "serviceReference")
    if not isinstance(ref, dict) or not ref.get("name"):
        r.error(path, "serviceReference needs name and namespace")
        return NothingPeer("invalid serviceReference")
    r.known(ref, path, ("name", "namespace"))
    ns = ref.get("namespace") or group_ns
    if not ns:
        r.error(path + ("namespace",), "serviceReference needs a namespace in a ClusterGroup")
        return NothingPeer("invalid serviceReference")
    svc = services(f"{ns}/{ref['name']}")
    if svc is None:
        r.error(path, f"serviceReference names Service {ns}/{ref['name']}, which is not in the input")
        return NothingPeer(f"Service {ns}/{ref['name']} does not exist")
    if not svc.selector:
        r.warn(path, f"Service {svc.key} has no selector; Antrea ignores it in a group", "TW213")
        return NothingPeer(f"Service {svc.key} has no selector")
    return PodPeer(NamespaceScope("names", frozenset({svc.namespace})), LabelSelector.from_labels(svc.selector))


class GroupIndex:
    """Every ClusterGroup and Group, resolved to members on demand (memoised)."""

    def __init__(self, defs: list[GroupDef], diags: Diagnostics):
        self.defs = {d.key: d for d in defs}
        self.diags = diags
        self._resolved: dict[tuple, GroupPeer] = {}
        self._check_nesting()

    def _check_nesting(self) -> None:
        """The childGroups webhook rules, for groups that all exist in the input."""
        for d in self.defs.values():
            r = ObjectReader(d.raw, self.diags)
            for c in d.children:
                child = self.defs.get((d.kind, d.namespace, c))
                if child is None:
                    # A child that does not exist yet contributes nothing (picked up once created).
                    r.warn(("spec", "childGroups"), f"child {d.kind} {c} does not exist; it contributes no members",
                           "TW215")
                elif child.children:
                    r.warn(("spec", "childGroups"), f"cannot set {d.kind} {c} as childGroup, who has "
                                                    f"{len(child.children)} childGroups itself; Antrea "
                                                    f"resolves {d.name} to no members (ChildGroupsNestingExceeded)",
                           "TW214")

    def get(self, kind: str, namespace: str, name: str) -> GroupPeer | None:
        key = (kind, namespace, name)
        if key in self._resolved:
            return self._resolved[key]
        d = self.defs.get(key)
        if d is None:
            return None
        members: list[Peer] = list(d.own)
        for c in d.children:
            child = self.defs.get((kind, namespace, c))
            if child is None:
                continue  # reported once by _check_nesting
            if child.children:
                members = [NothingPeer(f"{kind} {name}: childGroups nested more than one level")]
                break
            members.extend(child.own)
        group = GroupPeer(kind, namespace, name, tuple(members))
        self._resolved[key] = group
        return group
