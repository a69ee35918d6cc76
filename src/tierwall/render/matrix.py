"""Matrix outputs: terminal tables, CSV, JSON, DOT, and PNG/SVG heatmaps.

Views: ``pod`` (one verdict per pair), or ``workload`` / ``namespace`` (per group pair: how
many of its pod pairs are allowed: all, some, none).
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
from rich.console import Console
from rich.table import Table

from ..engine.matrix import ALLOW, DROP, REJECT, UNKNOWN, MatrixResult

LETTER = {ALLOW: ".", DROP: "X", REJECT: "R", UNKNOWN: "?"}
STYLE = {ALLOW: "green", DROP: "red", REJECT: "magenta", UNKNOWN: "yellow"}
NAME = {ALLOW: "Allow", DROP: "Drop", REJECT: "Reject", UNKNOWN: "Unknown"}
MAX_TABLE = 40
"""Rows/columns shown in a terminal table before it is cut (the other outputs are complete)."""


def group_of(result: MatrixResult, by: str) -> list[str]:
    """The group (pod, workload or namespace) of each endpoint."""
    inv = result.cc.inv
    workload_of = {p.key: key for key, pods in inv.workloads.items() for p in pods}
    out = []
    for e in result.endpoints:
        if e.pod is None:
            out.append(e.label)
        elif by == "namespace":
            out.append(e.pod.namespace)
        elif by == "workload":
            out.append(workload_of.get(e.pod.key, e.pod.key))
        else:
            out.append(e.pod.key)
    return out


def _share(allowed: int, total: int) -> str:
    if total == 0:
        return "-"
    if allowed == total:
        return "all"
    return "none" if allowed == 0 else f"some {allowed}/{total}"


def render_matrix_table(result: MatrixResult, by: str, console: Console) -> None:
    labels = group_of(result, by)
    for a, pc in enumerate(result.ports):
        if by == "pod":
            codes = result.pod_codes(a, MAX_TABLE)  # only the corner the table shows
            names = labels
        else:
            names, counts, total = result.group_counts(labels)
        n = len(names)
        shown = min(n, MAX_TABLE)
        table = Table(title=f"{pc.label}  (rows: from, columns: to)", show_lines=False, pad_edge=False)
        table.add_column("from \\ to", no_wrap=True)
        for j in range(shown):
            table.add_column(names[j], justify="center", overflow="fold", max_width=14)
        for i in range(shown):
            cells = []
            for j in range(shown):
                if by == "pod":
                    code = int(codes[i, j])
                    cells.append(f"[{STYLE[code]}]{LETTER[code]}[/]")
                else:
                    text = _share(int(counts[i, a, j]), int(total[i, j]))
                    style = "green" if text == "all" else "red" if text == "none" else "yellow"
                    cells.append(f"[{style}]{text}[/]")
            table.add_row(names[i], *cells)
        console.print(table)
        if n > shown:
            console.print(f"[dim]showing {shown} of {n} {by}s; use -o csv or -o json for all of them[/]")
    if by == "pod":
        console.print("[dim]. allow   X drop   R reject   ? unknown (a rule that cannot be decided offline)[/]")


def _rows(result: MatrixResult, by: str):
    labels = group_of(result, by)
    if by == "pod":
        for a, pc in enumerate(result.ports):
            codes = result.pod_codes(a)
            for i, src in enumerate(labels):
                for j, dst in enumerate(labels):
                    yield {"from": src, "to": dst, "port": pc.label, "verdict": NAME[int(codes[i, j])]}
        return
    names, counts, total = result.group_counts(labels)
    for a, pc in enumerate(result.ports):
        for i, src in enumerate(names):
            for j, dst in enumerate(names):
                yield {"from": src, "to": dst, "port": pc.label, "allowed": int(counts[i, a, j]),
                       "pairs": int(total[i, j]), "share": _share(int(counts[i, a, j]), int(total[i, j]))}


def render_matrix_csv(result: MatrixResult, by: str) -> str:
    out = io.StringIO()
    fields = ["from", "to", "port", "verdict"] if by == "pod" else ["from", "to", "port", "allowed", "pairs", "share"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    for row in _rows(result, by):
        writer.writerow(row)
    return out.getvalue()


def matrix_dict(result: MatrixResult, by: str) -> dict:
    labels = group_of(result, by)
    doc: dict = {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityMatrix", "cni": result.cc.model.cni,
                 "by": by, "ports": [p.label for p in result.ports],
                 "classes": len(result.reps)}
    if by == "pod":
        doc["pods"] = labels
        doc["legend"] = {".": "Allow", "X": "Drop", "R": "Reject", "?": "Unknown"}
        lut = np.frombuffer(b"?" + b"".join(LETTER[c].encode() for c in (ALLOW, DROP, REJECT, UNKNOWN)), np.uint8)
        doc["matrix"] = {pc.label: [row.tobytes().decode() for row in lut[result.pod_codes(a)]]
                         for a, pc in enumerate(result.ports)}
    else:
        names, counts, total = result.group_counts(labels)
        doc["groups"] = names
        doc["allowed"] = {pc.label: counts[:, a, :].tolist() for a, pc in enumerate(result.ports)}
        doc["pairs"] = total.tolist()
    return doc


def render_matrix_json(result: MatrixResult, by: str) -> str:
    return json.dumps(matrix_dict(result, by), separators=(",", ":")) + "\n"  # the C encoder: large documents


def render_matrix_dot(result: MatrixResult, by: str) -> str:
    labels = group_of(result, by)
    names, counts, total = result.group_counts(labels)
    lines = ["digraph connectivity {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="Helvetica"];']
    for name in names:
        lines.append(f'  "{name}";')
    for i, src in enumerate(names):
        for j, dst in enumerate(names):
            if by == "pod" and i == j:
                continue
            allowed = [(pc.label, int(counts[i, a, j]), int(total[i, j])) for a, pc in enumerate(result.ports)]
            parts = [lbl if k == n else f"{lbl} ({k}/{n})" for lbl, k, n in allowed if k]
            if not parts:
                continue
            full = all(k == n for _, k, n in allowed)
            style = "solid" if full else "dashed"
            lines.append(f'  "{src}" -> "{dst}" [label="{", ".join(parts)}", style={style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_matrix_image(result: MatrixResult, by: str, path: str) -> None:
    """A heatmap per port class (up to six), colour = share of pod pairs allowed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = group_of(result, by)
    names, counts, total = result.group_counts(labels)
    ports = result.ports[:6]
    cols = min(3, len(ports))
    rows = (len(ports) + cols - 1) // cols
    size = max(4.0, min(0.25 * len(names) + 2, 30))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    share = np.divide(counts, total[:, None, :], out=np.zeros(counts.shape, dtype=float), where=total[:, None, :] > 0)
    for a, pc in enumerate(ports):
        ax = axes[a // cols][a % cols]
        image = ax.imshow(share[:, a, :], cmap="RdYlGn", vmin=0, vmax=1)
        ax.set_title(f"{pc.label}: share of {by} pairs allowed", fontsize=9)
        ticks = range(len(names))
        ax.set_xticks(ticks, names, rotation=90, fontsize=7)
        ax.set_yticks(ticks, names, fontsize=7)
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        fig.colorbar(image, ax=ax, fraction=0.046)
    for k in range(len(ports), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
