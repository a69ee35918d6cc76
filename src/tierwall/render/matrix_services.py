"""The Service destinations of a matrix (``engine/services.py``) in every output.

A Service destination is one column per Service port, named ``svc:NS/NAME`` with the port the
client addresses (``UDP/53``): "TCP/53 to kube-system/kube-dns" is what a user asks, not the
pod port class the endpoints listen on. A cell is one verdict (not a port-class row), or n/a
where no path exists (an outside source and a ClusterIP Service). The pod-to-pod parts of the
outputs are unchanged; these sections come after them.
"""

from __future__ import annotations

import json
from typing import IO

import numpy as np

from ..engine.matrix import ALLOW, DROP, REJECT, UNKNOWN, MatrixResult
from ..engine.services import NOT_APPLICABLE

VERDICT = {ALLOW: "Allow", DROP: "Drop", REJECT: "Reject", UNKNOWN: "Unknown", NOT_APPLICABLE: None}
LETTER = {ALLOW: ".", DROP: "X", REJECT: "R", UNKNOWN: "?", NOT_APPLICABLE: "-"}
STYLE = {ALLOW: "green", DROP: "red", REJECT: "magenta", UNKNOWN: "yellow", NOT_APPLICABLE: "dim"}


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _verdicts(codes) -> list:
    return [VERDICT[int(c)] for c in codes]


def target_names(result: MatrixResult) -> list[str]:
    """``svc:NS/NAME UDP/53`` per Service column."""
    return [f"{t.name} {t.label}" for t in result.services.targets] if result.services else []


