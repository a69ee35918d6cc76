"""Read Kubernetes-style YAML/JSON into :class:`RawObject` values with their origins.

First stage of the pipeline: files, directories (recursive) and stdin become a flat list
of objects; ``kind: List`` is unpacked; nothing is interpreted yet. :class:`ObjectReader`
gives later stages typed, reported access to one object's fields.
"""

from .fields import ObjectReader
from .reader import RawObject, format_path, load_paths, load_text

__all__ = ["ObjectReader", "RawObject", "format_path", "load_paths", "load_text"]
