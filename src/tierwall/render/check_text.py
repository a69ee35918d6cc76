"""Render a check report: a readable text report (failures first) and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rich.console import Console
from rich.text import Text

from ..expect import CaseResult, CheckReport
from ..model import Verdict
from .trace_text import decision_line, verdict_text


def _pair(r: CaseResult) -> str:
    l4 = r.case.protocol if r.case.protocol == "ICMP" else f"{r.case.protocol}/{r.port}"
    return f"{r.src} → {r.dst} {l4}"


def render_check(report: CheckReport, console: Console, verbose: bool = False) -> None:
    failed = report.failed
    for r in failed:
        line = Text("FAIL ", style="bold red")
        line.append(f"{r.case.name}: {_pair(r)}  expected ")
        line.append_text(verdict_text(Verdict(r.case.expect)))
        line.append(", got ")
        line.append_text(verdict_text(Verdict(r.verdict)))
        console.print(line)
        detail = Text("     ")
        detail.append_text(decision_line(r.decision))
        console.print(detail)
        console.print(Text(f"     case at {r.case.origin.location}", style="dim"))
    if verbose:
        for r in report.results:
            if r.passed:
                line = Text("ok   ", style="green")
                line.append(f"{r.case.name}: {_pair(r)}  {r.verdict}  ")
                line.append(r.decision.explanation, style="dim")
                console.print(line)
    total = len(report.results)
    style = "bold green" if not failed else "bold red"
    console.print(Text(f"{total - len(failed)} passed, {len(failed)} failed", style=style)
                  + Text(f"  ({total} checks, cni {report.cni})", style="dim"))


def render_junit(report: CheckReport) -> str:
    suites: dict[str, list[CaseResult]] = {}
    for r in report.results:
        suites.setdefault(r.case.test, []).append(r)
    root = ET.Element("testsuites", name="tierwall check", tests=str(len(report.results)),
                      failures=str(len(report.failed)))
    for name, results in suites.items():
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)))
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=name, name=f"{r.case.name}: {_pair(r)}",
                                 file=r.case.origin.file)
            if r.case.origin.line:
                case.set("line", str(r.case.origin.line))
            if not r.passed:
                fail = ET.SubElement(case, "failure", message=f"expected {r.case.expect}, got {r.verdict}",
                                     type="VerdictMismatch")
                fail.text = r.decision.explanation
            else:
                ET.SubElement(case, "system-out").text = r.decision.explanation
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
