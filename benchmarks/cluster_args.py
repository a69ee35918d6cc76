"""The generated-cluster options every single-cluster benchmark takes, with one set of defaults
(the 10k-pod cluster of docs/performance.md), so the figures of different scripts describe the
same cluster unless told otherwise."""

from __future__ import annotations

import argparse


def add_cluster_arguments(ap: argparse.ArgumentParser) -> None:
    """``--pods``, ``--namespaces``, ``--policies`` and ``--seed`` for ``generate.py``."""
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--namespaces", type=int, default=500)
    ap.add_argument("--policies", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
