"""A small HTTPS server on 127.0.0.1 that speaks the Kubernetes API wire protocol from recorded data.

No kube-apiserver can run on the test machines, so this plays one: legacy discovery
(``/api``, ``/api/v1``, ``/apis``, ``/apis/GROUP/VERSION``), ``/version``, list responses
(``kind: XList``, ``metadata.resourceVersion``, ``limit``/``continue`` paging with opaque
tokens, 410 Gone for a stale token), single GETs, ``Status`` objects for 401/403/404, and
authentication by bearer token or client certificate. Built-in kinds' list items come
without kind/apiVersion, as the real server sends them; custom resources' items carry them.
``test_kubectl_faithful`` runs the real kubectl against it, so it stays honest.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _r(group, version, plural, kind, namespaced, *short):
    return ResourceType(group, version, plural, kind, namespaced, short)


CATALOG = (
    _r("", "v1", "namespaces", "Namespace", False, "ns"),
    _r("", "v1", "nodes", "Node", False, "no"),
    _r("", "v1", "pods", "Pod", True, "po"),
    _r("", "v1", "services", "Service", True, "svc"),
    _r("", "v1", "serviceaccounts", "ServiceAccount", True, "sa"),
    _r("", "v1", "configmaps", "ConfigMap", True, "cm"),
    _r("apps", "v1", "deployments", "Deployment", True, "deploy"),
    _r("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    _r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, "netpol"),
    _r("crd.antrea.io", "v1beta1", "clusternetworkpolicies", "ClusterNetworkPolicy", False, "acnp"),
    _r("crd.antrea.io", "v1beta1", "networkpolicies", "NetworkPolicy", True, "anp"),
    _r("crd.antrea.io", "v1beta1", "tiers", "Tier", False, "tr"),
    _r("crd.antrea.io", "v1beta1", "clustergroups", "ClusterGroup", False, "cg"),
    _r("crd.antrea.io", "v1beta1", "groups", "Group", True, "grp"),
    _r("crd.projectcalico.org", "v1", "globalnetworkpolicies", "GlobalNetworkPolicy", False),
    _r("crd.projectcalico.org", "v1", "networkpolicies", "NetworkPolicy", True),
    _r("crd.projectcalico.org", "v1", "tiers", "Tier", False),
    _r("crd.projectcalico.org", "v1", "globalnetworksets", "GlobalNetworkSet", False),
    _r("crd.projectcalico.org", "v1", "networksets", "NetworkSet", True),
    _r("crd.projectcalico.org", "v1", "ippools", "IPPool", False),
    _r("projectcalico.org", "v3", "globalnetworkpolicies", "GlobalNetworkPolicy", False, "gnp"),
    _r("projectcalico.org", "v3", "networkpolicies", "NetworkPolicy", True, "cnp"),
    _r("projectcalico.org", "v3", "tiers", "Tier", False),
    _r("projectcalico.org", "v3", "globalnetworksets", "GlobalNetworkSet", False),
    _r("projectcalico.org", "v3", "networksets", "NetworkSet", True),
    _r("policy.networking.k8s.io", "v1alpha1", "adminnetworkpolicies", "AdminNetworkPolicy", False, "anp"),
    _r("policy.networking.k8s.io", "v1alpha1", "baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy",
       False, "banp"),
    _r("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _r("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
    _r("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings",
       "ValidatingAdmissionPolicyBinding", False),
)
"""Resource types the server can serve; a cluster serves the groups it is given."""

BUILTIN_GROUPS = ("", "apps", "discovery.k8s.io", "networking.k8s.io")
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def catalog_for(objects: list[dict]) -> tuple[str, ...]:
    """Groups to serve for a set of objects: the built-in ones and every group an object uses."""
    groups = set(BUILTIN_GROUPS)
    for obj in objects:
        groups.add(str(obj.get("apiVersion", "")).rpartition("/")[0])
    return tuple(sorted(groups))


@dataclass
class Cluster:
    """The recorded state the server answers from, and what it allows."""

    objects: list[dict]
    groups: tuple[str, ...] = BUILTIN_GROUPS
    tokens: dict[str, str] = field(default_factory=lambda: {"test-token": "alice"})
    expired_tokens: frozenset[str] = frozenset()
    client_cert_users: frozenset[str] = frozenset({"alice"})
    forbidden: frozenset[str] = frozenset()
    """Qualified resource names (``pods``, ``networkpolicies.crd.antrea.io``) alice may not list."""
    resource_version: int = 4711
    requests: list[str] = field(default_factory=list)

    def types(self) -> list[ResourceType]:
        return [t for t in CATALOG if t.group in self.groups]

    def items(self, t: ResourceType, namespace: str | None) -> list[dict]:
        out = [o for o in self.objects if o.get("kind") == t.kind and
               str(o.get("apiVersion", "")).rpartition("/")[0] == t.group and
               (namespace is None or (o.get("metadata") or {}).get("namespace") == namespace)]
        # etcd order: by key, i.e. namespace then name
        return sorted(out, key=lambda o: ((o["metadata"].get("namespace") or ""), o["metadata"]["name"]))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as Go servers do; else delayed ACKs cost 40 ms a request
    server: "_Server"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, doc: dict) -> None:
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Audit-Id", "00000000-0000-0000-0000-000000000000")
        self.end_headers()
        self.wfile.write(body)

    def _status(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        doc = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
               "reason": reason, "code": code}
        if details:
            doc["details"] = details
        self._send(code, doc)

    def _user(self) -> str | None:
        cluster = self.server.cluster
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer "):]
            if token in cluster.expired_tokens:
                return None
            return cluster.tokens.get(token)
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            cn = dict(x[0] for x in cert.get("subject", ())).get("commonName")
            if cn in cluster.client_cert_users:
                return cn
        return None

    def do_GET(self):  # noqa: N802 - http.server's naming
        cluster = self.server.cluster
        url = urlsplit(self.path)
        cluster.requests.append(self.path)
        query = parse_qs(url.query)
        if self._user() is None:
            return self._status(401, "Unauthorized", "Unauthorized")
        parts = [p for p in url.path.split("/") if p]
        if parts == ["version"]:
            return self._send(200, {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"})
        if parts == ["api"]:
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]})
        if parts == ["apis"]:
            return self._send(200, self._group_list())
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return self._status(404, "NotFound", "the server could not find the requested resource")
        types = [t for t in cluster.types() if t.group == group and t.version == version]
        if not types:
            return self._status(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            return self._send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion":
                                    f"{group}/{version}" if group else version, "resources": [
                {"name": t.plural, "singularName": t.kind.lower(), "namespaced": t.namespaced, "kind": t.kind,
                 "verbs": VERBS, **({"shortNames": list(t.short)} if t.short else {})} for t in types]})
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        t = next((t for t in types if t.plural == rest[0]), None)
        if t is None or (namespace is not None and not t.namespaced):
            return self._status(404, "NotFound", "the server could not find the requested resource")
        if len(rest) == 2:
            name = rest[1]
            found = [o for o in cluster.items(t, namespace) if o["metadata"]["name"] == name]
            if not found:
                return self._status(404, "NotFound", f'{t.qualified} "{name}" not found',
                                    {"name": name, "group": t.group, "kind": t.plural})
            return self._send(200, found[0])
        if t.qualified in cluster.forbidden:
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            return self._status(403, "Forbidden", f'{t.qualified} is forbidden: User "alice" cannot list resource '
                                                  f'"{t.plural}" in API group "{t.group}" {scope}',
                                {"group": t.group, "kind": t.plural})
        return self._list(t, namespace, query)

    def _group_list(self) -> dict:
        groups = {}
        for t in self.server.cluster.types():
            if t.group:
                groups.setdefault(t.group, t.version)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
             "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}} for g, v in sorted(groups.items())]}

    def _list(self, t: ResourceType, namespace: str | None, query: dict) -> None:
        cluster = self.server.cluster
        items = cluster.items(t, namespace)
        start = 0
        token = (query.get("continue") or [""])[0]
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                start = int(state["start"])
                if state["rv"] != cluster.resource_version:
                    raise ValueError("stale")
            except (ValueError, KeyError, TypeError):
                return self._status(410, "Expired", "The provided continue parameter is too old to display a "
                                                    "consistent list result. You can start a new list without the "
                                                    "continue parameter.")
        limit = int((query.get("limit") or ["0"])[0] or 0)
        end = len(items) if limit <= 0 else min(len(items), start + limit)
        page = items[start:end]
        if t.group in BUILTIN_GROUPS:  # the real server omits kind/apiVersion on built-in list items
            page = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in page]
        meta = {"resourceVersion": str(cluster.resource_version)}
        if end < len(items):
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"start": end, "rv": cluster.resource_version}).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        self._send(200, {"kind": f"{t.kind}List", "apiVersion": t.api_version, "metadata": meta, "items": page})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    cluster: Cluster


class ApiServer:
    """Serve ``cluster`` over HTTPS on 127.0.0.1 (an ephemeral port) until :meth:`stop`."""

    def __init__(self, cluster: Cluster, pki):
        self.cluster = cluster
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.cluster = cluster
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.server_cert, pki.server_key)
        context.load_verify_locations(pki.ca_cert)
        context.verify_mode = ssl.CERT_OPTIONAL  # client certificates authenticate when given
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "ApiServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
