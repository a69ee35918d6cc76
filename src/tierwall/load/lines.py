"""Where an object's fields are in its source, in 8 bytes a node.

A diagnostic about ``spec.ingress[2].ports[0].port`` names the line of that field. The reader
used to keep each object's YAML node tree for this: a node and its two marks take ~400 bytes,
so a 20,000-pod dump kept 360 MB of nodes, five times the data built from them, for the few
lines a run ever asks about. A lookup needs less: each node's line, and where its subtree ends,
in document order (a mapping, then each key and its value; a sequence, then each item). The
data built from those nodes has the same shape, so walking the data along a path while
stepping over siblings' subtrees finds the node (:meth:`FieldLines.line_of`), as fast as
walking the node tree did.

Documents whose data does not mirror their nodes one to one — a key given twice, a merge key,
an alias of a mapping or sequence — keep their node tree instead (``reader._construct``
reports them).
"""

from __future__ import annotations

from array import array
from typing import Any, Iterable, Iterator


class FieldLines:
    """The nodes of one object's document: ``lines[i]`` is node *i*'s 1-based line and
    ``ends[i]`` the index just past its subtree; ``base`` is the node of ``root``, the object
    as it was built (a later copy of the data with changes does not move them)."""

    __slots__ = ("lines", "ends", "root", "base", "_starts")

    def __init__(self, lines: array, ends: array, root: Any, base: int = 0):
        self.lines, self.ends, self.root, self.base = lines, ends, root, base
        self._starts: dict[int, Any] | None = None

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The 1-based line of the field at ``path``: a mapping entry's key line, a sequence
        item's own line; the nearest existing parent's when the path goes further than the
        source."""
        lines, ends, value, index = self.lines, self.ends, self.root, self.base
        try:
            line = lines[index]
            for step in path:
                if isinstance(value, dict) and isinstance(step, str):
                    if step not in value:
                        break
                    node = self._children(value, index)[step]
                    line = lines[node]  # a field is named where its key is
                    index, value = ends[node], value[step]
                elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                    index = self._children(value, index)[step]
                    line, value = lines[index], value[step]
                else:
                    break
        except IndexError:  # never a crash over a line number: the object's own line then
            return lines[self.base] if self.base < len(lines) else None
        return line

    def _children(self, container: dict | list, index: int) -> Any:
        """Where the children of the mapping or sequence at node ``index`` start: per key its
        key's node, per item its node. Found once per container by stepping over subtrees, so a
        lint naming every rule of a 20,000-rule policy stays linear."""
        if self._starts is None:
            self._starts = {}
        found = self._starts.get(index)
        if found is None:
            ends, node = self.ends, index + 1
            if isinstance(container, dict):
                found = {}
                for key in container:
                    found[key] = node
                    node = ends[ends[node]]  # past the key and its value
            else:
                found = array("I")
                for _ in container:
                    found.append(node)
                    node = ends[node]
            self._starts[index] = found
        return found

    def items(self, key: str) -> Iterator[tuple[Any, "FieldLines"]]:
        """Each item of the sequence at ``root[key]`` with its own place, in one pass (a
        ``kind: List`` dump holds thousands of items)."""
        container = self.root.get(key) if isinstance(self.root, dict) else None
        if not isinstance(container, list):
            return
        node = self.base + 1
        for k in self.root:
            if k == key:
                break
            node = self.ends[self.ends[node]]
        index = self.ends[node] + 1  # past the key, then into the sequence
        for item in container:
            yield item, FieldLines(self.lines, self.ends, item, index)
            index = self.ends[index]
