"""Matrix outputs: terminal tables, CSV, JSON, DOT, and PNG/SVG heatmaps.

Views (``--by``): ``pod`` (one verdict row per endpoint pair), ``class`` (endpoints that every
rule treats alike share a class; class × class cells), or ``workload`` / ``namespace`` (per
group pair: how many pod pairs get which verdict row). A verdict row is the set of allowed
(rejected, unknown) ports as ranges per protocol; everything else is dropped.

Outputs are sized to what people read: JSON and CSV are written as they are computed (constant
memory for the pod view), and the table computes only the corner it shows. Every output
carries the notes (:func:`notes`) that say what the view does not cover.
"""

from __future__ import annotations

import csv
import json
import textwrap
from typing import IO, TYPE_CHECKING

import numpy as np

from ..engine.matrix import ALLOW, DROP, REJECT, UNKNOWN, MatrixResult, port_ranges
from ..engine.outside import INTERNET, uncovered
from ..gcpause import paused
from . import matrix_services
from .dot import quote

if TYPE_CHECKING:
    from rich.console import Console

API_VERSION = "tierwall.dev/v1alpha3"
"""v1alpha2 (issue 12): verdict rows with port ranges instead of one matrix per port class;
v1alpha3 (issue 13): Service destinations (``serviceTargets`` and their cells)."""
LETTER = {ALLOW: ".", DROP: "X", REJECT: "R", UNKNOWN: "?"}
STYLE = {ALLOW: "green", DROP: "red", REJECT: "magenta", UNKNOWN: "yellow"}
NAME = {ALLOW: "Allow", DROP: "Drop", REJECT: "Reject", UNKNOWN: "Unknown"}
MAX_TABLE = 40
"""Rows/columns shown in a terminal table before it is cut (the other outputs are complete)."""
CLASS_JSON_ABOVE = 1000
"""Endpoints above which ``-o json`` defaults to the class-level document."""
MAX_PANELS = 12
"""Heatmap panels per image; the rest are listed in the figure as left out."""


def names_of(result: MatrixResult) -> list[str]:
    return result.names or [e.label for e in result.endpoints]


def group_of(result: MatrixResult, by: str) -> list[str]:
    """The group (pod, workload or namespace) of each endpoint; endpoints outside the pod
    network are their own group (``node/NAME``, ``ext:CIDR``, ``internet``), except that in
    the namespace and workload views the outside pieces every rule treats alike (one class)
    form one group, named by its first piece and how many more (``ext:CIDR +3``): the policies
    of a large cluster cut the address space into a thousand pieces, and a group view of one
    group per piece would mostly repeat identical rows (:func:`group_members` lists them)."""
    inv = result.cc.inv
    workload_of = {p.key: key for key, pods in inv.workloads.items() for p in pods}
    merged = _outside_groups(result) if by in ("namespace", "workload") else {}
    out = []
    for i, (e, name) in enumerate(zip(result.endpoints, names_of(result))):
        if e.pod is None:
            out.append(merged.get(i, name))
        elif by == "namespace":
            out.append(e.pod.namespace)
        elif by == "workload":
            out.append(workload_of.get(e.pod.key, e.pod.key))
        else:
            out.append(e.pod.key)
    return out


def _outside_groups(result: MatrixResult) -> dict[int, str]:
    """Endpoint index → group name, for outside pieces that share their class with others."""
    names = names_of(result)
    by_class: dict[int, list[int]] = {}
    for i, e in enumerate(result.endpoints):
        if e.kind == "external":
            by_class.setdefault(int(result.klass[i]), []).append(i)
    out = {}
    for members in by_class.values():
        if len(members) > 1:
            members.sort(key=lambda i: names[i] != INTERNET)  # 'internet' names its group when in it
            label = f"{names[members[0]]} +{len(members) - 1}"
            out.update((i, label) for i in members)
    return out


def group_members(result: MatrixResult, labels: list[str]) -> dict[str, list[str]]:
    """Groups of ``labels`` (from :func:`group_of`) that merge outside pieces → those pieces."""
    out: dict[str, list[str]] = {}
    for e, name, label in zip(result.endpoints, names_of(result), labels):
        if e.kind == "external" and label != name:
            out.setdefault(label, []).append(name)
    return {label: sorted(names, key=lambda n: n != INTERNET) for label, names in out.items()}  # as named


