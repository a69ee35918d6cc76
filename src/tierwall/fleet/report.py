"""The fleet compliance report: clusters × tests, every failure with the rule that decided,
every cluster whose input could not be used with its diagnostics. As data (JSON), a terminal
table, Markdown (for a pull-request comment) and JUnit XML (one suite per cluster)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rich.console import Console
from rich.table import Table
from rich.text import Text

REPORT_FORMAT = "tierwall.dev/v1alpha1"


def fleet_report(fleet_name: str, results: list[dict]) -> dict:
    tests: list[str] = []
    for r in results:
        for case in r["cases"]:
            if case["test"] not in tests:
                tests.append(case["test"])
    status = [r["status"] for r in results]
    return {"apiVersion": REPORT_FORMAT, "kind": "FleetCheckReport", "fleet": fleet_name,
            "summary": {"clusters": len(results), "passed": status.count("passed"), "failed": status.count("failed"),
                        "errors": status.count("error"),
                        "cases": sum(len(r["cases"]) for r in results),
                        "failedCases": sum(not c["passed"] for r in results for c in r["cases"])},
            "tests": tests, "clusters": results}


def cell(result: dict, test: str) -> tuple[str, str]:
    """(text, style) of one cluster × test cell."""
    if result["status"] == "error":
        return "error", "bold red"
    cases = [c for c in result["cases"] if c["test"] == test]
    if not cases:
        return "·", "dim"
    ok = sum(c["passed"] for c in cases)
    if ok == len(cases):
        return f"✓ {ok}/{len(cases)}", "green"
    return f"✗ {ok}/{len(cases)}", "bold red"


def _decided(failure: dict) -> str:
    d = failure["decidedBy"]
    where = d.get("origin") or {}
    loc = f"{where.get('file')}:{where.get('line')}" if where.get("line") else where.get("file") or ""
    rule = d.get("rule")
    rule_text = f" rule {rule['index']}" + (f" \"{rule['name']}\"" if rule and rule.get("name") else "") \
        if rule else ""
    who = f"{d['policy']}{rule_text}" if d.get("policy") else d.get("explanation", "")
    tier = f" [{d['tier']}]" if d.get("tier") else ""
    return f"{who}{tier}" + (f" ({loc})" if loc else "")


def failure_lines(report: dict) -> list[tuple[str, dict, dict]]:
    """(cluster, case, failing pair) for every failing pair, in report order."""
    return [(r["cluster"], c, f) for r in report["clusters"] for c in r["cases"] for f in c["failures"]]


def _diag_text(d: dict) -> str:
    o = d["origin"]
    where = f"{o['file']}:{o['line']}" if o.get("line") else o["file"]
    obj = "/".join(p for p in (o.get("kind"), o.get("namespace"), o.get("name")) if p)
    field = f" {o['field']}" if o.get("field") else ""
    return f"{where} {obj}{field}: {d['severity']}: {d['message']} [{d['code']}]".replace("  ", " ")


def render_text(report: dict, console: Console, verbose: bool = False) -> None:
    table = Table(title=f"fleet {report['fleet']}", title_justify="left")
    table.add_column("CLUSTER", style="bold")
    table.add_column("GROUPS")
    for test in report["tests"]:
        table.add_column(test)
    table.add_column("DELIVERY")
    for r in report["clusters"]:
        cells = [Text(*cell(r, t)) for t in report["tests"]]
        table.add_row(r["cluster"], ", ".join(r["groups"]) or "—", *cells, _delivery(r))
    console.print(table)
    failures = failure_lines(report)
    if failures:
        console.print(Text("Failures", style="bold"))
        for cluster, case, f in failures:
            line = Text(f"  {cluster}: ", style="bold") + Text(f"{case['name']} ({case['test']}) ")
            line += Text(f"{f['from']} → {f['to']}" + (f" {f['protocol']}/{f['port']}" if f.get("port") else
                                                          f" {f['protocol']}"))
            line += Text(f": expected {f['expect']}, got {f['verdict']}", style="red")
            console.print(line)
            console.print(Text(f"      decided by {_decided(f)}", style="dim"))
    errors = [r for r in report["clusters"] if r["status"] == "error"]
    for r in errors:
        console.print(Text(f"{r['cluster']}: input is not usable", style="bold red"))
        for d in r["diagnostics"]:
            if d["severity"] == "error" or verbose:
                console.print(Text(f"  {_diag_text(d)}"))
    if verbose:
        for r in report["clusters"]:
            for d in r["diagnostics"]:
                if r["status"] != "error":
                    console.print(Text(f"{r['cluster']}: {_diag_text(d)}", style="yellow"))
    s = report["summary"]
    console.print(Text(f"{s['clusters']} clusters: {s['passed']} compliant, {s['failed']} failing, "
                       f"{s['errors']} with unusable input; {s['failedCases']} of {s['cases']} cases failed",
                       style="bold"))


def _delivery(r: dict) -> str:
    d = r.get("delivery")
    if not d:
        return "—"
    parts = [f"{d['delivered']} objects"]
    for key in ("drifted", "pruned", "orphaned"):
        if d[key]:
            parts.append(f"{len(d[key])} {key}")
    return ", ".join(parts)


def render_markdown(report: dict) -> str:
    head = ["cluster", "groups", *report["tests"], "delivery"]
    lines = [f"### Fleet {report['fleet']}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for r in report["clusters"]:
        cells = [cell(r, t)[0] for t in report["tests"]]
        lines.append("| " + " | ".join([f"**{r['cluster']}**", ", ".join(r["groups"]) or "—", *cells,
                                        _delivery(r)]) + " |")
    failures = failure_lines(report)
    if failures:
        lines += ["", "#### Failures", ""]
        for cluster, case, f in failures:
            lines.append(f"- **{cluster}** — {case['name']} (`{case['test']}`): `{f['from']}` → `{f['to']}` "
                         f"{f['protocol']}{'/' + str(f['port']) if f.get('port') else ''}: expected {f['expect']}, "
                         f"got **{f['verdict']}** — decided by `{_decided(f)}`")
    errors = [r for r in report["clusters"] if r["status"] == "error"]
    if errors:
        lines += ["", "#### Clusters with unusable input", ""]
        for r in errors:
            for d in r["diagnostics"]:
                if d["severity"] == "error":
                    lines.append(f"- **{r['cluster']}**: `{_diag_text(d)}`")
    s = report["summary"]
    lines += ["", f"{s['clusters']} clusters: {s['passed']} compliant, {s['failed']} failing, {s['errors']} with "
                  f"unusable input; {s['failedCases']} of {s['cases']} cases failed", ""]
    return "\n".join(lines)


def render_junit(report: dict) -> str:
    s = report["summary"]
    root = ET.Element("testsuites", name=f"tierwall fleet {report['fleet']}", tests=str(s["cases"]),
                      failures=str(s["failedCases"]), errors=str(s["errors"]))
    for r in report["clusters"]:
        suite = ET.SubElement(root, "testsuite", name=r["cluster"], tests=str(len(r["cases"])),
                              failures=str(sum(not c["passed"] for c in r["cases"])),
                              errors="1" if r["status"] == "error" else "0")
        if r["status"] == "error":
            case = ET.SubElement(suite, "testcase", classname=r["cluster"], name="input")
            err = ET.SubElement(case, "error", message="input is not usable", type="InputError")
            err.text = "\n".join(_diag_text(d) for d in r["diagnostics"] if d["severity"] == "error")
            continue
        for c in r["cases"]:
            case = ET.SubElement(suite, "testcase", classname=f"{r['cluster']}.{c['test']}", name=c["name"],
                                 file=c["origin"]["file"])
            if c["origin"].get("line"):
                case.set("line", str(c["origin"]["line"]))
            if not c["passed"]:
                first = c["failures"][0]
                fail = ET.SubElement(case, "failure", type="VerdictMismatch",
                                     message=f"{c['failedPairs']} of {c['pairs']} pairs: expected {c['expect']}, "
                                             f"got {first['verdict']}")
                fail.text = "\n".join(f"{f['from']} -> {f['to']}: {f['verdict']}, decided by {_decided(f)}"
                                      for f in c["failures"])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def exit_code(report: dict) -> int:
    """2 when some cluster's input is unusable, else 1 when some case failed, else 0."""
    s = report["summary"]
    return 2 if s["errors"] else 1 if s["failed"] else 0


