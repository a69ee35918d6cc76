"""``tierwall``: the click group. Commands live in ``cli/commands`` and are imported only when
used, so ``tierwall check`` does not pay for numpy, the matrix engine or the lab."""

from __future__ import annotations

import atexit
import importlib
import os
import sys

import click

from .. import __version__

COMMANDS = {
    "trace": "trace:trace", "check": "check:check", "matrix": "matrix:matrix", "lint": "lint:lint",
    "diff": "diff:diff", "get": "get:get", "explain": "get:explain", "enforce": "enforce:enforce",
    "lab": "lab:lab", "serve": "serve:serve", "who-can": "whocan:who_can", "snapshot": "snapshot:snapshot",
    "fleet": "fleet:fleet", "guard": "guard:guard",
}
"""Command name → ``module:attribute`` under ``tierwall.cli.commands``."""


EXIT_INTERNAL = 3
"""Exit code of a bug in tierwall: never 1 ("a check failed") nor 2 ("your input is unusable")."""

EXIT_BROKEN_PIPE = 141
"""Exit code when the reader of the output went away (``tierwall matrix | head``): what a shell
reports for a process ended by SIGPIPE, as kubectl is in the same pipe; nothing is printed."""

_PASS_THROUGH = (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit, SystemExit,
                 KeyboardInterrupt)


def _verbose(args: list[str]) -> bool:
    return any(a in ("-v", "--verbose") or (a.startswith("-") and not a.startswith("--") and "v" in a[1:]
                                            and a[1:].isalpha()) for a in args)


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context):
        """The one top-level guard: an exception nobody meant to raise is an internal error
        (exit 3, one line; the traceback only with -v), so a crash is never read as a failed
        check (1) or as bad input (2)."""
        args = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _reader_gone()
            ctx.exit(EXIT_BROKEN_PIPE)
        except _PASS_THROUGH:
            raise
        except BaseException as exc:  # noqa: BLE001 - this is the guard
            what = "out of memory" if isinstance(exc, MemoryError) else f"{type(exc).__name__}: {exc}"
            if len(what) > 300:
                what = what[:300] + "…"
            if _verbose(args):
                import traceback  # only to print one: its import pulls in tokenize and linecache

                traceback.print_exc(file=sys.stderr)
            hint = "" if _verbose(args) else " (run again with -v for the traceback)"
            click.echo(f"internal error, please report: {what}{hint}", err=True)
            ctx.exit(EXIT_INTERNAL)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(f"tierwall.cli.commands.{module}"), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tierwall")
def cli() -> None:
    """Tiered Kubernetes network policy, offline and on real packets.

    Reads Kubernetes NetworkPolicies, Antrea tiers, policies and groups, Calico tiers,
    policies and network sets, and AdminNetworkPolicies (with the Namespaces, Pods,
    workloads, Services and Nodes they select) into one model, and answers what happens to a
    flow (trace), whether the cluster meets its tests (check), who reaches whom (matrix),
    what is wrong (lint), what a change changes (diff), and proves it in the kernel (lab).
    """


def _reader_gone() -> None:
    """Point standard output at /dev/null, so that what is still buffered for the reader that
    left is dropped at exit instead of failing again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (an in-process runner): nothing to redirect
        pass
    finally:
        os.close(devnull)


def main() -> None:
    try:
        cli(prog_name="tierwall")
    except SystemExit as done:
        _exit_now(done.code)
        raise


def _exit_now(code: object) -> None:
    """End the process without the interpreter's tear-down, when nothing is left to run at exit.

    Why: tear-down frees every object one by one (the loaded cluster, its compiled plans, the
    matrix): about 30 ms after a 1,000-pod matrix that took 0.3 s, all of it wasted on memory the
    operating system takes back at once. Only taken when nothing could miss it: no ``atexit``
    callback registered (temporary directories, logging, Dask and the web server register one),
    no other thread running, no tracer or profiler (``python -m cProfile`` writes its figures after
    the program ends), an integer (or no) exit code, and both output streams flushed.
    Otherwise this returns and the normal exit runs."""
    pending = getattr(atexit, "_ncallbacks", None)  # CPython's count of registered callbacks
    threading = sys.modules.get("threading")  # not imported: no thread was started through it
    if pending is None or pending() or (threading is not None and threading.active_count() > 1) \
            or sys.gettrace() is not None or sys.getprofile() is not None:  # a debugger or profiler awaits the end
        return
    if code is not None and not isinstance(code, int):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken stream: the normal exit reports it
        return
    os._exit(code or 0)
