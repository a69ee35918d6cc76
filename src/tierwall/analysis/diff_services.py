"""``diff`` on Service destinations: who reaches which Service port, before and after.

Both matrices carry their Service columns (``engine/services.py``: the flow addressed to the
Service, followed to every endpoint, as ``trace --to service/NS/NAME``). A Service port present
on both sides is compared for every source both sides have; a change is grouped by (source
group, Service, port, verdict before, verdict after) and explained by tracing one example
request to the Service on each side. Service ports on one side only are listed, not compared.
"""

from __future__ import annotations

import numpy as np

from ..cluster import Cluster
from ..engine import Request, trace
from ..engine.matrix import MatrixResult
from ..engine.services import NOT_APPLICABLE

NAMES = {1: "Allow", 2: "Drop", 3: "Reject", 4: "Unknown", NOT_APPLICABLE: "n/a"}


def _columns(m: MatrixResult) -> dict[str, int]:
    return {f"{t.name} {t.label}": k for k, t in enumerate(m.services.targets)} if m.services else {}


def _codes(m: MatrixResult, rows: np.ndarray, cols: list[int]) -> np.ndarray:
    """(rows, cols) codes of the given endpoints and Service columns, exceptions applied."""
    sm = m.services
    out = sm.codes[m.klass[rows]][:, cols].copy()
    where_row = {int(i): r for r, i in enumerate(rows)}
    where_col = {c: k for k, c in enumerate(cols)}
    for (i, t), code in sm.overrides.items():
        if i in where_row and t in where_col:
            out[where_row[i], where_col[t]] = code
    return out


def service_changes(before: Cluster, after: Cluster, mb: MatrixResult, ma: MatrixResult, common: list[str],
                    groups: dict[str, str], change_type) -> tuple[list, list[str], list[str]]:
    """(changes, Service ports only after, Service ports only before). ``common``: endpoint
    names on both sides; ``groups``: endpoint name → group; ``change_type``: the Change class."""
    cols_b, cols_a = _columns(mb), _columns(ma)
    shared = sorted(set(cols_b) & set(cols_a))
    added, removed = sorted(set(cols_a) - set(cols_b)), sorted(set(cols_b) - set(cols_a))
    if not shared or not common:
        return [], added, removed
    index_b = {n: i for i, n in enumerate(mb.names)}
    index_a = {n: i for i, n in enumerate(ma.names)}
    rows_b = np.array([index_b[n] for n in common])
    rows_a = np.array([index_a[n] for n in common])
    codes_b = _codes(mb, rows_b, [cols_b[k] for k in shared])
    codes_a = _codes(ma, rows_a, [cols_a[k] for k in shared])
    merged: dict[tuple, object] = {}
    for r, k in np.argwhere(codes_b != codes_a):
        src = common[int(r)]
        target = mb.services.targets[cols_b[shared[int(k)]]]
        key = (groups[src], target.name, target.label, NAMES[int(codes_b[r, k])], NAMES[int(codes_a[r, k])])
        change = merged.get(key)
        if change is None:
            merged[key] = change = change_type(*key, 0, (src, target.name), {}, {})
            change.before_reason = _reason(before, mb, index_b[src], target)
            change.after_reason = _reason(after, ma, index_a[src], ma.services.targets[cols_a[shared[int(k)]]])
        change.pairs += 1
    return list(merged.values()), added, removed


def _reason(cluster: Cluster, m: MatrixResult, i: int, target) -> dict:
    """Why the example request to the Service got its verdict on one side (trace's words)."""
    from .diff import _reason as decision_reason

    src = m.endpoints[i]
    if src.pod is None and src.host is None and target.service.type not in ("NodePort", "LoadBalancer"):
        return {"side": None, "policy": None, "rule": None, "origin": None,
                "explanation": f"{src.label} is outside the cluster: a ClusterIP Service is not reachable from there"}
    result = trace(cluster.compiled, Request(src, None, target.service, target.port.protocol, target.port.port))
    if result.special is not None:
        return decision_reason(result.special)
    verdict = result.verdict
    path = next((p for p in result.paths if p.verdict is verdict), result.paths[0])
    reason = decision_reason(path.decision)
    if result.mixed:
        reason["explanation"] = (f"endpoints disagree ({', '.join(sorted({p.verdict.value for p in result.paths}))}); "
                                 f"e.g. {path.flow.dst.label}: {reason['explanation']}")
    return reason