def render_diff_text(report: dict, console: Console, limit: int = 20) -> None:
    """Per changed cluster its changes (the first ``limit``, saying how many more), then the
    summary sentence."""
    from .diff import summary_sentence
    for r in report["clusters"]:
        status = r["status"]
        if status == "unchanged":
            continue
        head = Text(f"{r['cluster']}: ", style="bold")
        if status in ("added", "removed"):
            console.print(head + Text(f"{status} {'to' if status == 'added' else 'from'} the fleet"))
            continue
        if status == "error":
            console.print(head + Text("input is not usable", style="bold red"))
            for d in r["diagnostics"]:
                if d["severity"] == "error":
                    console.print(Text(f"  {_diag_text(d)}"))
            continue
        d = r["diff"]
        s = d["summary"]
        console.print(head + Text(f"{s['newlyAllowed']} pairs newly allowed, {s['newlyDenied']} newly denied"
                                  + (" — loses DNS" if r.get("losesDns") else ""),
                                  style="red" if r.get("losesDns") else ""))
        for c in d["changes"][:limit]:
            why = c["decidedAfter"]
            rule = f"{why['policy']}" + (f" rule {why['rule']['index']}" if why.get("rule") else "") \
                if why.get("policy") else why.get("explanation", "")
            console.print(Text(f"  {c['change']}: {c['from']} → {c['to']} {c['port']} "
                               f"({c['before']} → {c['after']}, {c['pairs']} pairs) by {rule}"))
        if len(d["changes"]) > limit:
            console.print(Text(f"  … and {len(d['changes']) - limit} more changes (-o json lists all)", style="dim"))
        for key, word in (("podsAdded", "pods added"), ("podsRemoved", "pods removed"),
                          ("servicePortsAdded", "Service ports added"), ("servicePortsRemoved", "Service ports removed")):
            if d[key]:
                console.print(Text(f"  {len(d[key])} {word}", style="dim"))
    console.print(Text(summary_sentence(report), style="bold"))


