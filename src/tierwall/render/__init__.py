"""Output formats, one module each: terminal text (rich), JSON/YAML, JUnit XML.

The names below are loaded on first use (PEP 562): a command imports the one format it writes,
not all of them (start-up time is most of a small run)."""

from importlib import import_module

_WHERE = {"render_check": "check_text", "render_junit": "check_text", "render_json": "data",
          "render_yaml": "data", "render_diagnostics": "diagnostics", "render_trace": "trace_text"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
