"""Command-line defaults for live sources (``--kubeconfig``, ``--context``).

kubectl spells these as global flags; tierwall accepts them on every command that reads
input and applies them to each ``k8s://`` source that does not say otherwise. A context
variable carries them from the option parser to the loader, so the many places that load
input (``load_cluster`` from the CLI, lint, diff's two sides) need no new parameters.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class LiveDefaults:
    kubeconfig: str | None = None
    context: str | None = None


_CURRENT: ContextVar[LiveDefaults] = ContextVar("tierwall_live_defaults", default=LiveDefaults())


def live_defaults() -> LiveDefaults:
    return _CURRENT.get()


@contextmanager
def using(kubeconfig: str | None = None, context: str | None = None):
    """Apply ``--kubeconfig``/``--context`` to the live sources read inside the block."""
    token = _CURRENT.set(LiveDefaults(kubeconfig, context))
    try:
        yield
    finally:
        _CURRENT.reset(token)
