"""Where an object's fields are in its source, in 4 bytes a node.

A diagnostic about ``spec.ingress[2].ports[0].port`` names the line of that field. The reader
used to keep each object's YAML node tree for this: a node and its two marks take ~400 bytes,
so a 20,000-pod dump kept 360 MB of nodes, five times the data built from them, for the few
lines a run ever asks about. All a lookup needs is each node's line in document order (a
mapping, then each key and its value; a sequence, then each item): the data built from those
nodes has the same shape, so walking the data along the path finds the node's place in that
order (:meth:`FieldLines.line_of`).

Documents whose data does not mirror their nodes one to one — a key given twice, a merge key,
an alias of a mapping or sequence — keep their node tree instead (``reader._construct``
reports them).
"""

from __future__ import annotations

from array import array
from typing import Any, Iterable


def size(value: Any) -> int:
    """How many nodes ``value`` was built from (a scalar is one; a mapping one plus its keys
    and values; a sequence one plus its items)."""
    if isinstance(value, dict):
        return 1 + sum(size(k) + size(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(size(v) for v in value)
    return 1


class FieldLines:
    """The lines of one object's nodes: ``lines[base]`` is the line of ``root``, the object
    as it was built (a later copy of the data with changes does not move them)."""

    __slots__ = ("lines", "root", "base", "_offsets")

    def __init__(self, lines: array, root: Any, base: int = 0):
        self.lines, self.root, self.base = lines, root, base
        self._offsets: dict[int, Any] | None = None

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The 1-based line of the field at ``path``: a mapping entry's key line, a sequence
        item's own line; the nearest existing parent's when the path goes further than the
        source. Each mapping or sequence on the way is measured once (:meth:`_children`), so
        a lint naming every rule of a 20,000-rule policy stays linear."""
        lines, value, index = self.lines, self.root, self.base
        try:
            line = lines[index]
            for step in path:
                if isinstance(value, dict) and isinstance(step, str):
                    if step not in value:
                        break
                    key_at, value_at = self._children(value)[step]
                    line = lines[index + key_at]  # the key's line, as a field is named where its key is
                    index, value = index + value_at, value[step]
                elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                    index += self._children(value)[step]
                    line, value = lines[index], value[step]
                else:
                    break
        except IndexError:  # never a crash over a line number: the object's own line then
            return lines[self.base] if self.base < len(lines) else None
        return line

    def _children(self, container: dict | list) -> Any:
        """Where the children of ``container`` are, relative to its own node: per key of a
        mapping (key, value), per item of a sequence; measured once per container."""
        if self._offsets is None:
            self._offsets = {}
        found = self._offsets.get(id(container))
        if found is None:
            position = 1
            if isinstance(container, dict):
                found = {}
                for k, v in container.items():
                    found[k] = (position, position + size(k))
                    position += size(k) + size(v)
            else:
                found = []
                for v in container:
                    found.append(position)
                    position += size(v)
            self._offsets[id(container)] = found
        return found

    def items(self, key: str) -> Iterable[tuple[Any, "FieldLines"]]:
        """Each item of the sequence at ``root[key]`` with its own lines, in one pass (a
        ``kind: List`` dump holds thousands)."""
        container = self.root.get(key) if isinstance(self.root, dict) else None
        if not isinstance(container, list):
            return
        position = self.base + 1
        for k, v in self.root.items():
            if k == key:
                break
            position += size(k) + size(v)
        index = position + size(key) + 1  # past the key, then past the sequence node itself
        for item in container:
            yield item, FieldLines(self.lines, item, index)
            index += size(item)