def diff_markdown(report: dict) -> str:
    from .diff import summary_sentence
    lines = [f"### Fleet {report['fleet']}: {report['before']} → {report['after']}", "",
             f"**{summary_sentence(report)}**", "", "| cluster | status | newly allowed | newly denied | DNS |",
             "|---|---|---|---|---|"]
    for r in report["clusters"]:
        s = r.get("diff", {}).get("summary", {})
        lines.append(f"| {r['cluster']} | {r['status']} | {s.get('newlyAllowed', '')} | {s.get('newlyDenied', '')} "
                     f"| {'**lost**' if r.get('losesDns') else ''} |")
    return "\n".join(lines) + "\n"


def _flow_text(example: dict) -> str:
    flow = example["flow"]

    def end(e: dict) -> str:
        return e.get("pod") or (f"node/{e['node']}" if e.get("kind") == "node" else e["ip"])

    l4 = f"{flow['protocol']}/{flow['port']}" if flow.get("port") is not None else flow["protocol"]
    return f"{end(flow['from'])} → {end(flow['to'])} {l4}: {example['verdict']}"


def _where(rule: dict) -> str:
    o = rule["origin"]
    return f"{o['file']}:{o['line']}" if o.get("line") else o["file"]


def render_precedence_text(results: list[dict], console: Console) -> None:
    """Per cluster: overrides that work (a broken fleet) first, then attempts the fleet wins."""
    broken = 0
    for r in results:
        if r["status"] == "error":
            console.print(Text(f"{r['cluster']}: input is not usable", style="bold red"))
            for d in r["diagnostics"]:
                if d["severity"] == "error":
                    console.print(Text(f"  {_diag_text(d)}"))
            continue
        findings = sorted(r["findings"], key=lambda f: f["kind"] != "local-overrides-fleet")
        if not findings:
            continue
        console.print(Text(f"{r['cluster']}:", style="bold"))
        for f in findings:
            bad = f["kind"] == "local-overrides-fleet"
            broken += bad
            mark = Text("  ✗ local rule overrides the fleet: ", style="bold red") if bad else \
                Text("  ✓ the fleet rule wins: ", style="green")
            console.print(mark + Text(f["summary"]))
            console.print(Text(f"      why: {f['why']}", style="dim"))
            console.print(Text(f"      winner {_where(f['winner'])}; overridden {_where(f['overridden'])}", style="dim"))
            if f["example"]:
                decided = f["example"]["decidedBy"]
                console.print(Text(f"      e.g. {_flow_text(f['example'])}, decided by {decided['policy']}"
                                   f" [{decided['tier']}] (trace: -o json)", style="dim"))
    total = sum(len(r["findings"]) for r in results)
    console.print(Text(f"{total} conflicting local/fleet rule pairs; {broken} where the local rule wins",
                       style="bold red" if broken else "bold"))


def render_trace_text(doc: dict, console: Console) -> None:
    """Each pair: the verdict and who decided, then each side with its cluster."""
    for d in doc["diagnostics"]:
        console.print(Text(f"error: {d['message']}", style="bold red"))
    for pair in doc["pairs"]:
        l4 = f"{pair['protocol']}/{pair['port']}" if pair.get("port") is not None else pair["protocol"]
        decided = pair["decidedBy"]
        style = "bold green" if pair["verdict"] == "Allow" else "bold red"
        console.print(Text(f"{pair['from']} → {pair['to']} {l4}: ") + Text(pair["verdict"], style=style)
                      + Text(f" — decided at {decided['cluster']} by "
                             f"{decided.get('policy') or decided.get('explanation')}"
                             + (f" [{decided['tier']}]" if decided.get("tier") else "")))
        for side in pair["sides"]:
            seen = f" (source seen as {pair['seenAtDestinationAs']})" if side["side"] == "ingress" and \
                pair.get("seenAtDestinationAs") else ""
            d = side["decidedBy"]
            origin = d.get("origin") or {}
            where = f" ({origin.get('file')}:{origin.get('line')})" if origin.get("line") else ""
            console.print(Text(f"  {side['side']} at {side['cluster']}{seen}: {side['verdict']} — "
                               f"{d.get('explanation')}{where}", style="dim"))
