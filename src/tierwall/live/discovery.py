"""API discovery: which of the wanted kinds this server serves, under which resource name.

The same calls kubectl makes (``/api``, ``/api/v1``, ``/apis``, ``/apis/GROUP/VERSION``), but
only for the groups tierwall reads. A group that is not served is not an error: most
clusters have one CNI's CRDs, not every CNI's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .connect import Connection, RequestError
from .kinds import WantedKind


@dataclass(frozen=True)
class Resource:
    """One listable resource: ``pods`` (core v1) or ``networkpolicies`` in ``crd.antrea.io/v1beta1``."""

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def name(self) -> str:
        """kubectl's fully qualified resource name: ``pods``, ``networkpolicies.crd.antrea.io``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{base}/namespaces/{namespace}/{self.plural}" if namespace else f"{base}/{self.plural}"


def _resources(conn: Connection, group: str, version: str) -> list[dict]:
    path = f"/apis/{group}/{version}" if group else f"/api/{version}"
    try:
        doc = conn.get(path)
    except RequestError as exc:
        if exc.status in (404, 503):  # removed meanwhile, or an aggregated API that is down
            return []
        raise
    return [r for r in doc.get("resources") or [] if isinstance(r, dict) and "/" not in str(r.get("name", ""))
            and "list" in (r.get("verbs") or [])]


def served_versions(conn: Connection) -> dict[str, list[str]]:
    """group → versions, preferred first (``""`` → ``["v1"]`` for the core group)."""
    out: dict[str, list[str]] = {"": list(conn.get("/api").get("versions") or ["v1"])}
    for g in conn.get("/apis").get("groups") or []:
        versions = [v.get("version") for v in g.get("versions") or [] if v.get("version")]
        preferred = (g.get("preferredVersion") or {}).get("version")
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        out[str(g.get("name"))] = versions
    return out


def discover(conn: Connection, wanted: list[WantedKind]) -> list[Resource]:
    """The resource to list for each wanted kind the server serves (first group, preferred version)."""
    versions = served_versions(conn)
    listing: dict[tuple[str, str], list[dict]] = {}
    found: list[Resource] = []
    for w in wanted:
        for group in w.groups:
            match = None
            for version in versions.get(group, []):
                if (group, version) not in listing:
                    listing[(group, version)] = _resources(conn, group, version)
                match = next((r for r in listing[(group, version)] if r.get("kind") == w.kind), None)
                if match is not None:
                    found.append(Resource(w.kind, group, version, str(match["name"]), bool(match.get("namespaced"))))
                    break
            if match is not None:
                break
    return found