def default_by(result: MatrixResult, output: str) -> str:
    """``class`` for JSON on large clusters (the pod form is pods² cells), else ``pod``."""
    return "class" if output == "json" and result.size > CLASS_JSON_ABOVE else "pod"


# --- what the view does not cover -------------------------------------------------------------

def notes(result: MatrixResult) -> list[str]:
    """Sentences for the legend: what the cells stand for and what they leave out."""
    cc = result.cc
    out = ["ICMP is an echo request (ping); ports not listed in a row are dropped"]
    names = names_of(result)
    if any(n.startswith("ext:") or n == INTERNET for n in names):
        out.append("ext:CIDR endpoints stand for every address of that piece of the address space the policies "
                   "cut; 'internet' for every address no policy names; in the namespace and workload views, "
                   "'ext:CIDR +N' is one group of N+1 such pieces that every rule treats alike (JSON: groupMembers)")
    v6 = uncovered(cc.model)
    if v6:
        out.append(f"IPv6 networks are not represented: {', '.join(v6[:5])}" + (" …" if len(v6) > 5 else ""))
    if result.services is not None:
        out.extend(result.services.notes)
    else:
        service_rules = [r for p in cc.model.policies for r in p.rules
                         if any(cc.resolve(peer).services for peer in r.peers or ())]
        if service_rules:
            refs = sorted({r.policy.ref for r in service_rules})
            out.append(f"not covered: traffic addressed to a Service (left out: --pods-only or --no-services); "
                       f"{len(service_rules)} rule(s) match only that ({', '.join(refs[:3])}"
                       f"{' …' if len(refs) > 3 else ''}): cells show pod-to-pod traffic, which those rules never "
                       "match — trace --to service/NS/NAME shows the Service path")
    invented = _invented_in_ipblocks(result)
    if invented:
        pods, policies = invented
        out.append(f"{len(pods)} pod(s) have no status.podIP and got an invented address that an ipBlock of "
                   f"{', '.join(policies[:3])}{' …' if len(policies) > 3 else ''} matches: their cells rest on "
                   f"an address tierwall made up (e.g. {', '.join(pods[:3])}; set --pod-cidr or give the pods' IPs)")
    if result.overrides:
        out.append("a pod to itself is always allowed; a node to its own pods is allowed (ingress exempt)")
    return out


def _invented_in_ipblocks(result: MatrixResult) -> tuple[list[str], list[str]] | None:
    """Pods with an invented address that some rule's ipBlock (or Calico nets) covers, and
    those rules' policies: one address test per distinct CIDR, vectorised over the pods."""
    invented = [e for e in result.endpoints if e.pod is not None and e.pod.ip_assigned and not e.pod.host_network]
    if not invented:
        return None
    import ipaddress
    by_net: dict = {}
    for policy in result.cc.model.policies:
        for rule in policy.rules:
            nets = [part.net for p in rule.peers or () for part in result.cc.resolve(p).nets if not part.via]
            nets += [n for e in rule.entities for n in (e.nets or ()) + e.not_nets]
            for net in nets:
                by_net.setdefault(net, set()).add(policy.ref.ref if hasattr(policy.ref, "ref") else str(policy.ref))
    addrs = [ipaddress.ip_address(e.ip) for e in invented]
    v4 = np.array([int(a) if a.version == 4 else -1 for a in addrs], dtype=np.int64)
    hit = np.zeros(len(invented), bool)
    policies: set[str] = set()
    for net, refs in by_net.items():
        if net.version == 4:
            inside = (v4 >= int(net.network_address)) & (v4 <= int(net.broadcast_address))
        else:
            inside = np.array([a.version == 6 and a in net for a in addrs], dtype=bool)
        if inside.any():
            hit |= inside
            policies |= refs
    pods = sorted(invented[i].pod.key for i in np.flatnonzero(hit))
    return (pods, sorted(policies)) if pods else None


# --- rows ---------------------------------------------------------------------------------------

def _row_text(row: dict) -> str:
    """``TCP 80,443; UDP 53; ICMP`` for a verdict row's allowed ports (``-`` when none)."""
    return _ports_text(row.get("allow", {})) or "-"


def _ports_text(by_proto: dict) -> str:
    parts = []
    for proto, ranges in by_proto.items():
        parts.append("ICMP" if proto == "ICMP" else f"{proto} {','.join(ranges)}")
    return "; ".join(parts)


# --- table --------------------------------------------------------------------------------------

