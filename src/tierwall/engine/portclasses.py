"""Port classes ("atoms") for the matrix: the ports no rule can tell apart share one class.

Every port, range and named port a rule mentions (resolved to the numbers pods declare) cuts
the port space of its protocol into intervals; each interval some rule mentions is a class,
the rest of the space is one "any other port" class. A flow on any port of a class gets the
same verdict from every rule, so one representative port per class decides the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from ..errors import UsageError
from ..model import L4_PROTOCOLS, Model, PortMatch
from ..inventory import Inventory

MAX_PORT = 65535


@dataclass(frozen=True, slots=True)
class PortClass:
    """One column group of the matrix: ``protocol`` and a representative ``port`` (``None``
    for ICMP), and the label users see (``TCP/80``, ``TCP/8000-8080``, ``TCP/other``)."""

    protocol: str
    port: int | None
    label: str
    ranges: tuple[tuple[int, int], ...] = ()
    """The port intervals the class stands for (inclusive; empty for ICMP)."""


def _mentions(model: Model, inv: Inventory) -> dict[str, list[tuple[int, int]]]:
    """protocol → the (start, end) ranges rules mention; named ports become their numbers."""
    names: dict[tuple[str, str | None], set[int]] = {}
    for pod in inv.pods:
        for cp in pod.ports:
            if cp.name:
                names.setdefault((cp.name, cp.protocol), set()).add(cp.port)
                names.setdefault((cp.name, None), set()).add(cp.port)
    out: dict[str, list[tuple[int, int]]] = {}

    def add(protocols, start, end):
        for proto in protocols:
            out.setdefault(proto, []).append((start, end))

    for policy in model.policies:
        for rule in policy.rules:
            for pm in rule.ports or ():
                _add_port_match(pm, names, add, out)
            l4 = rule.l4
            protos = [l4.protocol] if l4 is not None and l4.protocol in L4_PROTOCOLS else list(L4_PROTOCOLS)
            if l4 is not None and l4.protocol == "ICMP":
                out.setdefault("ICMP", [])
            for entity in rule.entities:
                for pr in (entity.ports or ()) + entity.not_ports:
                    if pr.name:
                        for proto in protos:
                            for num in names.get((pr.name, proto), ()):
                                add([proto], num, num)
                    else:
                        add(protos, max(pr.start, 1), max(pr.end, 1))
    return out


def _add_port_match(pm: PortMatch, names, add, out) -> None:
    if pm.protocol == "ICMP":
        out.setdefault("ICMP", [])
        return
    if pm.protocol not in L4_PROTOCOLS and pm.protocol is not None:
        return
    protos = [pm.protocol] if pm.protocol else list(L4_PROTOCOLS)
    if pm.named:
        for proto in protos:
            for num in names.get((pm.named, proto), ()):
                add([proto], num, num)
        return
    for proto in protos:
        out.setdefault(proto, [])
    if pm.port is not None:
        add(protos, pm.port, pm.end_port if pm.end_port is not None else pm.port)


def default_port_classes(model: Model, inv: Inventory, *others: tuple[Model, Inventory]) -> list[PortClass]:
    """Every mentioned port interval per protocol, plus "other" per protocol. TCP, UDP and ICMP
    (echo) are always there, even when no rule names them: a view that showed only
    ``TCP/other`` would hide what ``ping`` and DNS get; so is the protocol of every Service
    port (an SCTP Service is a matrix destination even when no rule names SCTP).

    With ``others`` (e.g. the two sides of a diff), the classes are cut by every model's
    mentions, so each class is uniform under all of them.
    """
    mentions = _mentions(model, inv)
    for other_model, other_inv in others:
        for proto, ranges in _mentions(other_model, other_inv).items():
            mentions.setdefault(proto, []).extend(ranges)
    for always in ("TCP", "UDP", "ICMP"):
        mentions.setdefault(always, [])
    for service_inv in (inv, *(i for _, i in others)):  # Service ports are matrix columns: their protocol is a class
        for svc in service_inv.services.values():
            for sp in svc.ports:
                if sp.protocol in L4_PROTOCOLS:
                    mentions.setdefault(sp.protocol, [])
    classes: list[PortClass] = []
    for proto in [p for p in (*L4_PROTOCOLS, "ICMP") if p in mentions]:
        if proto == "ICMP":
            classes.append(PortClass("ICMP", None, "ICMP"))
            continue
        cuts = {1, MAX_PORT + 1}
        for start, end in mentions[proto]:
            cuts.add(start)
            cuts.add(end + 1)
        points = sorted(c for c in cuts if 1 <= c <= MAX_PORT + 1)
        at = {p: i for i, p in enumerate(points)}
        depth = [0] * len(points)  # per segment: how many mentioned ranges cover it (a sweep)
        for start, end in set(mentions[proto]):
            start, end = max(start, 1), min(end, MAX_PORT)
            if start <= end:
                depth[at[start]] += 1
                depth[at[end + 1]] -= 1
        covered = list(accumulate(depth))
        rest: list[tuple[int, int]] = []
        for k, (lo, hi) in enumerate(zip(points, points[1:])):
            end = hi - 1
            if covered[k] > 0:
                label = f"{proto}/{lo}" if lo == end else f"{proto}/{lo}-{end}"
                classes.append(PortClass(proto, lo, label, ((lo, end),)))
            else:
                rest.append((lo, end))
        if rest:
            classes.append(PortClass(proto, rest[0][0], f"{proto}/other", tuple(rest)))
    return classes


def parse_port_spec(text: str) -> PortClass:
    """``53/UDP``, ``80`` (TCP) or ``ICMP`` from the command line."""
    value = text.strip()
    if value.upper() == "ICMP":
        return PortClass("ICMP", None, "ICMP")
    port, _, proto = value.partition("/")
    proto = (proto or "TCP").upper()
    if proto not in L4_PROTOCOLS or not port.isdigit() or not 1 <= int(port) <= MAX_PORT:
        raise UsageError(f"--port {text!r}: expected PORT[/TCP|UDP|SCTP] or ICMP")
    return PortClass(proto, int(port), f"{proto}/{int(port)}", ((int(port), int(port)),))
