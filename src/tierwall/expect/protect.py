"""``protectedFrom``: who must not be able to change a ConnectivityTest case's verdict.

Read here (the format); searched in :mod:`tierwall.rbac.tamper`. A list of RBAC subjects —
``{kind: Group, name: dev-team}``, ``{kind: User, name: alice}``,
``{kind: ServiceAccount, namespace: ci, name: deployer}`` — on the ConnectivityTest's ``spec``
(every case) or on one case (replacing the spec's list for that case; ``[]`` opts out).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..load import ObjectReader

FIELD = "protectedFrom"
PRINCIPAL_KINDS = ("Group", "User", "ServiceAccount")


@dataclass(frozen=True, slots=True)
class Subject:
    """An RBAC subject (``User``, ``Group``, ``ServiceAccount``): what a binding names and what a
    case is protected from. ``namespace`` is only meaningful for ServiceAccounts."""

    kind: str
    name: str
    namespace: str = ""

    @property
    def text(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        return out


Principal = Subject
"""The name the ConnectivityTest format gives a subject a case is protected from."""


def parse_protected(r: ObjectReader, container: dict, path: tuple) -> tuple[Principal, ...] | None:
    """The ``protectedFrom`` list of ``container`` (``None`` when the field is absent)."""
    entries = r.sequence(container, FIELD, path)
    if entries is None:
        return None
    subjects = (read_subject(r, entry, path + (FIELD, i), "a protectedFrom entry", True)
                for i, entry in enumerate(entries))
    return tuple(s for s in subjects if s is not None)


def read_subject(r: ObjectReader, entry, path: tuple, what: str, needs_namespace: bool,
                 default_namespace: str = "") -> Subject | None:
    """One ``{kind, name, namespace}`` subject (a binding's, or a protectedFrom entry); errors
    name the field. A ServiceAccount without namespace takes ``default_namespace`` (a
    RoleBinding's own) or, when ``needs_namespace``, is an error."""
    if not isinstance(entry, dict):
        r.error(path, f"{what} is a subject: {{kind: Group|User|ServiceAccount, name, namespace}}")
        return None
    r.known(entry, path, ("kind", "name", "namespace", "apiGroup"))
    kind = r.string(entry, "kind", path, required=True, choices=PRINCIPAL_KINDS)
    name = r.string(entry, "name", path, required=True)
    ns = r.string(entry, "namespace", path) or ""
    if kind is None or name is None:
        return None
    if kind == "ServiceAccount" and not ns and needs_namespace:
        r.error(path + ("namespace",), "a ServiceAccount subject needs its namespace")
        return None
    return Subject(kind, name, ns if kind == "ServiceAccount" else "")
