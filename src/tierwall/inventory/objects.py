"""The cluster inventory: what exists, independent of any policy dialect.

Namespaces, Nodes, Pods (real or synthesized from workloads) and Services, with the
indexes the engine needs (by name, by IP). Policies select from this inventory; they never
add to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..addresses import canonical_ip
from ..origin import Origin

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Label the API server puts on every Namespace (immutable, equal to the name)."""


@dataclass(eq=False)
class Namespace:
    name: str
    labels: dict[str, str]
    origin: Origin
    implied: bool = False
    """True when no Namespace object was given and the namespace was inferred from a reference."""


@dataclass(eq=False)
class Node:
    name: str
    labels: dict[str, str]
    addresses: tuple[str, ...]
    """Every address in ``status.addresses`` that is an IP (InternalIP first)."""
    pod_cidrs: tuple[str, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class ContainerPort:
    name: str
    port: int
    protocol: str  # TCP (default), UDP or SCTP


@dataclass(eq=False)
class Pod:
    namespace: str
    name: str
    labels: dict[str, str]
    ips: tuple[str, ...]
    node: str
    service_account: str
    ports: tuple[ContainerPort, ...]
    host_network: bool
    origin: Origin
    synthesized_from: str = ""
    """``Kind/name`` of the workload this pod was made from ('' for a real Pod)."""
    ip_assigned: bool = False
    """True when tierwall chose the IP (the object had none)."""
    index: int = -1
    """Position in :attr:`Inventory.pods`; the engine's bitsets use it."""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ip(self) -> str:
        return self.ips[0] if self.ips else ""

    def named_port(self, name: str, protocol: str) -> int | None:
        """The container port called ``name`` with this protocol, if the pod declares one."""
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.port
        return None


@dataclass(frozen=True, slots=True)
class ServicePort:
    name: str
    port: int
    protocol: str
    target_port: int | str


@dataclass(eq=False)
class Service:
    namespace: str
    name: str
    selector: dict[str, str] | None
    """``None`` for a Service without a selector (endpoints managed by hand)."""
    ports: tuple[ServicePort, ...]
    cluster_ips: tuple[str, ...]
    type: str
    origin: Origin
    declared_headless: bool = False
    """``clusterIP: None`` or ``type: ExternalName``: no virtual IP, no DNAT."""
    endpoint_ips: tuple[str, ...] | None = None
    """Addresses from Endpoints/EndpointSlice objects, when given; else ``None``."""
    ip_assigned: bool = False
    """True when tierwall chose the ClusterIP (the object had none)."""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def headless(self) -> bool:
        return self.declared_headless or not self.cluster_ips

    def port_for(self, port: int | str, protocol: str) -> ServicePort | None:
        for sp in self.ports:
            if sp.protocol == protocol and (sp.port == port or (isinstance(port, str) and sp.name == port)):
                return sp
        return None


@dataclass
class Inventory:
    """Everything that exists in the cluster, indexed for the engine."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    pods: list[Pod] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    workloads: dict[str, list[Pod]] = field(default_factory=dict)
    """``namespace/workload-name`` → the pods made from it (real or synthesized)."""
    service_accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    """``namespace/name`` → labels of the ServiceAccount objects given (Calico selects on them)."""

    def __post_init__(self) -> None:
        self._by_key: dict[str, Pod] = {}
        self._by_ip: dict[str, Pod] = {}
        self._node_by_ip: dict[str, Node] = {}
        self._svc_by_ip: dict[str, Service] = {}

    def reindex(self) -> None:
        """Rebuild the lookup tables after pods, nodes or services changed."""
        self._by_key = {}
        self._by_ip = {}
        for i, pod in enumerate(self.pods):
            pod.index = i
            self._by_key[pod.key] = pod
            if not pod.host_network:
                for ip in pod.ips:
                    self._by_ip[_norm(ip)] = pod
        self._node_by_ip = {_norm(a): n for n in self.nodes.values() for a in n.addresses}
        self._svc_by_ip = {_norm(ip): s for s in self.services.values() for ip in s.cluster_ips}

    def pod(self, key: str) -> Pod | None:
        return self._by_key.get(key)

    def invented_ips(self) -> frozenset[str]:
        """Canonical addresses tierwall made up (pods without ``status.podIP``, Services
        without a ClusterIP): views mark verdicts and cells that rest on them."""
        out = {_norm(ip) for p in self.pods if p.ip_assigned for ip in p.ips}
        out |= {_norm(ip) for s in self.services.values() if s.ip_assigned for ip in s.cluster_ips}
        return frozenset(out)

    def is_invented(self, ip: str) -> bool:
        """True when ``ip`` is an address tierwall assigned, not one the input gave."""
        pod = self.pod_by_ip(ip)
        if pod is not None:
            return pod.ip_assigned
        svc = self.service_by_ip(ip)
        return svc is not None and svc.ip_assigned

    def pod_by_ip(self, ip: str) -> Pod | None:
        return self._by_ip.get(_norm(ip))

    def node_by_ip(self, ip: str) -> Node | None:
        return self._node_by_ip.get(_norm(ip))

    def service_by_ip(self, ip: str) -> Service | None:
        return self._svc_by_ip.get(_norm(ip))

    def service(self, key: str) -> Service | None:
        return self.services.get(key)

    def namespace_labels(self, name: str) -> dict[str, str]:
        ns = self.namespaces.get(name)
        return ns.labels if ns else {NAMESPACE_NAME_LABEL: name}

    def node_address(self, name: str) -> str:
        node = self.nodes.get(name)
        return node.addresses[0] if node and node.addresses else ""


def _norm(ip: str) -> str:
    return canonical_ip(ip)
