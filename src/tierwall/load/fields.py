"""Typed, reported access to the fields of one raw object.

Every dialect and the inventory read YAML through an :class:`ObjectReader`, so that a wrong
type, a missing required field or an unknown field always becomes a diagnostic naming the
file, line, object and field path — never an exception.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import Diagnostics
from .reader import RawObject, format_path

_MISSING = object()

VALIDATION_CODES = {"tierwall.dev": "TW115", "rbac.authorization.k8s.io": "TW118",
                    "admissionregistration.k8s.io": "TW118"}
"""API group → lint code of its validation errors; each dialect registers its groups
(``Dialect.validation_code``) when the dialect registry is imported; the others are
the ConnectivityTest and RBAC/admission readers' own."""


def register_validation_code(group: str, code: str) -> None:
    VALIDATION_CODES[group] = code


def validation_code(group: str) -> str:
    """The lint code of a validation error, by the API group whose rules it breaks."""
    return VALIDATION_CODES.get(group, "TW116" if group in ("", "apps", "batch", "discovery.k8s.io") else "TW110")


class ObjectReader:
    """Reads fields of ``raw``; reports problems into ``diags``."""

    def __init__(self, raw: RawObject, diags: Diagnostics):
        self.raw = raw
        self.diags = diags
        self.failed = False

    def error(self, path: tuple, message: str, code: str | None = None) -> None:
        self.failed = True
        self.diags.error(self.raw.at(path), message, code or validation_code(self.raw.group))

    def warn(self, path: tuple, message: str, code: str = "TW210") -> None:
        self.diags.warning(self.raw.at(path), message, code)

    def report(self, path: tuple, message: str) -> None:
        """Error callback in the shape selector parsers take."""
        self.error(path, message)

    def known(self, mapping: Any, path: tuple, allowed: Iterable[str], what: str = "field") -> None:
        """Warn about every key of ``mapping`` that tierwall does not understand."""
        if not isinstance(mapping, dict):
            return
        allowed = set(allowed)
        for key in mapping:
            if key not in allowed:
                self.warn(path + (key,), f"unsupported {what} {format_path(path + (key,))!r} is ignored")

    def spec(self, known: Iterable[str]) -> dict | None:
        """The object's ``spec`` after checking it has a name; unknown spec fields warn."""
        if not self.raw.name:
            self.error(("metadata", "name"), f"{self.raw.kind} has no name")
            return None
        spec = self.mapping(self.raw.data, "spec", (), required=True)
        if spec is not None:
            self.known(spec, ("spec",), known)
        return spec

    def mapping(self, container: dict, key: str, path: tuple, required: bool = False) -> dict | None:
        value = container.get(key, _MISSING) if isinstance(container, dict) else _MISSING
        if value is _MISSING or value is None:
            if required:
                self.error(path + (key,), f"{key} is required")
            return None
        if not isinstance(value, dict):
            self.error(path + (key,), f"{key} must be a mapping, not {_type(value)}")
            return None
        return value

    def sequence(self, container: dict, key: str, path: tuple) -> list | None:
        """A list field; ``None`` when absent (callers distinguish absent from empty)."""
        value = container.get(key, _MISSING) if isinstance(container, dict) else _MISSING
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, list):
            self.error(path + (key,), f"{key} must be a list, not {_type(value)}")
            return None
        return value

    def string(self, container: dict, key: str, path: tuple, required: bool = False,
               choices: Iterable[str] | None = None) -> str | None:
        value = container.get(key, _MISSING) if isinstance(container, dict) else _MISSING
        if value is _MISSING or value is None or value == "":
            if required:
                self.error(path + (key,), f"{key} is required")
            return None
        if not isinstance(value, str):
            self.error(path + (key,), f"{key} must be a string, not {_type(value)}")
            return None
        if choices is not None and value not in choices:
            self.error(path + (key,), f"{key} {value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def number(self, container: dict, key: str, path: tuple, lo: float, hi: float,
               required: bool = False, integer: bool = True) -> float | int | None:
        value = container.get(key, _MISSING) if isinstance(container, dict) else _MISSING
        if value is _MISSING or value is None:
            if required:
                self.error(path + (key,), f"{key} is required")
            return None
        ok_types = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_types):
            kind = "an integer" if integer else "a number"
            self.error(path + (key,), f"{key} must be {kind}, not {value!r}")
            return None
        if not lo <= value <= hi:
            self.error(path + (key,), f"{key} {value} is out of range [{_num(lo)}, {_num(hi)}]")
            return None
        return value


def _type(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", int: "a number",
            float: "a number", bool: "a boolean"}.get(type(value), type(value).__name__)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
