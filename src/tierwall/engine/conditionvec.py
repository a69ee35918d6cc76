"""Calico's EntityRule and L4 conditions as matrix vectors (the vectorised ``entity_matches``
and ``l4_matches`` of ``engine.match``).

An entity condition names the flow's source or destination, whatever the rule's direction; in
a walk that end is either the subject (one row) or the remote classes (one row each). So every
condition is computed once as a (ends × port classes) table over the class representatives —
row *c*: "that end is representative *c*" — plus, for the subject, one row of its own; a rule
then picks rows. The address conditions read the resolved form (``CompiledCluster
.resolve_entity``): selector / notSelector / nets / notNets are :class:`~.resolve.Resolved`
values, a Service is its backends and their target ports.

The matrix's flows never carry a source port: where an entity constrains source ports the
answer is "unknown" (``trace`` says: use --source-port), as the scalar matcher decides.
"""

from __future__ import annotations

import numpy as np

from ..addresses import parse_ip
from ..model import Direction, EntityMatch, L4Match, Rule
from .codes import Codes, mix, row_codes, unique_values
from .compile import CompiledCluster
from .flow import Endpoint
from .match import covering_part
from .portclasses import PortClass
from .portsets import pack
from .resolve import Resolved, ResolvedEntity

ECHO = (8, 0)


"""The ICMP type/code the matrix's ICMP class stands for (an echo request)."""


