"""Showing the YAML a policy came from — and nothing else from the disk.

Security rule: a file is shown only when it is one of the files the current model was read
from (``Generation.files``: every loaded object's origin). Paths are compared as the exact
strings the loader recorded, never joined or resolved from user input, so ``../`` or an
absolute path in a URL can only name a file that was an input anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from .workspace import Generation


@dataclass
class SourceView:
    file: str
    lines: list[str]
    start: int | None
    """First line (1-based) of the object to highlight; ``None`` for the whole file."""
    end: int | None


def object_extent(gen: Generation, file: str, line: int | None) -> tuple[int | None, int | None]:
    """Lines ``start..end`` of the object starting at ``line``: up to the next object's start."""
    if line is None:
        return None, None
    starts = sorted({raw.origin.line for raws in gen.cluster.objects.by_dialect.values() for raw in raws
                     if raw.origin.file == file and raw.origin.line})
    later = [s for s in starts if s > line]
    return line, (later[0] - 1 if later else None)


def read_source(gen: Generation, file: str, line: int | None = None) -> SourceView | None:
    """The file's lines when ``file`` is an input of ``gen``; ``None`` otherwise (→ 404)."""
    if file not in gen.files or file == "-" or file.startswith(("git:", "<")):
        return None
    try:
        with open(file, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    start, end = object_extent(gen, file, line)
    if start is not None:
        end = end if end is not None else len(lines)
        # the separator and the next object's leading comments belong to the next object
        while end > start and (not lines[end - 1].strip() or lines[end - 1].strip() == "---"
                               or lines[end - 1].lstrip().startswith("#")):
            end -= 1
    return SourceView(file, lines, start, end)
