"""kubeconfig → an authenticated connection to one cluster's API server.

Everything about credentials is the official client's job (``kubernetes.config``): merged
``KUBECONFIG`` paths, contexts, bearer tokens, client certificates, exec plugins, proxies.
tierwall only turns its failures into one sentence naming the context and the file, and
sends requests through the client's own request pipeline (``param_serialize`` applies the
auth settings, ``call_api`` the TLS and proxy set-up).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from .address import LiveSource

REQUEST_TIMEOUT = (10, 120)
"""(connect, read) seconds: a blackholed server fails in seconds, a slow large list does not."""


class LiveError(Exception):
    """The source as a whole cannot be read (no kubeconfig, unreachable, credentials refused)."""


class RequestError(Exception):
    """One request failed with an HTTP status; ``message`` is the API server's Status message."""

    def __init__(self, status: int, message: str, reason: str = ""):
        super().__init__(f"{status} {reason}: {message}")
        self.status, self.message, self.reason = status, message, reason


def kubeconfig_path(source: LiveSource) -> str:
    """The kubeconfig as kubectl would find it: --kubeconfig, else $KUBECONFIG, else ~/.kube/config."""
    return source.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")


@dataclass
class Connection:
    """One authenticated client for one context."""

    context: str
    server: str
    client: Any

    def get(self, path: str, query: list[tuple[str, Any]] | None = None) -> dict:
        """GET ``path`` as JSON. Raises :class:`RequestError` on an HTTP error status and
        :class:`LiveError` when the server cannot be reached or refuses the credentials."""
        import urllib3
        client = self.client
        try:
            method, url, headers, body, post = client.param_serialize(
                "GET", path, query_params=query or [], header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"])
            response = client.call_api(method, url, headers, body, post, _request_timeout=REQUEST_TIMEOUT)
            response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise LiveError(f"cannot reach the API server {self.server} of context {self.context}: "
                            f"{_root_cause(exc)}") from None
        except Exception as exc:  # the client's own errors (exec plugin, token refresh)
            if type(exc).__module__.startswith("kubernetes"):
                raise LiveError(f"context {self.context}: {exc}") from None
            raise
        status = response.status
        if status == 401:
            raise LiveError(f"the API server {self.server} refused the credentials of context {self.context} "
                            f"(401 Unauthorized): the token or certificate is invalid or has expired; "
                            f"log in again")
        data = _json(response.data)
        if not 200 <= status < 300:
            message = data.get("message") if isinstance(data, dict) else None
            reason = data.get("reason") if isinstance(data, dict) else None
            raise RequestError(status, message or (response.data or b"")[:200].decode("utf-8", "replace").strip(),
                               reason or str(response.reason or ""))
        if not isinstance(data, dict):
            raise LiveError(f"the API server {self.server} answered {path} with something that is not JSON")
        return data


def _json(raw: bytes | None) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a urllib3 error (``MaxRetryError`` wraps the useful one)."""
    reason = getattr(exc, "reason", None)
    while isinstance(reason, BaseException) and getattr(reason, "reason", None) is not None:
        reason = reason.reason
    text = str(reason if reason is not None else exc)
    # urllib3 prefixes its connection objects' repr: keep the part a person can act on
    return text.split(": ", 1)[1] if text.startswith("<") and ": " in text else text


def connect(source: LiveSource) -> Connection:
    """Load the kubeconfig and build a client for the source's context (or the current one)."""
    try:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise LiveError("reading a live cluster needs the kubernetes client: pip install 'tierwall[live]'") from None
    path = kubeconfig_path(source)
    first = path.split(os.pathsep)[0]
    if not any(os.path.exists(os.path.expanduser(p)) for p in path.split(os.pathsep)):
        raise LiveError(f"no kubeconfig at {first} (give --kubeconfig FILE or set KUBECONFIG)")
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
        names = [c["name"] for c in contexts or []]
        name = source.context or (current or {}).get("name")
        if not name:
            raise LiveError(f"{first}: no current context; name one with k8s://CONTEXT or --context "
                            f"(contexts: {', '.join(names) or 'none'})")
        if name not in names:
            raise LiveError(f"context {name!r} is not in {first} (contexts: {', '.join(names) or 'none'})")
        configuration = client.Configuration()
        config.load_kube_config(config_file=path, context=name, client_configuration=configuration,
                                persist_config=False)
    except ConfigException as exc:
        raise LiveError(f"{first}: context {source.context or '(current)'}: {exc}") from None
    except LiveError:
        raise
    except Exception as exc:  # unreadable or malformed kubeconfig (YAML, missing keys, bad base64)
        raise LiveError(f"{first}: cannot use the kubeconfig: {exc}") from None
    configuration.retries = 1  # one retry on a dropped connection; a dead server fails fast
    return Connection(name, configuration.host, client.ApiClient(configuration))