class ConditionVectors:
    """Entity and L4 tables of the rules a walk meets, cached per condition and subject."""

    def __init__(self, cc: CompiledCluster, member, endpoints: list[Endpoint], ports: list[PortClass], n_words: int):
        """``member(resolved)`` → bool vector over ``endpoints`` (the remote class
        representatives); ``ports`` the port classes, packed into ``n_words`` words."""
        self.cc, self.member, self.endpoints, self.n_w = cc, member, endpoints, n_words
        self.protocol = np.array([pc.protocol for pc in ports])
        self.port = np.array([pc.port if pc.port is not None else -1 for pc in ports], dtype=np.int64)
        self.cache: dict = {}
        self.rows: dict[bytes, int] = {}
        self.position = {id(ep): c for c, ep in enumerate(endpoints)}

    # --- tables over a set of ends --------------------------------------------------------------
    def _membership(self, res: Resolved, ends: list[Endpoint], remote: bool) -> np.ndarray:
        if remote:  # the representatives: from the matrix's cached vectors
            return self.member(res)
        return np.array([covering_part(res, ep) is not None for ep in ends], dtype=bool)

    def _named(self, name: str, protocol: str, ends: list[Endpoint]) -> np.ndarray:
        """Per end: its container port ``name``/``protocol`` (0 when none, or not a pod)."""
        return np.array([(ep.pod.named_port(name, protocol) or 0) if ep.is_pod else 0 for ep in ends], np.int64)

    def _in_ranges(self, ranges, ends: list[Endpoint]) -> np.ndarray:
        """(ends, port classes): the class's port is in ``ranges`` (a named port resolved on
        the end, which is a pod the side's selector selected: see ``entity_matches``)."""
        numeric = np.zeros(len(self.port), bool)
        for pr in ranges:
            if not pr.name:
                numeric |= (self.port >= pr.start) & (self.port <= pr.end)
        out = np.broadcast_to(numeric, (len(ends), len(self.port))).copy()
        for pr in ranges:
            if pr.name:
                for proto in unique_values(self.protocol[self.port >= 0]):
                    cols = (self.protocol == proto) & (self.port >= 0)
                    nums = self._named(pr.name, str(proto), ends)
                    out[:, cols] |= nums[:, None] == self.port[None, cols]
        return out

    def _entity(self, r: ResolvedEntity, ends: list[Endpoint], remote: bool) -> tuple:
        """(yes, maybe) bool tables (ends, port classes) of one EntityRule."""
        n = len(ends)
        ok = np.ones(n, bool)
        for res, want in ((r.nets, True), (r.not_nets, False), (r.selector, True), (r.not_selector, False)):
            if res is not None:
                hit = self._membership(res, ends, remote)
                ok &= hit if want else ~hit
        yes = np.broadcast_to(ok[:, None], (n, len(self.port))).copy()
        if r.backends is not None:
            backend = np.array([ep.ip in r.backends for ep in ends], bool)
            yes &= backend[:, None]
            if r.side == "destination":
                served = np.zeros_like(yes)
                for k in np.flatnonzero(backend):
                    ip = ends[k].ip
                    served[k] = [(ip, p, int(q)) in r.backend_ports for p, q in zip(self.protocol, self.port)]
                yes &= served
        maybe = np.zeros_like(yes)
        if r.ports is not None or r.not_ports:
            if r.side == "source":  # the matrix's flows have no source port
                return np.zeros_like(yes), yes
            if r.ports is not None:
                yes &= self._in_ranges(r.ports, ends)
            if r.not_ports:
                yes &= ~self._in_ranges(r.not_ports, ends)
        return yes, maybe

    def _l4(self, l4: L4Match, ends: list[Endpoint]) -> np.ndarray:
        """(ends, port classes) of L4 criteria, ``ends`` being the flow's destination."""
        proto = self.protocol
        cols = np.ones(len(proto), bool)
        if l4.protocol is not None:
            cols &= proto == l4.protocol
        if l4.not_protocol is not None:
            cols &= proto != l4.not_protocol
        if l4.icmp is not None:
            t, c = l4.icmp
            cols &= (proto == "ICMP") & (ECHO[0] == t) & (c is None or ECHO[1] == c)
        if l4.not_icmp is not None:
            t, c = l4.not_icmp
            cols &= ~((proto == "ICMP") & (ECHO[0] == t) & (c is None or ECHO[1] == c))
        out = np.broadcast_to(cols, (len(ends), len(proto))).copy()
        if l4.ip_version is not None:
            out &= np.array([parse_ip(ep.ip).version == l4.ip_version for ep in ends], bool)[:, None]
        return out

    # --- packed tables, cached ---------------------------------------------------------------
    def _table(self, what, local: Endpoint | None):
        """Packed (yes, maybe-or-None) of an EntityMatch or L4Match over the remote classes
        (``local`` None) or the one row of ``local``."""
        key = (id(what), None if local is None else id(local))
        hit = self.cache.get(key)
        if hit is None and local is not None and id(local) in self.position:
            c = self.position[id(local)]  # the subject is a representative: its row is there
            yes, maybe = self._table(what, None)
            hit = self.cache[key] = (yes[c:c + 1], maybe[c:c + 1] if maybe is not None and maybe[c].any() else None,
                                     what, local)
        if hit is None:
            ends = self.endpoints if local is None else [local]
            if isinstance(what, EntityMatch):
                yes, maybe = self._entity(self.cc.resolve_entity(what), ends, local is None)
            else:
                yes, maybe = self._l4(what, ends), None
            hit = (pack(yes, self.n_w), pack(maybe, self.n_w) if maybe is not None and maybe.any() else None,
                   what, local)  # keep both alive: the key holds their ids
            self.cache[key] = hit
        return hit[0], hit[1]

    def remote_codes(self, rule: Rule, direction: Direction) -> Codes:
        """Codes of the remote classes by the rule's conditions on the remote end (conditions
        on the subject's end are one row for every remote class: they split nothing)."""
        remote_end = "destination" if direction is Direction.EGRESS else "source"
        out: Codes = None
        whats = [e for e in rule.entities if e.side == remote_end]
        if rule.l4 is not None and rule.l4.ip_version is not None and remote_end == "destination":
            whats.append(rule.l4)
        for what in whats:
            key = ("codes", id(what))
            hit = self.cache.get(key)
            if hit is None:
                hit = self.cache[key] = (row_codes(*self._table(what, None)), what)
            out = mix(out, hit[0])
        return out

    def local_signature(self, plan, local: Endpoint, direction: Direction) -> tuple:
        """What the conditions of a plan's rules see of the subject's own end: subjects with
        equal signatures (and equal other walk keys) get equal walks."""
        local_end = "source" if direction is Direction.EGRESS else "destination"
        out = []
        for sp in plan:
            for rule in sp.rules:
                whats = [e for e in rule.entities if e.side == local_end]
                if rule.l4 is not None and local_end == "destination":
                    whats.append(rule.l4)
                for what in whats:
                    yes, maybe = self._table(what, local)
                    row = yes.tobytes() + (maybe.tobytes() if maybe is not None else b"")
                    out.append(self.rows.setdefault(row, len(self.rows)))
        return tuple(out)

    def rule(self, rule: Rule, local: Endpoint, direction: Direction, rows: np.ndarray):
        """(yes, maybe-or-None) packed over (``rows`` of the remote classes or one broadcast
        row, words): every entity and L4 condition of ``rule`` at once (AND)."""
        remote_end = "destination" if direction is Direction.EGRESS else "source"
        tables = [self._table(e, None if e.side == remote_end else local) for e in rule.entities]
        if rule.l4 is not None:
            tables.append(self._table(rule.l4, None if remote_end == "destination" else local))
        yes = possible = None
        for y, m in tables:
            if y.shape[0] > 1:
                y, m = y[rows], (m[rows] if m is not None else None)
            p = y if m is None else y | m
            yes = y if yes is None else yes & y
            possible = p if possible is None else possible & p
        maybe = possible & ~yes
        return yes, (maybe if maybe.any() else None)
