"""``tierwall snapshot``: a live cluster as files, and those files read back as the cluster.

Layout of a snapshot directory: one ``RESOURCE.yaml`` per kind (``pods.yaml``,
``networkpolicies.crd.antrea.io.yaml`` …), each a ``kind: List`` of cleaned objects in the
server's order, and ``.tierwall-snapshot`` (JSON: context, server, time, namespaces, counts,
and the warnings of the read, such as kinds that were forbidden).

Reading a snapshot back gives the same answers as reading the cluster did, byte for byte:
the objects are the same (the live reader cleans them the same way), they come in the same
order (the live reader orders kinds by file name), they keep their cluster addresses as
origins (``k8s://prod/namespaces/dev/pods/web-0`` — where a fix has to be applied), and the
read's warnings are repeated, so nothing missing from the snapshot goes unsaid.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..errors import Diagnostic, Diagnostics, Severity
from ..load import RawObject
from ..origin import Origin

if TYPE_CHECKING:
    from .read import LiveRead

MARKER = ".tierwall-snapshot"
"""Index file of a snapshot directory; no .yaml suffix, so directory reading never parses it."""
FORMAT = "tierwall.dev/snapshot/v1"

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_snapshot(live: "LiveRead", diags: Diagnostics, out: Path) -> list[tuple[str, int]]:
    """Write ``live`` under ``out`` (created; files of an earlier snapshot there are replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    previous = _index(out)
    if previous is not None:
        for name in previous.get("files", {}):
            (out / name).unlink(missing_ok=True)
    counts = []
    files = {}
    for r in live.resources:
        name = f"{r.resource.name}.yaml"
        doc = {"apiVersion": "v1", "kind": "List", "items": r.items}
        (out / name).write_text(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                                          default_flow_style=False), encoding="utf-8")
        files[name] = {"resource": r.resource.name, "kind": r.resource.kind, "apiVersion": r.resource.api_version,
                       "count": len(r.items)}
        counts.append((r.resource.name, len(r.items)))
    index = {"format": FORMAT, "context": live.context, "server": live.server,
             "takenAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "namespaces": list(live.source.namespaces), "read": live.source.read, "files": files,
             "diagnostics": [{"severity": d.severity.value, "code": d.code, "message": d.message,
                              "origin": _origin_fields(d.origin)} for d in diags.items]}
    (out / MARKER).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return counts


def is_snapshot(path: Path) -> bool:
    return path.is_dir() and (path / MARKER).is_file()


def read_snapshot(path: Path, diags: Diagnostics, load_text) -> list[RawObject]:
    """The snapshot's objects with their cluster origins; the read's diagnostics repeated."""
    from .read import origin_file  # the live reader (and its client) only when a snapshot is read
    index = _index(path)
    if index is None or index.get("format") != FORMAT:
        diags.error(Origin(file=str(path / MARKER)), f"not a tierwall snapshot index (expected format {FORMAT})",
                    "TW101")
        return []
    for d in index.get("diagnostics", []):
        diags.items.append(Diagnostic(Severity(d["severity"]), d["code"], d["message"], Origin(**d["origin"])))
    context = str(index.get("context") or "")
    listed = set(index.get("files", {}))
    for other in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json")
                        and str(p.relative_to(path)) not in listed):
        diags.warning(Origin(file=str(other)), f"not part of the snapshot in {path} (its index does not list it), so "
                                               f"not read; give it with its own -f to read it too", "TW201")
    objects: list[RawObject] = []
    for name, entry in sorted(index.get("files", {}).items()):
        file = path / name
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            diags.error(Origin(file=str(file)), f"cannot read snapshot file: {exc}", "TW101")
            continue
        for raw in load_text(text, str(file), diags):
            o = raw.origin
            origin = Origin(file=origin_file(context, entry["resource"], o.namespace, o.name), kind=o.kind,
                            namespace=o.namespace, name=o.name, api_version=o.api_version)
            objects.append(RawObject(data=raw.data, origin=origin))
    return objects


def _index(path: Path) -> dict | None:
    try:
        return json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _origin_fields(o: Origin) -> dict:
    return {"file": o.file, "doc": o.doc, "line": o.line, "kind": o.kind, "namespace": o.namespace,
            "name": o.name, "api_version": o.api_version, "field": o.field}
