"""The inputs the server was started with, the model built from them, and reloading.

Why a workspace: the web UI is a long-lived view of files that users keep editing. It rebuilds
the cluster when an input file changes (or on the reload button) and, when the new input is
broken, keeps serving the last good model next to the errors — the same contract as the CLI's
"one bad object never hides the others", applied over time. Expensive derived views (the
matrix, the check report, lint) are computed once per model generation, on first use.
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .. import api
from ..cluster import Cluster
from ..errors import Diagnostic, Diagnostics, InputError
from ..load.reader import SUFFIXES

POLL_SECONDS = 1.0
"""How often (at most) a request looks at the inputs' modification times."""


def input_files(paths: list[str]) -> list[Path]:
    """The files a set of ``-f`` paths stands for (directories walked like the loader does)."""
    out: list[Path] = []
    for spec in paths:
        if spec == "-" or spec.startswith("git:"):
            continue
        path = Path(spec)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.exists():
            out.append(path)
    return out


def _signature(paths: list[str]) -> tuple:
    """Changes when a file is added, removed, or rewritten (mtime or size)."""
    sig = []
    for p in input_files(paths):
        try:
            st = p.stat()
        except OSError:
            continue
        sig.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sig)


@dataclass
class Generation:
    """One successfully built model and the views derived from it (filled lazily)."""

    number: int
    cluster: Cluster
    loaded_at: float
    derived: dict = field(default_factory=dict)
    files: frozenset[str] = frozenset()
    """Every file an object of this model was read from: the only files the UI may show."""
    pending: dict[str, threading.Event] = field(default_factory=dict)
    """Views being built right now; a second asker waits on the event instead of rebuilding."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class Workspace:
    """Holds the current good generation and the errors of the last failed reload."""

    def __init__(self, paths: list[str], cni: str | None = None, test_paths: list[str] = (),
                 fleet_path: str | None = None, stdin=None, poll_seconds: float = POLL_SECONDS,
                 pod_cidr: str | None = None):
        self.poll_seconds = poll_seconds
        self.pod_cidr = pod_cidr
        # settings the command ran under (live sources' --kubeconfig/--context are context
        # variables): every later load and background build runs in a copy of them
        self._context = contextvars.copy_context()
        self.paths = list(paths)
        self.cni = cni
        self.test_paths = list(test_paths)
        self.fleet_path = fleet_path
        self._stdin_text = stdin.read() if stdin is not None and "-" in self.paths else None
        self._lock = threading.Lock()
        self._checked = 0.0
        self._signature: tuple = ()
        self.current: Generation | None = None
        self.errors: list[Diagnostic] = []
        """Errors of the last load attempt; empty when it succeeded."""
        self.warnings: list[Diagnostic] = []
        self.failed_at: float | None = None
        self._count = 0
        self._warmers: list[tuple[str, Callable[[Cluster], object]]] = []
        self.reload()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> bool:
        """Rebuild from the inputs; on errors keep the previous generation. True on success."""
        return self._context.copy().run(self._reload)

    def _reload(self) -> bool:
        with self._lock:
            self._signature = _signature(self._watched())
            self._checked = time.monotonic()
            diags = Diagnostics()
            stdin = [self._stdin_text] if self._stdin_text is not None else []
            try:  # stdin was read once at start: it is given again as in-memory text named "-"
                cluster = api.read([p for p in self.paths if p != "-"], objects=stdin, cni=self.cni,
                                   diagnostics=diags, source_name="-", pod_cidr=self.pod_cidr)
            except InputError as exc:
                self.errors = list(exc.diagnostics)
                self.warnings = [d for d in diags.items if d.severity.value != "error"]
                self.failed_at = time.time()
                return False
            self._count += 1
            files = {raw.origin.file for raws in cluster.objects.by_dialect.values() for raw in raws}
            files |= {raw.origin.file for raw in cluster.skipped}
            self.current = Generation(self._count, cluster, time.time(), files=frozenset(files))
            self.errors = []
            self.warnings = list(diags.items)
            self.failed_at = None
        self._start_warming()
        return True

    def _watched(self) -> list[str]:
        """Inputs whose change triggers a reload: ``-f``, ``--tests`` and the Fleet file itself
        (not the clusters' sources it names)."""
        return self.paths + self.test_paths + ([self.fleet_path] if self.fleet_path else [])

    def refresh(self) -> None:
        """Reload when an input file changed since the last look (at most every ``poll_seconds``)."""
        now = time.monotonic()
        if now - self._checked < self.poll_seconds:
            return
        self._checked = now
        if _signature(self._watched()) != self._signature:
            self.reload()

    # --- derived views ---------------------------------------------------------------------

    def derived(self, key: str, build: Callable[[Cluster], object], gen: Generation | None = None):
        """``build(cluster)`` once per generation (views are pure functions of the model); a
        caller asking while another builds the same view waits for that result."""
        gen = gen or self.current
        if gen is None:
            return None
        while True:
            with gen.lock:
                if key in gen.derived:
                    return gen.derived[key]
                event = gen.pending.get(key)
                owner = event is None
                if owner:
                    event = gen.pending[key] = threading.Event()
            if not owner:
                event.wait()
                continue  # built by the other caller (or it failed: then try ourselves)
            try:
                value = build(gen.cluster)
                with gen.lock:
                    gen.derived[key] = value
                return value
            finally:
                with gen.lock:
                    gen.pending.pop(key, None)
                event.set()

    def ready(self, key: str) -> bool:
        gen = self.current
        return gen is not None and key in gen.derived

    def warm(self, views: list[tuple[str, Callable[[Cluster], object]]]) -> None:
        """Build ``views`` in a background thread after every successful load, so that the first
        visit of a page that needs the matrix or lint does not wait for them."""
        self._warmers = list(views)
        self._start_warming()

    def _start_warming(self) -> None:
        gen = self.current
        if gen is None or not self._warmers:
            return

        def run() -> None:
            for key, build in self._warmers:
                if self.current is not gen:
                    return  # a newer model arrived; its own thread builds its views
                try:
                    self.derived(key, build, gen)
                except Exception:  # noqa: BLE001 - the page that needs the view shows the error
                    return

        context = self._context.copy()
        threading.Thread(target=context.run, args=(run,), name=f"tierwall-warm-{gen.number}", daemon=True).start()
