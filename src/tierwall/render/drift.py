"""Object drift as text: what is missing, extra or changed, with both places."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..analysis.drift import DriftReport

TITLES = {"missing": ("Only before (missing after: not applied, or deleted by hand)", "bold red"),
          "extra": ("Only after (not in the before side: applied by hand?)", "bold yellow"),
          "changed": ("Changed", "bold cyan")}
LIVE_TITLES = {"missing": ("Missing in the cluster (in Git, not applied or deleted by hand)", "bold red"),
               "extra": ("Only in the cluster (not in Git: applied by hand?)", "bold yellow"),
               "changed": ("Changed in the cluster", "bold cyan")}


def render_drift_text(report: DriftReport, console: Console, live_after: bool = False) -> None:
    titles = LIVE_TITLES if live_after else TITLES
    console.print(Text("Objects", style="bold underline"))
    for note in report.notes:
        console.print(Text(f"  note: {note}", style="dim"))
    if not report.objects:
        console.print(Text("  no object differs", style="green"))
        return
    for state in ("missing", "extra", "changed"):
        objs = [o for o in report.objects if o.state == state]
        if not objs:
            continue
        title, style = titles[state]
        console.print(Text(f"{title}: {len(objs)}", style=style))
        for o in objs:
            where = o.after if state == "extra" else o.before
            line = Text(f"  {o.ref}", style="bold")
            line.append(f"  ({o.group or 'core'})  {where}", style="dim")
            if state == "changed" and o.after:
                line.append(f"  ↔ {o.after}", style="dim")
            console.print(line, soft_wrap=True)
            for f in o.fields:
                console.print(Text(f"      {f.path}: {_value(f.before)} → {_value(f.after)}"), soft_wrap=True)
    console.print(Text(f"{report.count('missing')} missing, {report.count('extra')} extra, "
                       f"{report.count('changed')} changed", style="bold"))


def _value(value) -> str:
    return "<absent>" if value is None else str(value)
