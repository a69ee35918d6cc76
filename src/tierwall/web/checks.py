"""The Check page's data: ConnectivityTest results, lint findings, and the fleet table.

Tests are those among the inputs plus ``--tests``, run by ``api.check`` exactly as
``tierwall check`` runs them; findings come from ``api.lint``. The fleet compliance table
is ``tierwall.fleet.check_fleet``'s report (what ``tierwall fleet check -o json`` prints), cut
into rows and cells by the fleet report module's own ``cell`` and ``failure_lines``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import api
from ..cluster import Cluster
from ..errors import Diagnostic, Diagnostics, InputError, UsageError
from ..expect import CheckReport
from ..fleet import check_fleet
from ..fleet.report import cell, failure_lines


@dataclass
class CheckView:
    report: CheckReport | None = None
    problem: str = ""
    """Why no report: no ConnectivityTest given, or a usage error."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Errors and warnings met reading or running the tests."""

    @property
    def failed(self):
        return self.report.failed if self.report else []


def run_checks(cluster: Cluster, test_paths: list[str]) -> CheckView:
    diags = Diagnostics()
    try:
        report = api.check(cluster, test_paths, diagnostics=diags)
    except InputError as exc:
        return CheckView(None, "the tests cannot be run as written", list(exc.diagnostics) +
                         [d for d in diags.items if d.severity.value != "error"])
    except UsageError as exc:
        return CheckView(None, str(exc), list(diags.items))
    return CheckView(report, "", list(diags.items))


def trace_query(result) -> dict[str, str]:
    """The Traceflow page's query string for one case result: pods by name, anything else by
    address, a Service destination as the Service (so the trace fans out as the case did)."""
    if result.path is None:
        return {}
    flow = result.path.flow

    def name(ep) -> str:
        return ep.pod.key if ep.pod is not None else ep.ip

    query = {"from": name(flow.src), "to": f"service/{flow.service.key}" if flow.service else name(flow.dst),
             "protocol": result.case.protocol}
    if result.port is not None:
        query["port"] = str(result.case.port if flow.service else result.port)
    return query


def run_lint(cluster: Cluster):
    return api.lint(cluster)


FLEET_EXECUTOR = "serial"
"""The server checks a fleet's clusters one after the other, in its background thread: forking
worker processes from a threaded server is not safe (``tierwall fleet check`` uses processes)."""


@dataclass
class FleetRow:
    cluster: str
    groups: list[str]
    status: str
    cells: list[tuple[str, str]]
    """(text, css class) per test: ``✓ 5/5``, ``✗ 1/2``, ``·`` (not in the cluster's groups), ``error``."""
    delivery: str


@dataclass
class FleetView:
    path: str | None
    message: str
    report: dict | None = None
    rows: list[FleetRow] = field(default_factory=list)
    failures: list[tuple[str, dict, dict]] = field(default_factory=list)
    """(cluster, case, failing pair) — the pair in ``check -o json``'s result shape."""
    errors: list[Diagnostic] = field(default_factory=list)
    """Fleet-level input errors (the Fleet file, policy sets, tests): no cluster ran."""


def _delivery(delivery: dict | None) -> str:
    if not delivery:
        return "—"
    parts = [f"{delivery['delivered']} objects"]
    for key in ("drifted", "pruned", "orphaned"):
        if delivery.get(key):
            parts.append(f"{len(delivery[key])} {key}")
    return ", ".join(parts)


def run_fleet(path: str | None) -> FleetView:
    """The clusters × tests compliance table of ``tierwall fleet check PATH``."""
    if path is None:
        return FleetView(None, "")
    try:
        report = check_fleet(path, executor=FLEET_EXECUTOR)
    except InputError as exc:
        return FleetView(path, f"The fleet file {path} cannot be used; no cluster was checked.",
                         errors=list(exc.diagnostics))
    except UsageError as exc:
        return FleetView(path, str(exc))
    css = {"green": "ok", "bold red": "fail", "dim": "absent"}
    rows = [FleetRow(r["cluster"], r["groups"], r["status"],
                     [(text, css.get(style, "")) for text, style in
                      (cell(r, t) for t in report["tests"])], _delivery(r.get("delivery")))
            for r in report["clusters"]]
    s = report["summary"]
    message = (f"{s['clusters']} clusters: {s['passed']} compliant, {s['failed']} failing, {s['errors']} with "
               f"unusable input; {s['failedCases']} of {s['cases']} cases failed")
    return FleetView(path, message, report, rows, failure_lines(report))
