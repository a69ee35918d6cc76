"""The object-drift half of ``tierwall diff`` (the connectivity half is ``analysis.diff``).

Kept out of the diff command so that the command only wires the two halves together: this
decides whether objects are listed (``--objects``, or by default when a side is a live
cluster), puts both sides on the same pods for the connectivity comparison when only one
side has pods (Git vs the cluster), and renders the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.text import Text

from ..analysis.drift import DriftReport, align_inventory, object_drift
from ..cluster import Cluster
from ..live import is_live
from ..render.diff import render_diff_json
from ..render.drift import render_drift_text
from .common import stderr


@dataclass
class Drift:
    report: DriftReport
    live_after: bool

    @property
    def changed(self) -> bool:
        return bool(self.report.objects)

    def render(self, console) -> None:
        console.print()
        render_drift_text(self.report, console, self.live_after)

    def json_with(self, connectivity) -> str:
        doc = json.loads(render_diff_json(connectivity))
        doc["objectDrift"] = self.report.to_dict()
        return json.dumps(doc, indent=2) + "\n"


def run_drift(before: Cluster, after: Cluster, wanted: bool | None, before_specs, after_specs
              ) -> tuple[Drift | None, Cluster, Cluster]:
    live_before, live_after = any(map(is_live, before_specs)), any(map(is_live, after_specs))
    if wanted is False or (wanted is None and not (live_before or live_after)):
        return None, before, after
    report = object_drift(before, after)
    before, after, note = align_inventory(before, after)
    if note:
        report.notes.append(note)
        stderr().print(Text(f"note: {note}", style="dim"))
    return Drift(report, live_after and not live_before), before, after