def group_service_counts(result: MatrixResult, group_of: list[str]) -> tuple[list[str], list[list]]:
    """Per (source group, Service column, verdict): how many sources of the group get it, as
    ``[group, column, verdict, sources]``, n/a cells left out (cost: classes refined by group
    × columns, in numpy)."""
    sm = result.services
    names = sorted(set(group_of))
    index = {g: k for k, g in enumerate(names)}
    gi = np.array([index[g] for g in group_of], dtype=np.int64)
    n_t = len(sm.targets)
    if not n_t or not len(gi):
        return names, []
    refined, sizes = np.unique(np.stack([result.klass, gi], axis=1), axis=0, return_counts=True)
    codes = sm.codes[refined[:, 0]].astype(np.int64)  # (refined, targets)
    keys = (refined[:, 1:2] * n_t + np.arange(n_t)[None, :]) * 8 + codes
    weights = np.broadcast_to(sizes[:, None], keys.shape)
    if sm.overrides:  # sources whose own verdict is not their class's: move their weight
        pairs = np.array(list(sm.overrides))
        moved = (gi[pairs[:, 0]] * n_t + pairs[:, 1]) * 8
        old = moved + sm.codes[result.klass[pairs[:, 0]], pairs[:, 1]]
        new = moved + np.array(list(sm.overrides.values()))
        keys = np.concatenate([keys.ravel(), old, new])
        weights = np.concatenate([weights.ravel(), -np.ones(len(old), np.int64), np.ones(len(new), np.int64)])
    keep = keys.ravel() % 8 != NOT_APPLICABLE
    uniq, inverse = np.unique(keys.ravel()[keep], return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=weights.ravel()[keep], minlength=len(uniq))
    entries = [[k // 8 // n_t, k // 8 % n_t, VERDICT[k % 8], n]
               for k, n in zip(uniq.tolist(), np.rint(total).astype(np.int64).tolist()) if n > 0]
    return names, entries


def write_json(result: MatrixResult, by: str, out: IO[str], groups: list[str] | None = None) -> None:
    """The Service sections of the ConnectivityMatrix document (see docs/matrix-format.md)."""
    sm = result.services
    if sm is None:
        return
    out.write(',"serviceTargets":' + _dump([t.to_dict() for t in sm.targets]))
    names = result.names or [e.label for e in result.endpoints]
    if by == "class":
        out.write(',"serviceCells":[')
        for c in range(len(result.reps)):
            out.write(("," if c else "") + _dump(_verdicts(sm.codes[c])))
        out.write('],"serviceExceptions":' + _dump([
            {"from": names[i], "to": sm.targets[t].name, "port": sm.targets[t].label, "verdict": VERDICT[code]}
            for (i, t), code in sorted(sm.overrides.items())]))
    elif by == "pod":
        out.write(',"serviceMatrix":[')
        for i in range(result.size):
            out.write(("," if i else "") + _dump(_verdicts(sm.row(result.klass, i))))
        out.write("]")
    else:
        _, entries = group_service_counts(result, groups)
        out.write(',"serviceCells":' + _dump(entries))


def csv_rows(result: MatrixResult, by: str, group_of: list[str] | None = None):
    """CSV rows in the shape of the pod rows: ``from, svc:NS/NAME, allowed, rejected, unknown``
    with the Service ports in each column (dropped ports in none); outside sources to
    ClusterIP Services (n/a, no path) are not written. Group views: ``from, svc, sources,
    of, ...`` per distinct verdict row of the Service."""
    sm = result.services
    if sm is None or not sm.targets:
        return
    by_service: dict[str, list[int]] = {}
    for t, target in enumerate(sm.targets):
        by_service.setdefault(target.name, []).append(t)

    def texts(codes) -> list[str]:
        out = []
        for code in (ALLOW, REJECT, UNKNOWN):
            out.append(_ports([sm.targets[t] for t, c in codes if c == code]))
        return out

    if by in ("workload", "namespace"):
        names, counts = np.unique(np.array(group_of), return_counts=True)
        member = dict(zip(names.tolist(), counts.tolist()))
        index = {g: k for k, g in enumerate(names.tolist())}
        gi = np.array([index[g] for g in group_of], dtype=np.int64)
        special = sorted({i for i, _ in sm.overrides})
        plain = np.ones(result.size, bool)
        plain[special] = False
        refined, sizes = np.unique(np.stack([result.klass[plain], gi[plain]], axis=1), axis=0, return_counts=True)
        sources = [(int(g), sm.codes[c], int(n)) for (c, g), n in zip(refined.tolist(), sizes.tolist())]
        sources += [(int(gi[i]), sm.row(result.klass, i), 1) for i in special]
        rows: dict[tuple[int, str, tuple], int] = {}
        for g, row, n in sources:
            for svc, ts in by_service.items():
                codes = tuple((t, int(row[t])) for t in ts)
                if all(c == NOT_APPLICABLE for _, c in codes):
                    continue
                rows[(g, svc, codes)] = rows.get((g, svc, codes), 0) + n
        for (g, svc, codes), n in sorted(rows.items()):
            yield [names[g], svc, n, member[names[g]], *texts(codes)]
        return
    if by == "class":
        sources = [(f"class {c}", sm.codes[c]) for c in range(len(result.reps))]
    else:
        names = result.names or [e.label for e in result.endpoints]
        sources = ((names[i], sm.row(result.klass, i)) for i in range(result.size))
    for src, row in sources:
        for svc, ts in by_service.items():
            codes = [(t, int(row[t])) for t in ts]
            if all(c == NOT_APPLICABLE for _, c in codes):
                continue
            yield [src, svc, *texts(codes)]


def _ports(targets) -> str:
    by_proto: dict[str, list[str]] = {}
    for t in targets:
        by_proto.setdefault(t.port.protocol, []).append(str(t.port.port))
    return "; ".join(f"{proto} {','.join(ports)}" for proto, ports in by_proto.items())


def render_table(result: MatrixResult, by: str, console, sources: list[int] | None, names: list[str],
                 limit: int, groups: list[str] | None = None) -> None:
    """The Service columns for the rows the pod/class table shows (``sources``: endpoint
    indexes) or, for group views, share of sources per group (``groups``: each endpoint's)."""
    from rich.table import Table

    sm = result.services
    if sm is None or not sm.targets:
        return
    cols = list(range(min(limit, len(sm.targets))))
    table = Table(title="Services (rows: from, columns: to Service port)", title_justify="left", pad_edge=False)
    table.add_column("from \\ to", no_wrap=True)
    for t in cols:
        table.add_column(f"{sm.targets[t].name.removeprefix('svc:')} {sm.targets[t].label}", justify="center",
                         overflow="fold", max_width=18)
    if sources is not None:
        for name, i in zip(names, sources):
            row = sm.codes[i] if by == "class" else sm.row(result.klass, i)
            table.add_row(name, *[f"[{STYLE[int(row[t])]}]{LETTER[int(row[t])]}[/]" for t in cols])
    else:
        group_names, entries = group_service_counts(result, groups)
        shown = group_names[:limit]
        allowed: dict[tuple[int, int], int] = {}
        counted: dict[tuple[int, int], int] = {}
        for g, t, verdict, n in entries:
            if verdict is not None:
                counted[(g, t)] = counted.get((g, t), 0) + n
            if verdict == "Allow":
                allowed[(g, t)] = allowed.get((g, t), 0) + n
        for g, name in enumerate(shown):
            cells = []
            for t in cols:
                ok, total = allowed.get((g, t), 0), counted.get((g, t), 0)
                text = "-" if total == 0 else "all" if ok == total else "none" if ok == 0 else f"some {ok}/{total}"
                cells.append(f"[{'green' if text == 'all' else 'red' if text == 'none' else 'yellow'}]{text}[/]")
            table.add_row(name, *cells)
    console.print(table)
    if len(sm.targets) > len(cols):
        console.print(f"[dim]showing {len(cols)} of {len(sm.targets)} Service ports; use -o csv or -o json "
                      f"for all of them[/]")
