"""Output formats, one module each: terminal text (rich), JSON/YAML, JUnit XML."""

from .check_text import render_check, render_junit
from .data import render_json, render_yaml
from .diagnostics import render_diagnostics
from .trace_text import render_trace

__all__ = ["render_check", "render_diagnostics", "render_json", "render_junit", "render_trace", "render_yaml"]
