"""The Matrix page's data: namespace × namespace shares of allowed pairs, and drill-downs.

Everything comes from the matrix engine through the calls ``tierwall matrix`` makes
(``api.matrix`` for the verdicts, ``MatrixResult.group_counts`` for per-group counts, the
``render.matrix.group_of`` grouping); this module only picks rows and columns. A drill-down
(one source namespace × one destination namespace) groups the endpoints of those two
namespaces by workload or by pod and everything else into one group it does not show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .. import api
from ..cluster import Cluster
from ..engine.matrix import MatrixResult
from ..render.matrix import group_of

OTHER = "\x00other"
"""Group of the endpoints outside a drill-down (sorts first, never shown)."""

MAX_TABLE = 60
"""Namespaces up to which the page also prints the heatmap as an HTML table (readable without JS)."""

MAX_DRILL = 200
"""Rows/columns of a pod drill-down before it is cut (the page says so)."""


@dataclass
class Heat:
    """Counts for one grouping: ``allowed[port][i][j]`` of ``pairs[i][j]`` endpoint pairs."""

    rows: list[str]
    cols: list[str]
    ports: list[str]
    allowed: list[list[list[int]]]
    pairs: list[list[int]]
    samples: dict[str, str] = field(default_factory=dict)
    """Group → one pod in it (``ns/name``): what a click on a cell traces."""
    cut: int = 0
    """Rows or columns left out (over MAX_DRILL)."""

    def to_json(self, port: int) -> str:
        """One port class for the heatmap script, safe inside ``<script type=application/json>``."""
        doc = {"rows": self.rows, "cols": self.cols, "port": self.ports[port], "allowed": self.allowed[port],
               "pairs": self.pairs}
        return json.dumps(doc, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e") \
            .replace("&", "\\u0026")

    def share(self, port: int, i: int, j: int) -> float | None:
        n = self.pairs[i][j]
        return self.allowed[port][i][j] / n if n else None


def compute(cluster: Cluster) -> MatrixResult:
    """The full matrix with the default port classes (what ``tierwall matrix`` computes),
    without the Service columns: the page draws endpoint pairs and says where Services are."""
    return api.matrix(cluster, services=False)


def _samples(result: MatrixResult, labels: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for label, endpoint in zip(labels, result.endpoints):
        if endpoint.pod is not None:
            out.setdefault(label, endpoint.pod.key)
    return out


def namespaces(result: MatrixResult) -> Heat:
    labels = group_of(result, "namespace")
    names, counts, total = result.group_counts(labels)
    ports = [p.label for p in result.ports]
    allowed = [counts[:, a, :].tolist() for a in range(len(ports))]
    return Heat(names, names, ports, allowed, total.tolist(), _samples(result, labels))


def drill(result: MatrixResult, src_ns: str, dst_ns: str, by: str) -> Heat:
    """Workloads (``by="workload"``) or pods of ``src_ns`` (rows) × those of ``dst_ns`` (columns)."""
    wanted = {src_ns, dst_ns}
    full = group_of(result, by)
    labels = [label if e.pod is not None and e.pod.namespace in wanted else OTHER
              for label, e in zip(full, result.endpoints)]
    ns_of = {label: e.pod.namespace for label, e in zip(labels, result.endpoints) if label != OTHER}
    names, counts, total = result.group_counts(labels)
    rows = [k for k, g in enumerate(names) if g != OTHER and ns_of[g] == src_ns]
    cols = [k for k, g in enumerate(names) if g != OTHER and ns_of[g] == dst_ns]
    cut = max(len(rows) - MAX_DRILL, len(cols) - MAX_DRILL, 0)
    rows, cols = rows[:MAX_DRILL], cols[:MAX_DRILL]
    ports = [p.label for p in result.ports]
    allowed = [counts[rows][:, a, :][:, cols].tolist() for a in range(len(ports))]
    pairs = total[rows][:, cols].tolist()
    return Heat([names[k] for k in rows], [names[k] for k in cols], ports, allowed, pairs,
                _samples(result, labels), cut)


def port_flow(result: MatrixResult, label: str) -> tuple[str, str]:
    """(port, protocol) of a port class's representative flow, for a trace link."""
    for pc in result.ports:
        if pc.label == label:
            return ("" if pc.port is None else str(pc.port)), pc.protocol
    return "", "TCP"
