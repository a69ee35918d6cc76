"""YAML/JSON reading with PyYAML's C loader, keeping a line for every field.

Why compose-then-construct: PyYAML's ``CSafeLoader`` gives us the node tree (with start
marks), and building the data from it ourselves records each node's line and extent on the
way (8 bytes a node, :mod:`.lines`), so that a diagnostic about ``spec.ingress[2].ports[0].port`` can name
its line without keeping the tree or parsing again; the walk to that line only happens when
a diagnostic needs it.
"""

from __future__ import annotations

import gc
import posixpath
from array import array
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..errors import Diagnostics, clip
from ..gcpause import paused
from ..origin import Origin
from . import kustomize
from .lines import FieldLines

try:  # the C loader is what makes 10k-pod dumps load in seconds
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


_PLAIN_SPECIAL = frozenset(
    "~ null Null NULL yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF << =".split())
_NUMBERISH = frozenset("0123456789+-.")
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG, _SEQ_TAG = _Base.DEFAULT_MAPPING_TAG, _Base.DEFAULT_SEQUENCE_TAG
_SCALAR, _MAPPING = yaml.ScalarNode, yaml.MappingNode
_PLAIN_TAGS_KEPT = 65_536
"""How many distinct plain scalars' tags are remembered (numbers and addresses repeat)."""


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader with fast paths in tag resolution, which the C composer calls back into
    Python for every node (a 10,000-pod dump is millions of calls; these paths halve their cost):

    - a mapping or sequence gets its default tag, a quoted scalar the string tag, and a plain
      scalar that can only be a string (no null/bool word, not starting like a number) the
      string tag too, all without the resolver's regexes;
    - other plain scalars (numbers, ``true``, IP addresses…) are resolved once per distinct text;
    - the path-resolver hooks do nothing, as the safe loader has no path resolvers (checked).

    Every answer is the one ``SafeLoader``'s resolver gives."""

    _plain_tags: dict[str, str] = {}

    def resolve(self, kind, value, implicit):
        if kind is not _SCALAR:
            return _MAP_TAG if kind is _MAPPING else _SEQ_TAG
        if not implicit[0]:
            return _STR_TAG
        if value and value not in _PLAIN_SPECIAL and value[0] not in _NUMBERISH:
            return _STR_TAG
        tag = self._plain_tags.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._plain_tags) < _PLAIN_TAGS_KEPT:
                self._plain_tags[value] = tag
        return tag

    if not _Base.yaml_path_resolvers:  # the hooks only track paths for path resolvers
        def descend_resolver(self, current_node, current_index):
            return None

        def ascend_resolver(self):
            return None


SUFFIXES = (".yaml", ".yml", ".json")
"""File endings read when a directory is given."""


@dataclass(eq=False)
class RawObject:
    """One Kubernetes object as written, before any interpretation."""

    data: dict
    origin: Origin
    where: Any = field(default=None, repr=False)
    """Where its fields are in the source: a :class:`~.lines.FieldLines`, the YAML node tree
    of a document whose data does not mirror its nodes, or ``None`` (not read from text)."""

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion") or "")

    @property
    def group(self) -> str:
        """The API group (``""`` for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> dict:
        md = self.data.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The 1-based line of the field at ``path`` (or of its nearest existing parent)."""
        node = self.where
        if node is None:
            return self.origin.line
        if isinstance(node, FieldLines):
            return node.line_of(path)
        line = node.start_mark.line + 1
        for step in path:
            child = None
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                for key, value in node.value:
                    if getattr(key, "value", None) == step:
                        child = value
                        line = key.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if 0 <= step < len(node.value):
                    child = node.value[step]
                    line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def at(self, path: tuple[str | int, ...]) -> Origin:
        """An origin naming one field of this object, with its line."""
        return self.origin.at(format_path(path), self.line_of(path))


