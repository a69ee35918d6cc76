"""Benchmarks time tierwall as an installed package runs: from compiled bytecode.

``pip install`` compiles a package's modules to ``.pyc`` when it installs them; an editable
checkout compiles them on first import and caches them — unless ``PYTHONDONTWRITEBYTECODE`` is
set (as on the machines these figures come from), when every run compiles all of tierwall again
(~0.1 s, most of a 1,000-pod run). Compiling once before timing removes that difference, and it
is what the tool compared against (installed by pip into its own environment) gets too."""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def compile_tierwall() -> None:
    """Write the ``.pyc`` files of the tierwall package this interpreter imports."""
    spec = importlib.util.find_spec("tierwall")
    if spec is not None and spec.origin:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)
