"""Lint output: text for people, JSON for scripts, SARIF 2.1.0 for code-scanning UIs."""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from .. import __version__
from ..analysis.codes import CHECKS
from ..analysis.lint import Finding

STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def render_lint_text(findings: list[Finding], console: Console) -> None:
    for f in findings:
        line = Text(f.origin.location, style="bold")
        if f.origin.object_ref:
            line.append(f" {f.origin.object_ref}")
        if f.origin.field:
            line.append(f" {f.origin.field}", style="cyan")
        line.append(": ")
        line.append(f.severity, style=STYLE.get(f.severity, ""))
        line.append(f" {f.code} ", style="bold")
        line.append(f.message)
        console.print(line)
        if f.hint:
            console.print(Text(f"    hint: {f.hint}", style="dim"))
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    style = "bold red" if errors else "yellow" if warnings else "bold green"
    console.print(Text(f"{errors} error(s), {warnings} warning(s)", style=style))


def render_lint_json(findings: list[Finding]) -> str:
    return json.dumps({"apiVersion": "tierwall.dev/v1alpha1", "kind": "LintReport",
                       "summary": {"errors": sum(f.severity == "error" for f in findings),
                                   "warnings": sum(f.severity == "warning" for f in findings)},
                       "findings": [f.to_dict() for f in findings]}, indent=2) + "\n"


def render_lint_sarif(findings: list[Finding]) -> str:
    used = sorted({f.code for f in findings})
    rules = [{"id": code, "name": CHECKS.get(code, (code,))[0].title().replace(" ", ""),
              "shortDescription": {"text": CHECKS.get(code, (code,))[0]},
              "help": {"text": CHECKS.get(code, ("", "", ""))[2]},
              "helpUri": f"https://tierwall.dev/docs/lint#{code.lower()}",
              "defaultConfiguration": {"level": _level(CHECKS.get(code, ("", "warning"))[1])}} for code in used]
    results = []
    for f in findings:
        location = {"physicalLocation": {"artifactLocation": {"uri": f.origin.file}}}
        if f.origin.line:
            location["physicalLocation"]["region"] = {"startLine": f.origin.line}
        if f.origin.object_ref:
            location["logicalLocations"] = [{"fullyQualifiedName": f.origin.object_ref + (
                f"#{f.origin.field}" if f.origin.field else "")}]
        results.append({"ruleId": f.code, "ruleIndex": used.index(f.code), "level": _level(f.severity),
                        "message": {"text": f.message + (f" Hint: {f.hint}" if f.hint else "")},
                        "locations": [location]})
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "tierwall", "version": __version__,
                                         "informationUri": "https://tierwall.dev", "rules": rules}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def _level(severity: str) -> str:
    return {"error": "error", "warning": "warning"}.get(severity, "note")
