"""Read a policy folder once, as text, so that it can be shipped to every worker.

A policy set or central folder is read in the driver (kustomize builds run once, ``git:``
revisions are checked out once) and its files travel as ``(name, text)`` pairs; each worker
parses them again, which keeps every object's lines for the diagnostics and traces it gives.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ..errors import Diagnostics
from ..load import kustomize
from ..load.reader import SUFFIXES
from ..origin import Origin


def read_texts(spec: str, diags: Diagnostics, origin: Origin) -> list[tuple[str, str]]:
    """``(file name, text)`` of every manifest under ``spec`` (a file, a folder, ``git:REV:path``
    with the path relative to the Fleet file's folder).

    Folders holding a kustomization are built with kustomize (one text per build). Errors are
    reported at ``origin`` (the Fleet file entry naming the path) with the path itself.
    """
    if spec.startswith("git:"):
        with tempfile.TemporaryDirectory(prefix="tierwall-git-") as tmp:
            local = checkout(spec, Path(tmp), diags, origin, cwd=Path(origin.file).parent)
            if local is None:
                return []
            texts = read_texts(str(local), diags, origin)
            return [(name.replace(str(local), spec.rstrip("/"), 1), text) for name, text in texts]
    path = Path(spec)
    if not path.exists():
        diags.error(origin, f"{spec}: no such file or directory", "TW101")
        return []
    builds, files = kustomize.split_tree(path, SUFFIXES) if path.is_dir() else ([], [path])
    out: list[tuple[str, str]] = []
    for folder in builds:
        text = kustomize.build(folder, diags)
        if text is not None:
            out.append((kustomize.build_name(folder), text))
    for f in files:
        try:
            out.append((str(f), f.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            diags.error(Origin(file=str(f)), f"cannot read file: {exc}", "TW101")
    if not out and not diags.has_errors():
        diags.warning(origin, f"{spec} holds no .yaml, .yml or .json file", "TW201")
    return out


def checkout(spec: str, into: Path, diags: Diagnostics, origin: Origin, cwd: Path = Path(".")) -> Path | None:
    """Extract ``git:REV:path`` (path relative to ``cwd``, by default the working directory,
    as ``-f git:`` reads it) into ``into``; returns the extracted path. Whole trees are extracted so that
    kustomizations referring to ``../base`` build as they would in a clone at REV."""
    _, _, rest = spec.partition(":")
    rev, sep, path = rest.partition(":")
    if not sep or not rev:
        diags.error(origin, f"{spec}: expected git:REVISION:PATH", "TW101")
        return None
    try:
        top = _git(cwd, "rev-parse", "--show-toplevel").decode().strip()
        prefix = _git(cwd, "rev-parse", "--show-prefix").decode().strip()
        archive = _git(Path(top), "archive", "--format=tar", rev)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or str(exc)
        detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        diags.error(origin, f"{spec}: cannot read from git: {detail.strip()}", "TW101")
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    local = into / prefix / (path.strip("/") or ".")
    if not local.exists():
        diags.error(origin, f"{spec}: {path} does not exist at revision {rev}", "TW101")
        return None
    return local


def _git(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True).stdout
