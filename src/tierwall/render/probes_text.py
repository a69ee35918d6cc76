"""Render a lab probe report (``tierwall lab probe``): one row per probe, kernel against engine
(and the case's expect), the disagreements in red, and a summary line."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text


def render_probes(report, console: Console) -> None:
    """``report`` is a :class:`tierwall.enforce.ProbeReport`."""
    rows, with_expect = report.rows, report.with_expect
    columns = ["from", "to", "port", "kernel", "engine"] + (["expect"] if with_expect else []) + ["kernel rule(s)"]
    table = Table(*columns, box=None, header_style="bold")
    for r in rows:
        style = "" if r["agree"] and r["expectMet"] is not False else "bold red"
        cells = [r["from"], r["to"], f"{r['protocol']}/{r['port'] or ''}", r["kernel"], r["engine"]]
        cells += [r["expect"] or "-"] if with_expect else []
        table.add_row(*cells, "; ".join(r["kernelRules"]) or "-", style=style)
    console.print(table)
    line = f"kernel vs engine: {len(rows) - report.disagreements} agree, {report.disagreements} disagree"
    if with_expect:
        line += f"; kernel vs expect: {with_expect - report.unmet} met, {report.unmet} not met"
    console.print(Text(line, style="bold green" if report.ok else "bold red"))
