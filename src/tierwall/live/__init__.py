"""Live clusters as a source: ``-f k8s://[CONTEXT]`` reads a running cluster, read-only.

The reader goes through the official ``kubernetes`` client (kubeconfig, contexts, bearer
tokens, client certificates, exec plugins and proxies exactly as the client supports them)
and hands the rest of tierwall plain :class:`~tierwall.load.RawObject` values with origins
such as ``k8s://prod/namespaces/dev/networkpolicies.networking.k8s.io/web``, so every command
that takes ``-f`` works on a cluster unchanged. The client is imported only when a live
source is used: file-only runs do not pay for it and do not need it installed.
"""

from .address import LiveSource, is_live, parse_address  # noqa: F401 (public)
from .settings import live_defaults, using

__all__ = ["LiveSource", "is_live", "live_defaults", "parse_address", "read_live", "using"]


def read_live(spec: str, diags):
    """Every object of the live source ``spec`` (``k8s://...``) as raw objects; see :mod:`.read`."""
    from .read import read_source
    return read_source(spec, diags)
