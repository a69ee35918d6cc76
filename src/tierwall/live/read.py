"""List every wanted kind from one cluster into raw objects with ``k8s://`` origins.

Lists page by page (``limit``/``continue``, as kubectl does) so a 10,000-pod cluster never
needs one giant response. One kind that cannot be listed does not stop the others:

* 403 Forbidden → a warning naming the kind and the permission missing, in the words of
  ``kubectl auth can-i``; the answers then lack that kind, and the warning says so.
* any other error status on one kind → an error for that kind (answers would be wrong).
* unreachable server, refused credentials, unusable kubeconfig → one error for the source.

Objects come out ordered by resource name (``networkpolicies.crd.antrea.io`` …) and then in
the server's order, which is exactly the order a :mod:`snapshot <.snapshot>` directory is
read back in, so the two give identical answers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from ..errors import Diagnostics
from ..load import RawObject
from ..origin import Origin
from .address import SCHEME, AddressError, LiveSource, parse_address
from .clean import clean
from .connect import Connection, LiveError, RequestError, connect
from .discovery import Resource, discover
from .kinds import wanted

PAGE_SIZE = 500
"""Objects per list request: kubectl's default chunk size."""

CODE_UNREADABLE = "TW130"
CODE_FORBIDDEN = "TW230"
CODE_PARTIAL = "TW330"


@dataclass
class ResourceRead:
    resource: Resource
    items: list[dict]


@dataclass
class LiveRead:
    """What one live source gave: per resource, its cleaned objects, in reading order."""

    source: LiveSource
    context: str
    server: str
    resources: list[ResourceRead] = field(default_factory=list)


def origin_file(context: str, resource_name: str, namespace: str, name: str) -> str:
    """``k8s://ctx/namespaces/dev/networkpolicies.networking.k8s.io/web`` — kubectl's names."""
    where = f"namespaces/{namespace}/" if namespace else ""
    return f"{SCHEME}{context}/{where}{resource_name}/{name}"


def to_raw(obj: dict, context: str, resource_name: str) -> RawObject:
    md = obj.get("metadata") or {}
    ns, name = str(md.get("namespace") or ""), str(md.get("name") or "")
    origin = Origin(file=origin_file(context, resource_name, ns, name), kind=str(obj.get("kind") or ""),
                    namespace=ns, name=name, api_version=str(obj.get("apiVersion") or ""))
    return RawObject(data=obj, origin=origin)


def read_source(source: LiveSource | str, diags: Diagnostics) -> list[RawObject]:
    """Raw objects of one live source; problems go to ``diags`` (never raised)."""
    live = read_cluster(source, diags)
    if live is None:
        return []
    return [to_raw(obj, live.context, r.resource.name) for r in live.resources for obj in r.items]


def read_cluster(source: LiveSource | str, diags: Diagnostics, progress=None) -> LiveRead | None:
    """Discover and list; ``None`` (with one error in ``diags``) when the source is unusable."""
    spec = source if isinstance(source, str) else source.spec
    try:
        src = parse_address(source) if isinstance(source, str) else source
        conn = connect(src)
        resources = sorted(discover(conn, wanted(src.read)), key=lambda r: f"{r.name}.yaml")
        live = LiveRead(src, conn.context, conn.server)
        if src.namespaces:
            diags.info(Origin(file=spec), f"reading only namespace{'s' if len(src.namespaces) > 1 else ''} "
                                          f"{', '.join(src.namespaces)}: pods, services and policies of other "
                                          f"namespaces are not part of the answers", CODE_PARTIAL)
        report = progress if progress is not None else Progress.for_stderr(conn.context)
        for res in resources:
            items = _read_resource(conn, res, src.namespaces, diags, spec, report)
            if items is not None:
                live.resources.append(ResourceRead(res, items))
                report.kind_done(res.name, len(items))
        report.finish()
        return live
    except AddressError as exc:
        diags.error(Origin(file=spec), f"not a usable live source: {exc}", CODE_UNREADABLE)
    except LiveError as exc:
        diags.error(Origin(file=spec), str(exc), CODE_UNREADABLE)
    except RequestError as exc:  # discovery itself failed
        diags.error(Origin(file=spec), f"API discovery failed: {exc}", CODE_UNREADABLE)
    return None


