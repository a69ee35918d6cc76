"""The Traceflow page's data: a flow from the query string, traced through the public API.

The query string *is* the flow (``?from=dev/web-0&to=service/kube-system/kube-dns&port=53&
protocol=UDP``), so a trace is shared by copying the URL. Parsing, endpoint resolution and
errors are ``tierwall.api``'s, exactly as ``tierwall trace`` on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .. import api
from ..cluster import Cluster
from ..engine import TraceResult
from ..errors import UsageError
from ..render.trace_graph import TraceGraph, build_trace_graph, elements_json

MAX_CHOICES = 2000
"""Endpoints offered in the pickers' suggestion lists; any other can still be typed."""


@dataclass
class FlowForm:
    src: str = ""
    dst: str = ""
    port: str = ""
    protocol: str = "TCP"

    @classmethod
    def from_query(cls, q: Mapping[str, str]) -> "FlowForm":
        return cls(q.get("from", "").strip(), q.get("to", "").strip(), q.get("port", "").strip(),
                   (q.get("protocol", "TCP").strip() or "TCP").upper())

    @property
    def complete(self) -> bool:
        return bool(self.src and self.dst)


@dataclass
class TraceView:
    form: FlowForm
    result: TraceResult | None = None
    graph: TraceGraph | None = None
    elements: str = "[]"
    error: str = ""


@dataclass
class Choices:
    """Suggestions for the pickers: pods (and workloads), Services."""

    sources: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    total: int = 0


def choices(cluster: Cluster) -> Choices:
    inv = cluster.inventory
    pods = [p.key for p in inv.pods]
    services = [f"service/{key}" for key in sorted(inv.services)]
    return Choices(pods[:MAX_CHOICES], (services + pods)[:MAX_CHOICES], len(pods) + len(services))


def run(cluster: Cluster, form: FlowForm) -> TraceView:
    """Trace ``form``'s flow; a bad endpoint, port or protocol becomes ``error``, not a crash."""
    view = TraceView(form)
    if not form.complete:
        return view
    try:
        view.result = api.trace(cluster, form.src, form.dst, form.port or None, form.protocol)
    except UsageError as exc:
        view.error = str(exc)
        return view
    view.graph = build_trace_graph(view.result)
    view.elements = elements_json(view.graph)
    return view