def _column_groups(codes: np.ndarray) -> list[list[int]]:
    """Port classes whose (rows × columns) verdicts are identical, grouped (first-seen order)."""
    flat = codes.reshape(-1, codes.shape[-1]).T
    _, first, inverse = np.unique(flat, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    return [list(np.flatnonzero(inverse.reshape(-1) == k)) for k in order]


def _title(result: MatrixResult, members: list[int], width: int = 100) -> str:
    labels = [result.ports[a].label for a in members]
    text = ", ".join(labels)
    if len(text) > width:
        text = textwrap.shorten(text, width, placeholder="") + f" … ({len(labels)} port classes)"
    return text


def render_matrix_table(result: MatrixResult, by: str, console: "Console") -> None:
    """One table per group of port classes that get the same verdicts in the shown corner."""
    from rich.table import Table  # rich only for the terminal views
    labels = group_of(result, by) if by != "class" else [f"class {k}" for k in result.klass]
    if by in ("pod", "class"):
        if by == "class":
            shown_idx = list(result.reps[:MAX_TABLE])
            names = [f"class {k} ({names_of(result)[r]})" for k, r in enumerate(shown_idx)]
            n = len(result.reps)
        else:
            shown_idx = list(range(min(MAX_TABLE, result.size)))
            names = [labels[i] for i in shown_idx]
            n = result.size
        k = result.klass[shown_idx]
        codes = result.set_code_table()[result.cells[k][:, k]]  # (shown, shown, ports)
        for (i, j), code in result.overrides.items():
            if by == "pod" and i < len(shown_idx) and j < len(shown_idx):
                codes[i, j, :] = code
        cells = lambda g: [[f"[{STYLE[c]}]{LETTER[c]}[/]" for c in row] for row in codes[:, :, g[0]]]  # noqa: E731
    else:
        all_names = sorted(set(labels))
        n = len(all_names)
        groups = list(range(min(MAX_TABLE, n)))
        names, counts, total = result.group_counts(labels, groups=groups)
        codes = counts.transpose(0, 2, 1)  # (shown, shown, ports)

        def cells(g):
            out = []
            for i in range(len(names)):
                row = []
                for j in range(len(names)):
                    text = _share(int(codes[i, j, g[0]]), int(total[i, j]))
                    style = "green" if text == "all" else "red" if text == "none" else "yellow"
                    row.append(f"[{style}]{text}[/]")
                out.append(row)
            return out
    shown = len(names)
    for members in _column_groups(codes):
        if by in ("pod", "class"):
            _print_grid(console, f"{_title(result, members)}  (rows: from, columns: to)", names,
                        codes[:, :, members[0]])
            continue
        table = Table(title=f"{_title(result, members)}  (rows: from, columns: to)", show_lines=False,
                      pad_edge=False, title_justify="left")
        table.add_column("from \\ to", no_wrap=True)
        for j in range(shown):
            table.add_column(names[j], justify="center", overflow="fold", max_width=14)
        for i, row in enumerate(cells(members)):
            table.add_row(names[i], *row)
        console.print(table)
    if by in ("pod", "class"):
        rows = list(result.reps[:MAX_TABLE]) if by == "class" else shown_idx
        matrix_services.render_table(result, by, console, list(range(len(rows))) if by == "class" else rows,
                                     names, MAX_TABLE)
    else:
        matrix_services.render_table(result, by, console, None, [], MAX_TABLE, groups=labels)
    if n > shown:
        console.print(f"[dim]showing {shown} of {n} {by}s; use -o csv or -o json for all of them[/]")
    if by in ("pod", "class"):
        console.print("[dim]. allow   X drop   R reject   ? unknown (a rule that cannot be decided offline)"
                      + ("   - n/a (no path)" if result.services is not None and result.services.targets else "")
                      + "[/]")
    for note in notes(result):
        console.print(f"[dim]note: {note}[/]")


def _print_grid(console: "Console", title: str, names: list[str], codes: np.ndarray) -> None:
    """A verdict letter per cell, columns numbered as the rows are (the same endpoints in the
    same order): 40 endpoints fit in about 110 characters, where one table column per
    endpoint name did not fit a terminal (and took rich seconds to lay out)."""
    from rich.text import Text
    digits = len(str(len(names)))
    label = max([len(n) for n in names] + [len("from \\ to")])
    numbers = [str(j + 1).rjust(digits) for j in range(len(names))]
    console.print(title, highlight=False, markup=False)
    for d in range(digits):
        head = ("from \\ to" if d == digits - 1 else "").ljust(digits + 1 + label)
        console.print(head + " " + " ".join(n[d] for n in numbers), highlight=False, markup=False)
    for i, name in enumerate(names):
        line = Text(f"{numbers[i]} {name.ljust(label)} ")
        for j, c in enumerate(codes[i]):
            line.append(LETTER[int(c)], STYLE[int(c)])
            if j + 1 < len(codes[i]):
                line.append(" ")
        console.print(line, no_wrap=True, crop=False)
    console.print()


def _share(allowed: int, total: int) -> str:
    if total == 0:
        return "-"
    if allowed == total:
        return "all"
    return "none" if allowed == 0 else f"some {allowed}/{total}"


# --- JSON (streamed) ----------------------------------------------------------------------------

def _header(result: MatrixResult, by: str) -> dict:
    return {"apiVersion": API_VERSION, "kind": "ConnectivityMatrix", "cni": result.cc.model.cni, "by": by,
            "ports": [p.label for p in result.ports],
            "portClasses": [{"name": p.label, "protocol": p.protocol,
                             "ports": port_ranges([p]).get(p.protocol, []) if p.protocol != "ICMP" else []}
                            for p in result.ports],
            "classes": len(result.reps), "notes": notes(result)}


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"))


LIST_CHUNK = 1 << 16
"""Rows of a large array turned into Python lists and JSON text at a time (:func:`_write_list`)."""


def _write_list(out: IO[str], rows: np.ndarray) -> None:
    """``out.write(_dump(rows.tolist()))``, a chunk of rows at a time. Why: the namespace view
    of 20,000 pods has 2.6 M (source group, destination group, row) entries; as one list of
    lists plus its JSON text they took 500 MB for a moment, more than the matrix itself."""
    out.write("[")
    for lo in range(0, len(rows), LIST_CHUNK):
        out.write(("," if lo else "") + _dump(rows[lo:lo + LIST_CHUNK].tolist())[1:-1])
    out.write("]")


@paused()
def write_matrix_json(result: MatrixResult, by: str, out: IO[str]) -> None:
    """The ``ConnectivityMatrix`` document, written piecewise (see docs/matrix.md):
    ``portSets`` holds the distinct verdict rows; cells are indexes into it."""
    overrides = result.override_ids()  # adds their rows: portSets below is final
    out.write(_dump(_header(result, by))[:-1])
    out.write(',"portSets":' + _dump(result.row_ranges()))
    names = names_of(result)
    if by in ("pod", "class"):
        out.write(',"endpoints":' + _dump([{"name": n, "kind": e.kind, "class": int(k)}
                                            for n, e, k in zip(names, result.endpoints, result.klass)]))
    if by == "class":
        out.write(',"cells":[')
        for c in range(len(result.reps)):
            out.write(("," if c else "") + _dump(result.cells[c].tolist()))
        out.write('],"exceptions":' + _dump([{"from": names[i], "to": names[j], "portSet": rid}
                                               for (i, j), rid in overrides.items() if i != j]))
    elif by == "pod":
        out.write(',"matrix":[')
        for i, row in _pod_rows(result, overrides):
            out.write(("," if i else "") + _dump(row.tolist()))
        out.write("]")
    else:
        labels = group_of(result, by)
        groups, entries, total = result.group_hist(labels)
        out.write(',"groups":' + _dump(groups) + ',"groupMembers":' + _dump(group_members(result, labels)) +
                  ',"pairs":')
        _write_list(out, total)
        out.write(',"cells":')
        _write_list(out, entries)
        del entries, total  # written: the Service sections below need their memory
    matrix_services.write_json(result, by, out, labels if by not in ("pod", "class") else None)
    out.write("}\n")


def matrix_dict(result: MatrixResult, by: str) -> dict:
    """The JSON document as a dict (small clusters, tests, the web UI)."""
    return json.loads(render_matrix_json(result, by))


def render_matrix_json(result: MatrixResult, by: str) -> str:
    import io
    buf = io.StringIO()
    write_matrix_json(result, by, buf)
    return buf.getvalue()


def _pod_rows(result: MatrixResult, overrides: dict[tuple[int, int], int]):
    """(source index, verdict-row ids of every destination) per endpoint, built one row at a
    time from the class matrix plus the pair overrides, so pod-level output streams."""
    by_src: dict[int, list[tuple[int, int]]] = {}
    for (i, j), rid in overrides.items():
        by_src.setdefault(i, []).append((j, rid))
    for i in range(result.size):
        row = result.cells[result.klass[i]][result.klass]
        for j, rid in by_src.get(i, ()):
            row[j] = rid
        yield i, row


# --- CSV (streamed) -----------------------------------------------------------------------------

@paused()
def write_matrix_csv(result: MatrixResult, by: str, out: IO[str]) -> None:
    """One row per (source, destination) with the allowed (rejected, unknown) ports as ranges,
    as NCA writes connections; group views: one row per (group pair, verdict row)."""
    overrides = result.override_ids()
    texts = [(_ports_text(r.get("allow", {})), _ports_text(r.get("reject", {})), _ports_text(r.get("unknown", {})))
             for r in result.row_ranges()]
    writer = csv.writer(out, lineterminator="\n")
    if by in ("workload", "namespace"):
        groups, entries, total = result.group_hist(group_of(result, by))
        writer.writerow(["from", "to", "pairs", "of", "allowed", "rejected", "unknown"])
        for s, d, r, n in entries.tolist():
            writer.writerow([groups[s], groups[d], n, int(total[s, d]), *texts[r]])
        writer.writerows(matrix_services.csv_rows(result, by, group_of(result, by)))
        return
    writer.writerow(["from", "to", "allowed", "rejected", "unknown"])
    if by == "class":
        names = [f"class {k}" for k in range(len(result.reps))]
        for c in range(len(result.reps)):
            writer.writerows([names[c], names[d], *texts[rid]] for d, rid in enumerate(result.cells[c].tolist()))
        writer.writerows(matrix_services.csv_rows(result, by))
        return
    names = names_of(result)
    for i, row in _pod_rows(result, overrides):
        src = names[i]
        writer.writerows([src, dst, *texts[rid]] for dst, rid in zip(names, row.tolist()))
    writer.writerows(matrix_services.csv_rows(result, by))


def render_matrix_csv(result: MatrixResult, by: str) -> str:
    import io
    buf = io.StringIO()
    write_matrix_csv(result, by, buf)
    return buf.getvalue()


# --- DOT ----------------------------------------------------------------------------------------

def render_matrix_dot(result: MatrixResult, by: str) -> str:
    """Edges with the ports allowed; dashed when only some pod pairs of the groups get them."""
    groups, entries, total = result.group_hist(group_of(result, by if by != "class" else "pod"))
    rows = result.row_ranges()
    lines = ["digraph connectivity {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="Helvetica"];']
    for name in groups:
        lines.append(f"  {quote(name)};")
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for s, d, r, n in entries:
        if by in ("pod", "class") and s == d:
            continue
        edges.setdefault((int(s), int(d)), []).append((int(r), int(n)))
    for (s, d), parts in sorted(edges.items()):
        allowed = [(_row_text(rows[r]), n) for r, n in parts if rows[r].get("allow")]
        if not allowed:
            continue
        full = len(parts) == 1
        label = "; ".join(text if full else f"{text} ({n}/{int(total[s, d])})" for text, n in allowed)
        lines.append(f"  {quote(groups[s])} -> {quote(groups[d])} [label={quote(label)}, "
                     f"style={'solid' if full else 'dashed'}];")
    lines.extend(matrix_services.dot_lines(result, group_of(result, by if by != "class" else "pod")))
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- images -------------------------------------------------------------------------------------

def render_matrix_image(result: MatrixResult, by: str, path: str) -> tuple[list[str], list[str]]:
    """Heatmaps, colour = share of pairs allowed. Port classes with identical heatmaps share
    one panel (its title lists them); panels are paged MAX_PANELS to an image (``path``,
    then ``name-2.ext`` …, at most MAX_PAGES files); what is still left out is said in the
    last image and returned. Returns (files written, sentences about what was left out)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = group_of(result, by if by != "class" else "pod")
    names, counts, total = result.group_counts(labels)
    share = np.divide(counts, total[:, None, :], out=np.zeros(counts.shape, dtype=float),
                      where=total[:, None, :] > 0)
    panels = _column_groups(np.round(share.transpose(0, 2, 1), 9))
    pages = [panels[k:k + MAX_PANELS] for k in range(0, len(panels), MAX_PANELS)]
    left = [g for page in pages[MAX_PAGES:] for g in page]
    pages = pages[:MAX_PAGES]
    said = []
    if result.services is not None and result.services.targets:
        said.append(f"{len(result.services.targets)} Service port(s) (svc:NS/NAME destinations) are not drawn in "
                    f"images: use -o table, csv or json for them")
    if left:
        missing = [result.ports[a].label for g in left for a in g]
        said.append(f"{len(left)} more panel(s) not drawn, for {len(missing)} port class(es): "
                    + textwrap.shorten(", ".join(missing), 200, placeholder=" …") + " (use -o json or --port)")
    labelled = len(names) <= MAX_LABELLED
    if not labelled:
        said.append(f"{len(names)} {by}s: axis labels left out (more than {MAX_LABELLED}); use -o json for names")
    stem, dot, ext = path.rpartition(".")
    files = []
    for number, drawn in enumerate(pages, 1):
        out = path if number == 1 else f"{stem}-{number}.{ext}" if dot else f"{path}-{number}"
        footer = ([f"page {number} of {len(pages)}: {len(panels)} panels for {len(result.ports)} port classes"]
                  if len(pages) > 1 else []) + (said if number == len(pages) else []) + notes(result)
        _draw_page(plt, result, by, names, share, drawn, footer, labelled, out)
        files.append(out)
    return files, said


MAX_PAGES = 10
"""Image files one command writes at most (MAX_PANELS panels each)."""
MAX_LABELLED = 80
"""Groups up to which heatmap axes carry names."""


def _draw_page(plt, result, by, names, share, drawn, footer, labelled, out) -> None:
    cols = min(3, len(drawn))
    rows = (len(drawn) + cols - 1) // cols
    size = max(4.5, min(0.2 * len(names) + 2.5, 14))
    for k, members in enumerate(drawn, 1):  # a shortened title is spelled out below the panels
        if len(", ".join(result.ports[a].label for a in members)) > 60:
            footer = [f"panel {k}: " + ", ".join(result.ports[a].label for a in members)] + footer
    width = max(60, min(150, int(size * cols * 15)))  # characters of 7-pt text that fit the figure
    lines = sum(len(textwrap.wrap(s, width)) for s in footer)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.15 * lines), squeeze=False)
    tick = max(4, min(8, 300 / max(1, len(names))))
    for k, members in enumerate(drawn):
        ax = axes[k // cols][k % cols]
        image = ax.imshow(share[:, members[0], :], cmap="RdYlGn", vmin=0, vmax=1)
        title = _title(result, members, width=60)
        ax.set_title("\n".join(textwrap.wrap(title, 44)[:3]) + f"\nshare of {by} pairs allowed", fontsize=9)
        if labelled:
            ticks = range(len(names))
            ax.set_xticks(ticks, names, rotation=90, fontsize=tick)
            ax.set_yticks(ticks, names, fontsize=tick)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        fig.colorbar(image, ax=ax, fraction=0.046)
    for k in range(len(drawn), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.text(0.01, 0.005, "\n".join(textwrap.fill(s, width) for s in footer), fontsize=7, va="bottom", ha="left")
    fig.tight_layout(rect=(0, min(0.4, 0.15 * lines / (size * rows + 0.15 * lines)) + 0.01, 1, 1))
    fig.savefig(out, dpi=min(100, 2400 / (size * cols)))  # at most 2400 px wide: viewable as one screen
    plt.close(fig)


def allows_port(port_set: dict, protocol: str, port: int | None) -> bool:
    """Whether a ``portSets`` entry allows ``protocol``/``port`` (``None`` for ICMP echo)."""
    ranges = port_set.get("allow", {}).get(protocol)
    if ranges is None:
        return False
    if port is None:
        return True
    return any(int(r.split("-")[0]) <= port <= int(r.split("-")[-1]) for r in ranges)


def class_port(doc: dict, label: str) -> tuple[str, int | None]:
    """(protocol, first port) of the port class ``label`` of a document."""
    pc = next(c for c in doc["portClasses"] if c["name"] == label)
    return pc["protocol"], (int(pc["ports"][0].split("-")[0]) if pc["ports"] else None)


def group_allowed(doc: dict, label: str) -> list[list[int]]:
    """From a group-level (namespace/workload) document: allowed pod pairs per group pair on
    port class ``label`` — what v1alpha1 held as ``allowed[label]``."""
    n = len(doc["groups"])
    out = [[0] * n for _ in range(n)]
    proto, port = class_port(doc, label)
    ok = [allows_port(s, proto, port) for s in doc["portSets"]]
    for s, d, r, pairs in doc["cells"]:
        if ok[r]:
            out[s][d] += pairs
    return out
