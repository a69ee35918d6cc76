"""Print diagnostics (errors, warnings, with -v infos) as ``file:line kind/ns/name field: message``."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..errors import Diagnostic, Severity

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def render_diagnostics(items: list[Diagnostic], console: Console, verbose: bool = False) -> None:
    for d in items:
        if d.severity is Severity.INFO and not verbose:
            continue
        line = Text(f"{d.origin.location}", style="bold")
        ref = d.origin.object_ref
        if ref:
            line.append(f" {ref}")
        if d.origin.field:
            line.append(f" {d.origin.field}", style="cyan")
        line.append(": ")
        line.append(d.severity.value, style=STYLE[d.severity])
        line.append(f": {d.message} ")
        line.append(f"[{d.code}]", style="dim")
        console.print(line, soft_wrap=True)
