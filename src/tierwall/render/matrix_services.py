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
"""Verdict codes as JSON writes them (``None``: n/a, no path)."""
LETTER = {ALLOW: ".", DROP: "X", REJECT: "R", UNKNOWN: "?", NOT_APPLICABLE: "-"}
STYLE = {ALLOW: "green", DROP: "red", REJECT: "magenta", UNKNOWN: "yellow", NOT_APPLICABLE: "dim"}


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"))


MIXED = 5
"""In group views: the sources of the group do not all get the same verdict."""
VERDICTS = [VERDICT[NOT_APPLICABLE], *(VERDICT[c] for c in (ALLOW, DROP, REJECT, UNKNOWN)), "mixed"]
"""``serviceVerdicts`` of the JSON document: cells are indexes into it (= the codes)."""
_TOKENS = np.array([f",{k}".encode() for k in range(len(VERDICTS))], dtype="S2")


def _row(codes: np.ndarray) -> str:
    """A JSON list of small codes, built with numpy (rows of thousands of Service columns)."""
    return "[" + _TOKENS[codes].tobytes().decode()[1:] + "]"


def target_names(result: MatrixResult) -> list[str]:
    """``svc:NS/NAME UDP/53`` per Service column."""
    return [f"{t.name} {t.label}" for t in result.services.targets] if result.services else []


COLUMN_BLOCK = 512
"""Service columns counted at a time by :func:`group_service_counts`: all 6,400 columns of a
30,000-pod cluster at once made int32 temporaries of 200 MB per verdict."""


