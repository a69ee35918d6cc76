"""tierwall: offline trace, check and analysis of tiered Kubernetes network policy.

The public API (docs/api.md) is importable from here — ``tierwall.read``, ``tierwall.trace``,
``tierwall.check``, ``tierwall.matrix``, ``tierwall.lint``, ``tierwall.diff`` — and lives in
:mod:`tierwall.api`. It is imported on first use, so ``import tierwall`` (and the CLI's
start-up) stays cheap.
"""

__version__ = "0.1.0"

_API = ("Cluster", "read", "request", "trace", "check", "collect_tests", "matrix", "lint", "diff", "PROTOCOLS",
        "InputError", "UsageError", "Diagnostics", "TraceResult", "CheckReport")

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'tierwall' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
