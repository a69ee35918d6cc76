"""``k8s://[CONTEXT][?namespace=NS&read=inventory|policies|all&kubeconfig=FILE]``.

Why a URL and not more flags: every command already takes ``-f`` sources, several of them
(a live inventory next to policies from Git), and each source may need its own context or
namespace. ``k8s://`` alone is the kubeconfig's current context. The context is everything
between ``k8s://`` and ``?``: EKS context names are ARNs and contain ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from .settings import live_defaults

SCHEME = "k8s://"
READ_CHOICES = ("all", "inventory", "policies")
"""``inventory``: Namespaces, Pods, Services, EndpointSlices, Nodes, ServiceAccounts only (to put
next to policies from Git); ``policies``: every policy kind only; ``all`` (default): both."""


class AddressError(ValueError):
    """A ``k8s://`` source that cannot be understood."""


@dataclass(frozen=True)
class LiveSource:
    spec: str
    context: str | None
    kubeconfig: str | None
    namespaces: tuple[str, ...] = ()
    read: str = "all"


def is_live(spec: str) -> bool:
    return spec.startswith(SCHEME)


def parse_address(spec: str) -> LiveSource:
    """Parse one ``-f`` value; ``--context``/``--kubeconfig`` fill in what the address leaves out."""
    rest = spec[len(SCHEME):]
    path, _, query = rest.partition("?")
    params = parse_qs(query, keep_blank_values=True, strict_parsing=False) if query else {}
    unknown = sorted(set(params) - {"namespace", "read", "kubeconfig"})
    if unknown:
        raise AddressError(f"unknown parameter {unknown[0]!r} (known: namespace, read, kubeconfig)")
    read = params.get("read", ["all"])[-1]
    if read not in READ_CHOICES:
        raise AddressError(f"read={read} is not one of {', '.join(READ_CHOICES)}")
    namespaces = tuple(sorted({n for v in params.get("namespace", []) for n in v.split(",") if n}))
    defaults = live_defaults()
    context = unquote(path) or defaults.context or None
    kubeconfig = params.get("kubeconfig", [None])[-1] or defaults.kubeconfig
    return LiveSource(spec, context, kubeconfig, namespaces, read)
