"""Where an object, a field or a rule came from.

Every object tierwall reads keeps an :class:`Origin` (file, YAML document index, line,
kind, namespace, name) so that every diagnostic and every verdict can point back at the
exact place a user has to edit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Origin:
    """The place an object (or one of its fields) was read from.

    ``file`` is the path as the user gave it (``-`` for stdin, ``<builtin>`` for objects
    tierwall implies, such as the six Antrea system tiers). ``doc`` is the 0-based YAML
    document index inside the file, ``line`` the 1-based line (``None`` when unknown).
    ``field`` is a dotted path inside the object (``spec.ingress[0].from[1]``) when the
    origin names a field rather than the whole object.
    """

    file: str = "<unknown>"
    doc: int = 0
    line: int | None = None
    kind: str = ""
    namespace: str = ""
    name: str = ""
    api_version: str = ""
    field: str = ""

    @property
    def object_ref(self) -> str:
        """``Kind/namespace/name`` (``Kind/name`` for cluster-scoped objects)."""
        parts = [p for p in (self.kind, self.namespace, self.name) if p]
        return "/".join(parts)

    @property
    def location(self) -> str:
        """``file:line`` (or just ``file``)."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def at(self, field: str, line: int | None = None) -> "Origin":
        """The same object, narrowed to one of its fields."""
        return replace(self, field=field, line=line if line is not None else self.line)

    def to_dict(self) -> dict:
        out = {"file": self.file, "line": self.line, "kind": self.kind}
        if self.namespace:
            out["namespace"] = self.namespace
        out["name"] = self.name
        if self.field:
            out["field"] = self.field
        return out

    def __str__(self) -> str:
        text = self.location
        if self.object_ref:
            text += f" {self.object_ref}"
        if self.field:
            text += f" {self.field}"
        return text


BUILTIN = Origin(file="<builtin>")
"""Origin of objects that exist without being declared (system tiers, implied namespaces)."""