def _read_resource(conn: Connection, res: Resource, namespaces: tuple[str, ...], diags: Diagnostics,
                   spec: str, report: "Progress | None" = None) -> list[dict] | None:
    try:
        if res.kind == "Namespace" and namespaces:
            return [clean(_fill(conn.get(f"/api/v1/namespaces/{ns}"), res)) for ns in namespaces]
        if res.namespaced and namespaces:
            return [obj for ns in namespaces for obj in list_all(conn, res, ns)]
        return list_all(conn, res, on_page=(lambda n: report.page(res.name, n)) if report else None)
    except RequestError as exc:
        scope = f" -n {namespaces[0]}" if namespaces and res.namespaced else (" -A" if res.namespaced else "")
        verb, what = ("get", f"{res.name}/{namespaces[0]}") if res.kind == "Namespace" and namespaces else \
            ("list", res.name)
        if exc.status == 403:
            diags.warning(Origin(file=spec, kind=res.kind),
                          f"cannot {verb} {what} (forbidden: kubectl auth can-i {verb} {what}{scope} says no); "
                          f"every {res.kind} ({res.api_version}) is missing from the answers", CODE_FORBIDDEN)
        elif exc.status == 404 and res.kind == "Namespace":
            diags.error(Origin(file=spec, kind="Namespace"), f"namespace not found: {exc.message}", CODE_UNREADABLE)
        else:
            diags.error(Origin(file=spec, kind=res.kind), f"cannot list {res.name}: {exc}", CODE_UNREADABLE)
        return None


def list_all(conn: Connection, res: Resource, namespace: str | None = None, on_page=None) -> list[dict]:
    """Every object of ``res``, page by page; a list restarted once if its continue token expires (410).
    ``on_page(count so far)`` is called after each page (progress)."""
    for attempt in (1, 2):
        items: list[dict] = []
        token = None
        try:
            while True:
                query = [("limit", PAGE_SIZE)] + ([("continue", token)] if token else [])
                page = conn.get(res.path(namespace), query)
                items.extend(clean(_fill(obj, res)) for obj in page.get("items") or [] if isinstance(obj, dict))
                token = (page.get("metadata") or {}).get("continue")
                if on_page is not None and token:
                    on_page(len(items))
                if not token:
                    return items
        except RequestError as exc:
            if exc.status != 410 or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _fill(obj: dict, res: Resource) -> dict:
    """List items of built-in kinds come without kind/apiVersion (the list names them): add them,
    first, so the object reads like one from ``kubectl get -o yaml``."""
    if obj.get("kind") and obj.get("apiVersion"):
        return obj
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": res.api_version, "kind": res.kind, **rest}


class Progress:
    """Counts per kind on stderr while a cluster is read — only when stderr is a terminal."""

    def __init__(self, context: str, stream=None):
        self.context, self.stream = context, stream
        self.parts: list[str] = []

    @classmethod
    def for_stderr(cls, context: str) -> "Progress":
        return cls(context, sys.stderr if sys.stderr.isatty() else None)

    def _show(self, parts: list[str]) -> None:
        if self.stream is not None:
            self.stream.write(f"\rreading k8s://{self.context}: {', '.join(parts)}\x1b[K")
            self.stream.flush()

    def page(self, name: str, count: int) -> None:
        """A long list is under way: show its count so far (``pods 3500…``)."""
        self._show(self.parts + [f"{name} {count}…"])

    def kind_done(self, name: str, count: int) -> None:
        self.parts.append(f"{name} {count}")
        self._show(self.parts)

    def finish(self) -> None:
        if self.stream is not None and self.parts:
            self.stream.write("\n")
            self.stream.flush()
