"""The Check page's data: ConnectivityTest results, lint findings, and the fleet table.

Tests are those among the inputs plus ``--tests``, run by ``api.check`` exactly as
``tierwall check`` runs them; findings come from ``api.lint``. The fleet compliance table
needs the fleet engine (``tierwall fleet check``); when this build has none, the page says
so rather than showing anything that looks like a fleet result.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from .. import api
from ..cluster import Cluster
from ..errors import Diagnostic, Diagnostics, InputError, UsageError
from ..expect import CheckReport


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


@dataclass
class FleetView:
    path: str | None
    available: bool
    message: str
    result: object = None


def fleet_engine():
    """The fleet module's check function, or ``None`` when this build has no fleet engine."""
    try:
        module = importlib.import_module("tierwall.fleet")
    except ImportError:
        return None
    return getattr(module, "check_fleet", None) or getattr(module, "check", None)


def fleet_view(path: str | None) -> FleetView:
    if path is None:
        return FleetView(None, False, "")
    if fleet_engine() is None:
        return FleetView(path, False, f"Fleet mode is unavailable: this build of tierwall has no fleet engine "
                                      f"(tierwall fleet check), so {path} is not evaluated. No fleet results are "
                                      f"shown.")
    return FleetView(path, False, f"Fleet mode: the fleet engine is present but this UI does not read its "
                                  f"results yet; run `tierwall fleet check` for {path}.")