def group_service_counts(result: MatrixResult, group_of: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(group names, sources per group, counts): ``counts[code, group, column]`` = how many
    sources of the group get verdict ``code`` (NOT_APPLICABLE included) on that Service
    column. Cost: (distinct Service rows refined by group) × columns, in numpy."""
    sm = result.services
    names, gi = np.unique(np.array(group_of), return_inverse=True)
    gi = gi.reshape(-1).astype(np.int64)
    n_g, n_t = len(names), len(sm.targets)
    members = np.bincount(gi, minlength=n_g)
    # sources per group, in the narrowest type that holds the largest group: 5 × groups × columns
    # is 250 MB in int32 for the namespace view of 30,000 pods (2,000 groups × 6,400 Service ports)
    narrow = np.int16 if not len(members) or members.max() < 1 << 15 else np.int32
    counts = np.zeros((UNKNOWN + 1, n_g, n_t), narrow)
    if n_t and len(gi):
        # classes with the same Service row are alike here: refine groups by row, not by class
        table = np.ascontiguousarray(sm.codes)
        _, row_first, row_of = np.unique(table.view(np.dtype((np.void, table.shape[1]))).reshape(-1),
                                         return_index=True, return_inverse=True)
        n_rows = len(row_first)
        keys, sizes = np.unique(gi * n_rows + row_of.reshape(-1)[result.klass], return_counts=True)
        refined = np.stack([keys // n_rows, keys % n_rows], axis=1)
        starts = np.flatnonzero(np.r_[True, refined[1:, 0] != refined[:-1, 0]])
        weights = sizes.astype(np.int32)[:, None]
        first_of = row_first[refined[:, 1]]
        for lo in range(0, n_t, COLUMN_BLOCK):  # refined rows × a block of columns at a time
            codes = table[first_of, lo:lo + COLUMN_BLOCK]
            for code in range(UNKNOWN + 1):
                counts[code, refined[starts, 0], lo:lo + COLUMN_BLOCK] = np.add.reduceat(
                    np.where(codes == code, weights, 0), starts, axis=0)
        for (i, t), code in sm.overrides.items():  # sources whose own verdict is not their class's
            counts[sm.codes[result.klass[i], t], gi[i], t] -= 1
            counts[code, gi[i], t] += 1
    return names.tolist(), members, counts


def _group_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(groups, columns) int8 codes: the verdict every source of the group gets, or MIXED; and
    where it is one verdict. A code plane at a time, in int8: the whole-array form (a boolean
    copy of ``counts``, then three int64 groups × columns arrays) took 400 MB at 30,000 pods."""
    rows = np.zeros(counts.shape[1:], np.int8)
    seen = np.zeros(counts.shape[1:], np.int8)  # how many verdicts occur (at most UNKNOWN + 1)
    for code in range(len(counts)):
        here = counts[code] > 0
        seen += here
        rows[here] = code
    pure = seen <= 1
    rows[~pure] = MIXED
    return rows, pure


def write_json(result: MatrixResult, by: str, out: IO[str], groups: list[str] | None = None) -> None:
    """The Service sections of the ConnectivityMatrix document (see docs/matrix-format.md)."""
    sm = result.services
    if sm is None:
        return
    out.write(',"serviceTargets":' + _dump([t.to_dict() for t in sm.targets]))
    out.write(',"serviceVerdicts":' + _dump(VERDICTS))
    names = result.names or [e.label for e in result.endpoints]
    if by == "class":
        out.write(',"serviceCells":[')
        for c in range(len(result.reps)):
            out.write(("," if c else "") + _row(sm.codes[c]))
        out.write('],"serviceExceptions":' + _dump([
            {"from": names[i], "to": sm.targets[t].name, "port": sm.targets[t].label, "verdict": VERDICT[code]}
            for (i, t), code in sorted(sm.overrides.items())]))
    elif by == "pod":
        out.write(',"serviceMatrix":[')
        for i in range(result.size):
            out.write(("," if i else "") + _row(sm.row(result.klass, i)))
        out.write("]")
    else:
        _, sizes, counts = group_service_counts(result, groups)
        rows, pure = _group_rows(counts)
        rows = np.ascontiguousarray(rows.astype(np.int8))
        keys = rows.view(np.dtype((np.void, rows.shape[1]))).reshape(-1) if rows.shape[1] else np.zeros(len(rows))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        distinct = rows[first]
        out.write(',"serviceRows":[' + ",".join(_row(row) for row in distinct) + "]")
        out.write(',"serviceCells":' + _dump(inverse.reshape(-1).tolist()))
        out.write(',"serviceSources":' + _dump(sizes.tolist()))
        g, t = np.nonzero(~pure)
        out.write(',"serviceMixed":' + _dump(np.column_stack([g, t, counts[1:, g, t].T]).tolist()))


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
        codes = np.concatenate([sm.codes[refined[:, 0]], np.array([sm.row(result.klass, i) for i in special],
                                                                    np.int8).reshape(-1, len(sm.targets))])
        group = np.concatenate([refined[:, 1], gi[special]]).astype(np.int64)
        weight = np.concatenate([sizes, np.ones(len(special), np.int64)])
        out = []
        for svc, ts in by_service.items():  # per Service: sources per (group, verdicts on its ports)
            sub = codes[:, ts].astype(np.int64)
            keep = ~(sub == NOT_APPLICABLE).all(axis=1)
            if not keep.any():
                continue
            if len(ts) <= 15:  # (group, verdicts) as one integer: a 1-D unique, not a row sort
                base = 8 ** len(ts)
                packed = (group * base + sub @ (8 ** np.arange(len(ts), dtype=np.int64)))[keep]
                uniq, inverse = np.unique(packed, return_inverse=True)
                keys = [[k // base, *(k % base // 8 ** j % 8 for j in range(len(ts)))] for k in uniq.tolist()]
            else:
                uniq, inverse = np.unique(np.column_stack([group, sub])[keep], axis=0, return_inverse=True)
                keys = uniq.tolist()
            total = np.bincount(inverse.reshape(-1), weights=weight[keep], minlength=len(uniq))
            for key, n in zip(keys, np.rint(total).astype(np.int64).tolist()):
                verdicts = key[1:]
                out.append((names[key[0]], svc, tuple(zip(ts, verdicts)), n))
        for g, svc, row, n in sorted(out):
            yield [g, svc, n, member[g], *texts(row)]
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


def dot_lines(result: MatrixResult, group_of: list[str]) -> list[str]:
    """DOT for the Service destinations: one node per Service (ellipse), an edge from each
    source group to it labelled with the Service ports allowed; dashed, with counts, when only
    some sources of the group get them."""
    sm = result.services
    if sm is None or not sm.targets:
        return []
    from .dot import quote

    names, sizes, counts = group_service_counts(result, group_of)
    allowed = counts[ALLOW]
    lines = [f"  {quote(name)} [shape=ellipse];" for name in dict.fromkeys(t.name for t in sm.targets)]
    edges: dict[tuple[int, str], list[str]] = {}
    for g, t in zip(*np.nonzero(allowed)):
        target = sm.targets[t]
        n, of = int(allowed[g, t]), int(sizes[g] - counts[NOT_APPLICABLE, g, t])
        edges.setdefault((int(g), target.name), []).append(target.label if n == of else f"{target.label} ({n}/{of})")
    for (g, svc), ports in sorted(edges.items()):
        full = not any("(" in p for p in ports)
        lines.append(f"  {quote(names[g])} -> {quote(svc)} [label={quote(', '.join(ports))}, "
                     f"style={'solid' if full else 'dashed'}];")
    return lines


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
        group_names, _, counts = group_service_counts(result, groups)
        allowed = counts[ALLOW]
        counted = counts.sum(axis=0) - counts[NOT_APPLICABLE]
        for g, name in enumerate(group_names[:limit]):
            cells = []
            for t in cols:
                ok, total = int(allowed[g, t]), int(counted[g, t])
                text = "-" if total == 0 else "all" if ok == total else "none" if ok == 0 else f"some {ok}/{total}"
                cells.append(f"[{'green' if text == 'all' else 'red' if text == 'none' else 'yellow'}]{text}[/]")
            table.add_row(name, *cells)
    console.print(table)
    if len(sm.targets) > len(cols):
        console.print(f"[dim]showing {len(cols)} of {len(sm.targets)} Service ports; use -o csv or -o json "
                      f"for all of them[/]")