def format_path(path: Iterable[str | int]) -> str:
    """``("spec", "ingress", 0, "from")`` → ``spec.ingress[0].from``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out


def _read_stdin(stdin, diags: Diagnostics) -> str | None:
    """Standard input as UTF-8 text (bytes that are not UTF-8 are an error naming the offset)."""
    stream = stdin if stdin is not None else sys.stdin
    try:
        raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        diags.error(Origin(file="-"), f"standard input is not UTF-8 text (byte {exc.start}: "
                    f"{exc.object[exc.start:exc.start + 1]!r})", "TW101")
        return None


def load_paths(paths: Iterable[str], diags: Diagnostics, stdin=None) -> list[RawObject]:
    """Read every path (file, directory, or ``-`` for stdin) into raw objects.

    Unreadable files and YAML syntax errors become error diagnostics naming the file and
    line; the objects of other files (and earlier documents of the same file) are kept.
    """
    objects: list[RawObject] = []
    for spec in paths:
        if spec.startswith("git:"):
            for name, text in _git_files(spec, diags):
                objects.extend(load_text(text, name, diags))
            continue
        if spec.startswith("k8s://"):  # a live cluster (tierwall.live; the client is imported only then)
            from ..live import read_live
            objects.extend(read_live(spec, diags))
            continue
        if spec == "-":
            text = _read_stdin(stdin, diags)
            if text is not None:
                objects.extend(load_text(text, "-", diags))
            continue
        path = Path(spec)
        if not path.exists():
            diags.error(Origin(file=spec), "no such file or directory", "TW101")
            continue
        if path.is_dir():  # a snapshot is a directory (imported only then: tierwall.live is not small)
            from ..live.snapshot import is_snapshot, read_snapshot
            if is_snapshot(path):  # objects keep their cluster origins (tierwall snapshot)
                objects.extend(read_snapshot(path, diags, load_text))
                continue
        builds, files = kustomize.split_tree(path, SUFFIXES, diags) if path.is_dir() else ([], [path])
        if path.is_dir() and not files and not builds:
            diags.warning(Origin(file=spec), "directory holds no .yaml, .yml or .json file", "TW201")
        for folder in builds:  # a folder with a kustomization.yaml is read as kustomize builds it
            text = kustomize.build(folder, diags)
            if text is not None:
                objects.extend(load_text(text, kustomize.build_name(folder), diags))
        for f in files:
            try:
                text = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                diags.error(Origin(file=str(f)), f"cannot read file: {exc}", "TW101")
                continue
            objects.extend(load_text(text, str(f), diags))
    return objects


def _git_files(spec: str, diags: Diagnostics) -> list[tuple[str, str]]:
    """``git:REV:path`` → (``git:REV:file``, text) for the file, or every YAML/JSON file under
    the directory, as they are at revision REV of the repository around the working directory."""
    _, _, rest = spec.partition(":")
    rev, sep, path = rest.partition(":")
    if not sep or not rev:
        diags.error(Origin(file=spec), "expected git:REVISION:PATH (e.g. git:HEAD~1:policies/)", "TW101")
        return []

    def git(*args: str, cwd: str | None = None) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=cwd).stdout

    try:
        # PATH is relative to the working directory, as a file path would be; git wants it
        # relative to the repository's top, and every command below runs there.
        top = git("rev-parse", "--show-toplevel").strip()
        prefix = git("rev-parse", "--show-prefix").strip()
        full = posixpath.normpath(posixpath.join(prefix, path.strip() or "."))
        if full.startswith(".."):
            diags.error(Origin(file=spec), f"{path!r} is outside the repository", "TW101")
            return []
        object_name = f"{rev}:{full}" if full != "." else f"{rev}:"
        # --end-of-options: a revision such as "--output=FILE" is a revision, never an option
        kind = git("cat-file", "-t", "--end-of-options", object_name, cwd=top).strip()
        if kind == "blob":
            return [(spec, git("show", "--end-of-options", object_name, cwd=top))]
        names = git("ls-tree", "-r", "--name-only", "--full-tree", "--end-of-options", rev,
                    *(["--", full] if full != "." else []), cwd=top).splitlines()
        found = [(f"git:{rev}:{name}", git("show", "--end-of-options", f"{rev}:{name}", cwd=top))
                 for name in sorted(names) if name.lower().endswith(SUFFIXES)]
        if not found:
            diags.warning(Origin(file=spec), f"{full} at {rev} holds no .yaml, .yml or .json file", "TW201")
        return found
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        diags.error(Origin(file=spec), f"cannot read from git: {detail.strip()}", "TW101")
        return []


def load_text(text: str, filename: str, diags: Diagnostics, stream_bytes: int | None = None) -> list[RawObject]:
    """Parse one multi-document YAML (or JSON) text.

    The cyclic garbage collector is paused while the node trees are built: they are large,
    acyclic and all kept, and collections triggered by their allocation would rescan them
    over and over (a 10,000-pod dump loads several times faster without them).
    Texts over ``stream_bytes`` (default ``STREAM_BYTES``) are composed from events, noise
    skipped (:func:`_compose_without_noise`).
    """
    out: list[RawObject] = []
    loader = _Loader(text)
    doc = 0
    with paused():
        streaming = len(text) > (STREAM_BYTES if stream_bytes is None else stream_bytes)
        try:
            if streaming:
                loader.get_event()  # StreamStartEvent
            while (not loader.check_event(yaml.StreamEndEvent)) if streaming else loader.check_node():
                node = _compose_without_noise(loader) if streaming else loader.get_node()
                duplicates: list = []
                lines, ends = array("I"), array("I")
                data = _construct(node, loader, duplicates, lines, ends)
                for key, first, second in duplicates:
                    diags.error(Origin(file=filename, doc=doc, line=second.start_mark.line + 1),
                                f"duplicate key {clip(key)!r} (first at line {first.start_mark.line + 1}); "
                                f"the API server refuses duplicate fields", "TW109")
                out.extend(_unpack(data, node, filename, doc, diags, FieldLines(lines, ends, data) if lines else None))
                doc += 1
        except InputTooComplex as exc:
            diags.error(Origin(file=filename, doc=doc, line=exc.problem_mark.line + 1), exc.problem, "TW102")
        except RecursionError:  # nesting deep enough to exhaust the composer before our bound
            diags.error(Origin(file=filename, doc=doc), f"nesting deeper than {MAX_DEPTH} levels; refused", "TW102")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            diags.error(Origin(file=filename, doc=doc, line=line), f"invalid YAML: {clip(problem)}", "TW102")
        finally:
            loader.dispose()
            gc.freeze()  # what was loaded stays: keep it out of every later collection
    return out


_STR, _NULL, _INT, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:int", \
    "tag:yaml.org,2002:map"

MAX_DEPTH = 100
"""Deepest nesting read (Kubernetes objects stay far below it): deeper is refused, never a crash."""

MAX_ALIAS_NODES = 100_000
"""How many nodes aliases may add by repetition in one document: a "billion laughs" is refused
at the alias that crosses it, long before the repeated structure is walked anywhere."""

NOISE = {"metadata": frozenset({"managedFields"}),
         "status": frozenset({"conditions", "containerStatuses", "initContainerStatuses",
                              "ephemeralContainerStatuses", "resourceClaimStatuses"})}
"""Fields dropped while reading (parent key → keys): nothing tierwall reads, and most of the
bytes of a ``kubectl get -o yaml`` dump. Their nodes are dropped too, so neither stays alive."""


STREAM_BYTES = 8_000_000
"""Texts larger than this are composed from parser events with the noise skipped (the C composer
would first build the node tree of every field, noise included: gigabytes for a big dump)."""


def _compose_without_noise(loader: Any) -> Any:
    """The next document's node tree, as the composer builds it, but the subtrees of ``NOISE``
    fields are consumed as events and never become nodes. Anchors defined inside a dropped
    subtree cannot be aliased (refused with the alias's line)."""
    anchors: dict[str, Any] = {}
    dropped: set[str] = set()
    scalar_ev, alias_ev = yaml.ScalarEvent, yaml.AliasEvent
    seq_start, seq_end, map_end = yaml.SequenceStartEvent, yaml.SequenceEndEvent, yaml.MappingEndEvent

    def skip() -> None:
        depth = 0
        while True:
            event = loader.get_event()
            anchor = getattr(event, "anchor", None)
            if anchor is not None and not isinstance(event, alias_ev):
                dropped.add(anchor)
            if isinstance(event, (seq_start, yaml.MappingStartEvent)):
                depth += 1
            elif isinstance(event, (seq_end, map_end)):
                depth -= 1
            if depth == 0:
                return

    def node(parent: str) -> Any:
        event = loader.get_event()
        if isinstance(event, alias_ev):
            if event.anchor in anchors:
                return anchors[event.anchor]
            why = "an anchor inside a field tierwall drops" if event.anchor in dropped else "an undefined anchor"
            raise yaml.composer.ComposerError(None, None, f"alias *{event.anchor} refers to {why}", event.start_mark)
        if event.anchor is not None and event.anchor in anchors:
            raise yaml.composer.ComposerError("found duplicate anchor", anchors[event.anchor].start_mark,
                                              "second occurrence", event.start_mark)
        if isinstance(event, scalar_ev):
            tag = event.tag if event.tag not in (None, "!") else loader.resolve(yaml.ScalarNode, event.value,
                                                                                event.implicit)
            n = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            if event.anchor is not None:
                anchors[event.anchor] = n
            return n
        if isinstance(event, seq_start):
            tag = event.tag if event.tag not in (None, "!") else loader.resolve(yaml.SequenceNode, None,
                                                                                event.implicit)
            n = yaml.SequenceNode(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if event.anchor is not None:
                anchors[event.anchor] = n
            while not loader.check_event(seq_end):
                n.value.append(node(""))
            n.end_mark = loader.get_event().end_mark
            return n
        tag = event.tag if event.tag not in (None, "!") else loader.resolve(yaml.MappingNode, None, event.implicit)
        n = yaml.MappingNode(tag, [], event.start_mark, None, flow_style=event.flow_style)
        if event.anchor is not None:
            anchors[event.anchor] = n
        noise = NOISE.get(parent)
        while not loader.check_event(map_end):
            key = node("")
            name = key.value if isinstance(key, yaml.ScalarNode) else ""
            if noise is not None and name in noise:
                skip()
                continue
            n.value.append((key, node(name)))
        n.end_mark = loader.get_event().end_mark
        return n

    loader.get_event()  # DocumentStartEvent
    root = node("")
    loader.get_event()  # DocumentEndEvent
    return root


class InputTooComplex(yaml.YAMLError):
    """Nesting or alias expansion past the bounds above (``problem_mark`` says where)."""

    def __init__(self, problem: str, mark: Any):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


def _construct(node: Any, loader: Any, duplicates: list | None = None, lines: array | None = None,
               ends: array | None = None) -> Any:
    """Node tree → plain data, as SafeConstructor would build it, but without its per-node
    bookkeeping: the common tags are converted inline and everything else (merge keys, YAML
    1.1 number forms, floats, timestamps) is handed to the constructor itself.

    While building it also bounds the input: nesting deeper than ``MAX_DEPTH`` and aliases
    that would repeat more than ``MAX_ALIAS_NODES`` nodes raise :class:`InputTooComplex`; a key
    given twice in one mapping is recorded in ``duplicates`` as (key, first node, second node)
    (the API server refuses duplicate fields; YAML loaders silently keep the last).

    ``lines`` receives the 1-based line of every node the data was built from, in document
    order, and ``ends`` the index just past each node's subtree (:mod:`.lines`); both are
    emptied when the data does not mirror the nodes one to one (a duplicate key, a merge key,
    an alias of a collection): keep the node tree then.
    """
    memo: dict[int, Any] = {}
    sizes: dict[int, int] = {}
    repeated = 0
    scalar, sequence = yaml.ScalarNode, yaml.SequenceNode
    record = lines.append if lines is not None and ends is not None else None
    extent = ends.append if record is not None else None

    def irregular() -> None:
        nonlocal record
        if record is not None:
            del lines[:], ends[:]
            record = None

    def build(n: Any, depth: int, parent: str = "") -> tuple[Any, int]:
        nonlocal repeated
        if record is not None:
            at = len(lines)
            record(n.start_mark.line + 1)
            extent(at + 1)  # a scalar's subtree is itself; a collection's end is set below
        if n.__class__ is scalar:  # scalars are immutable: an alias may simply be rebuilt
            tag, value = n.tag, n.value
            if tag == _STR:
                return value, 1
            if tag == _NULL:
                return None, 1
            if tag == _INT and value.isdigit() and (value == "0" or value[0] != "0"):
                return int(value), 1
            if tag.startswith("tag:yaml.org,2002:"):
                return loader.construct_object(n, deep=True), 1
            return value, 1  # an application tag (e.g. !Ref): keep the text
        key = id(n)
        if key in memo:  # an alias of a collection: the same object, as the constructor gives
            irregular()
            repeated += sizes.get(key, 1)
            if repeated > MAX_ALIAS_NODES:
                raise InputTooComplex(f"aliases repeat more than {MAX_ALIAS_NODES} nodes (an alias bomb?); "
                                      f"refused", n.start_mark)
            return memo[key], sizes.get(key, 1)
        if depth > MAX_DEPTH:
            raise InputTooComplex(f"nesting deeper than {MAX_DEPTH} levels; refused", n.start_mark)
        size = 1
        if n.__class__ is sequence:
            out: list = []
            memo[key] = out
            for v in n.value:
                item, sub = build(v, depth + 1)
                out.append(item)
                size += sub
            sizes[key] = size
            if record is not None:
                ends[at] = len(lines)
            return out, size
        pairs = n.value
        for k, _ in pairs:
            if k.tag == "tag:yaml.org,2002:merge":
                irregular()
                _bound_merge(n, depth)
                data = loader.construct_object(n, deep=True)
                memo[key] = data
                return data, 1
        mapping: dict = {}
        memo[key] = mapping
        noise = NOISE.get(parent)
        first: dict | None = {} if duplicates is not None else None
        kept = None
        for i, (k, v) in enumerate(pairs):
            kk, _ = build(k, depth + 1)
            if noise is not None and kk in noise:
                if record is not None:  # the dropped field's key: its value is never built
                    lines.pop()
                    ends.pop()
                if kept is None:
                    kept = pairs[:i]
                continue
            if kept is not None:
                kept.append((k, v))
            try:
                if kk in mapping:
                    irregular()
                    if first is not None:
                        duplicates.append((kk, first[kk], k))
                if first is not None:
                    first[kk] = k
                mapping[kk], sub = build(v, depth + 1, kk if isinstance(kk, str) else "")
            except TypeError:  # an unhashable key: let the constructor report it
                raise yaml.constructor.ConstructorError(None, None, "found unhashable key", k.start_mark)
            size += sub
        if kept is not None:
            n.value = kept  # the dropped fields' nodes go too
        sizes[key] = size
        if record is not None:
            ends[at] = len(lines)
        return mapping, size

    return build(node, 0)[0]


def _bound_merge(node: Any, depth: int) -> None:
    """Merge keys are constructed by PyYAML itself: bound their expansion first (an iterative
    walk counting every node as it would be copied)."""
    count, stack = 0, [(node, depth)]
    while stack:
        n, d = stack.pop()
        count += 1
        if count > MAX_ALIAS_NODES:
            raise InputTooComplex(f"merge keys and aliases repeat more than {MAX_ALIAS_NODES} nodes; refused",
                                  n.start_mark)
        if d > MAX_DEPTH:
            raise InputTooComplex(f"nesting deeper than {MAX_DEPTH} levels; refused", n.start_mark)
        if isinstance(n, yaml.SequenceNode):
            stack.extend((v, d + 1) for v in n.value)
        elif isinstance(n, yaml.MappingNode):
            stack.extend((x, d + 1) for kv in n.value for x in kv)


def _unpack(data: Any, node: Any, filename: str, doc: int, diags: Diagnostics,
            where: FieldLines | None) -> list[RawObject]:
    """The objects of one document (a ``kind: *List`` holds several), each with where its
    fields are: its line table, or — when the document's data does not mirror its nodes
    (``where`` is ``None``) — its node tree."""
    if data is None:
        return []
    line = node.start_mark.line + 1 if node is not None else None
    if not isinstance(data, dict):
        diags.error(Origin(file=filename, doc=doc, line=line),
                    f"document is a {type(data).__name__}, not a Kubernetes object", "TW103")
        return []
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        items_node = _child(node, "items")
        item_lines = where.items("items") if where is not None else None
        out = []
        for i, item in enumerate(data["items"]):
            item_node = items_node.value[i] if items_node is not None else None
            item_where = next(item_lines)[1] if item_lines is not None else None
            out.extend(_unpack(item, item_node, filename, doc, diags, item_where))
        return out
    md = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    origin = Origin(file=filename, doc=doc, line=line, kind=str(kind or ""),
                    namespace=str(md.get("namespace") or ""), name=str(md.get("name") or ""),
                    api_version=str(data.get("apiVersion") or ""))
    if not kind or not isinstance(kind, str):
        diags.error(origin.at("kind"), "object has no kind", "TW103")
        return []
    if not data.get("apiVersion"):
        diags.error(origin.at("apiVersion"), "object has no apiVersion", "TW103")
        return []
    return [RawObject(data=data, origin=origin, where=where if where is not None else node)]


def _child(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None
