"""Diff output: grouped changes with the rule responsible before and after."""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from ..analysis.diff import DiffReport

STYLE = {"newly allowed": "bold green", "newly denied": "bold red", "changed": "bold yellow"}


def render_diff_text(report: DiffReport, console: Console) -> None:
    if not report.changed:
        console.print(Text("no connectivity changes", style="green"))
        return
    # one line per (pair of groups, verdicts, reasons), listing every port class it holds for
    merged: dict[tuple, list] = {}
    for c in report.changes:
        key = (c.kind, c.src_group, c.dst_group, c.before, c.after, c.pairs,
               c.before_reason.get("explanation"), c.after_reason.get("explanation"))
        merged.setdefault(key, []).append(c)
    current = None
    for key, group in merged.items():
        c = group[0]
        if c.kind != current:
            current = c.kind
            console.print(Text(f"\n{c.kind.capitalize()}", style=STYLE[c.kind]))
        ports = ", ".join(x.port for x in group)
        line = Text(f"  {c.src_group} → {c.dst_group}  {ports}  ", style="bold")
        line.append(f"{c.before} → {c.after}  ({c.pairs} pair{'s' if c.pairs != 1 else ''}, "
                    f"e.g. {c.example[0]} → {c.example[1]})")
        console.print(line)
        console.print(Text(f"      before: {c.before_reason['explanation']}" +
                           (f"  ({c.before_reason['origin']})" if c.before_reason.get("origin") else ""), style="dim"))
        console.print(Text(f"      after:  {c.after_reason['explanation']}" +
                           (f"  ({c.after_reason['origin']})" if c.after_reason.get("origin") else ""), style="dim"))
    for title, pods in (("Pods only after", report.added), ("Pods only before", report.removed),
                        ("Service ports only after", report.services_added),
                        ("Service ports only before", report.services_removed)):
        if pods:
            console.print(Text(f"\n{title}: {', '.join(pods[:20])}" + (" …" if len(pods) > 20 else ""), style="cyan"))
    summary = report.to_dict()["summary"]
    console.print(Text(f"\n{summary['newlyAllowed']} endpoint pairs × ports newly allowed, {summary['newlyDenied']} newly "
                       f"denied, {summary['otherChanges']} otherwise changed", style="bold"))


def render_diff_json(report: DiffReport) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
