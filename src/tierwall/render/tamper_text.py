"""Render the tamper search of ``check``: per protected case and subject, "no path" or the
witness (as YAML, with the grants that allow it) and what the case becomes with it."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..model import Verdict
from .trace_text import decision_line, verdict_text


def render_tamper(report, console: Console, verbose: bool = False) -> None:
    """``report`` is a :class:`tierwall.rbac.tamper.TamperReport`."""
    if report.guards:
        console.print(Text(f"admission guards in force: {', '.join(report.guards)}", style="dim"))
    for o in report.outcomes:
        if o.finding is None:
            line = Text("SAFE ", style="bold green")
            line.append(f"{o.case_name}: no path for {o.subject}")
            tried = sum(sum(c.values()) for c in o.tried.values())
            line.append(f"  ({tried} candidate writes tried)", style="dim")
            console.print(line)
            if verbose:
                for route, counts in o.tried.items():
                    console.print(Text(f"     {route}: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                                       style="dim"))
                for block in o.guard_blocks:
                    console.print(Text(f"     blocked by guard: {block}", style="dim"))
            continue
        f = o.finding
        line = Text("TAMPER ", style="bold red")
        line.append(f"{o.case_name}: {o.subject} can flip it — {f.witness.title} [{f.witness.route}]")
        console.print(line)
        console.print(Text("     allowed by: " + "; ".join(g.text for g in f.grants), style="dim"))
        for line in f.witness.yaml().splitlines():
            console.print(Text("     " + line, style="cyan"))
        r = f.result
        after = Text(f"     then {r.src} → {r.dst}: expected ")
        after.append_text(verdict_text(Verdict(r.case.expect)))
        after.append(", got ")
        after.append_text(verdict_text(Verdict(r.verdict)))
        console.print(after)
        console.print(Text("     ") + decision_line(r.decision))
    for s in report.skipped:
        console.print(Text(f"not searched: {s}", style="dim"))
    found = len(report.found)
    style = "bold red" if found else "bold green"
    console.print(Text(f"tamper: {found} path{'s' if found != 1 else ''} in {len(report.outcomes)} protected "
                       f"case/subject pairs", style=style))


def add_tamper_junit(junit: str, report) -> str:
    """The check's JUnit XML with one more ``<testsuite name="tamper">``: a testcase per
    protected case and subject, failed (``TamperPath``) when a witness exists."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(junit)
    suite = ET.SubElement(root, "testsuite", name="tamper", tests=str(len(report.outcomes)),
                          failures=str(len(report.found)))
    for o in report.outcomes:
        case = ET.SubElement(suite, "testcase", classname=f"tamper.{o.test}", name=f"{o.case_name}: {o.subject}")
        if o.finding is None:
            tried = sum(sum(c.values()) for c in o.tried.values())
            ET.SubElement(case, "system-out").text = f"no path ({tried} candidate writes tried)"
        else:
            f = o.finding
            fail = ET.SubElement(case, "failure", type="TamperPath",
                                 message=f"{o.subject} can flip it: {f.witness.title} [{f.witness.route}]")
            fail.text = f.witness.yaml() + f"\nthen {f.result.src} → {f.result.dst}: {f.result.verdict} " \
                                           f"({f.result.decision.explanation})"
    root.set("tests", str(int(root.get("tests", "0")) + len(report.outcomes)))
    root.set("failures", str(int(root.get("failures", "0")) + len(report.found)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
