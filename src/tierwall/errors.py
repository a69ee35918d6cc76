"""Diagnostics and the error tree.

Reading a cluster never stops at the first problem: every loader, validator and lowering
step reports :class:`Diagnostic` objects into a :class:`Diagnostics` collector, so one bad
object does not hide the others' errors. The CLI prints them all and exits 2 when any has
severity ``error``.

    TierwallError
    ├── InputError      the input files cannot be used (carries the diagnostics)
    └── UsageError      the command line asks for something that does not exist
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .origin import Origin


MESSAGE_MAX = 2000
"""Longest diagnostic message kept: a value quoted from hostile input (a 300 MB alias
expansion) must not become a 300 MB error."""


def clip(value: object, limit: int = 200) -> str:
    """``str(value)`` cut to ``limit`` characters for quoting in a message."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about the input: what is wrong, and exactly where."""

    severity: Severity
    code: str
    message: str
    origin: Origin

    def to_dict(self) -> dict:
        return {"severity": self.severity.value, "code": self.code,
                "message": self.message, "origin": self.origin.to_dict()}

    def __str__(self) -> str:
        return f"{self.origin}: {self.severity.value}: {self.message} [{self.code}]"


@dataclass
class Diagnostics:
    """A collector shared by every stage that reads user input."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, origin: Origin, message: str, code: str = "TW100") -> None:
        self.items.append(Diagnostic(Severity.ERROR, code, clip(message, MESSAGE_MAX), origin))

    def warning(self, origin: Origin, message: str, code: str = "TW200") -> None:
        self.items.append(Diagnostic(Severity.WARNING, code, clip(message, MESSAGE_MAX), origin))

    def info(self, origin: Origin, message: str, code: str = "TW300") -> None:
        self.items.append(Diagnostic(Severity.INFO, code, clip(message, MESSAGE_MAX), origin))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors():
            raise InputError(self.errors)


class TierwallError(Exception):
    """Base of every error tierwall raises on purpose."""


class InputError(TierwallError):
    """The input cannot be used; ``diagnostics`` says why, each with its origin."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class UsageError(TierwallError):
    """The command line names something that does not exist or does not fit."""


def did_you_mean(word: str, candidates, n: int = 3) -> str:
    """`` (did you mean X?)`` for the names closest to a misspelt ``word``, or ``""``.

    Every "not found" message goes through here, so an unknown pod, namespace, Service, policy
    or kind is answered with what the user probably meant (``dev-ap/ubuntu`` → ``dev-app/ubuntu``)
    instead of a bare refusal.
    """
    import difflib

    pool = sorted({str(c) for c in candidates})
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    if not close:
        return ""
    names = [lowered[c] for c in close]
    return f" (did you mean {' or '.join(names)}?)"
