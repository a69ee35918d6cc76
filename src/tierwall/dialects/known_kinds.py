"""Every kind of the API groups tierwall reads, so a misspelt kind is an error, not a skip.

An object of an unknown group (a ConfigMap, a cert-manager Certificate) is skipped: tierwall
does not read it and says so with ``-v``. But ``crd.antrea.io ClusterNetworkPolcy`` is no
kind at all — the API server would refuse it (no such resource) and, skipped, it would
silently leave a policy out of every verdict. So for the groups tierwall reads, the kinds
that exist are listed here; anything else in those groups is error TW108 with a did-you-mean.

The kinds are each dialect's declarations (``dialects/<name>/resources.py``: the resources it
reads and the other kinds its groups serve, with their upstream sources); a dialect that does
not enumerate its groups' kinds (Cilium) gets no misspelling check.
"""

from __future__ import annotations

from ..errors import Diagnostics, did_you_mean
from ..load import RawObject
from . import TIERWALL_GROUP, served_kinds

KNOWN_GROUP_KINDS: dict[str, frozenset[str]] = {**served_kinds(), TIERWALL_GROUP: frozenset({"ConnectivityTest"})}
"""API group → every kind it serves (the ones tierwall reads and the ones it skips)."""


def misspelt_kinds(raws: list[RawObject], diags: Diagnostics) -> list[RawObject]:
    """``raws`` without the objects whose kind does not exist in their (known) group; each of
    those is an error naming the kinds it resembles."""
    kept = []
    for raw in raws:
        kinds = KNOWN_GROUP_KINDS.get(raw.group)
        if kinds is None or raw.kind in kinds:
            kept.append(raw)
            continue
        diags.error(raw.origin, f"kind {raw.kind} does not exist in API group {raw.group}"
                                f"{did_you_mean(raw.kind, kinds)}; the API server would refuse it, and "
                                f"tierwall cannot read it", "TW108")
    return kept
