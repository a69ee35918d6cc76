"""Options and plumbing every command shares: inputs, --cni, -o, diagnostics, exit codes."""

from __future__ import annotations

import sys
from functools import wraps
from typing import TYPE_CHECKING

import click

from .. import api
from ..cluster import Cluster
from ..dialects import CNI_CHOICES
from ..errors import Diagnostics, InputError, UsageError
from ..inventory.ipam import check_pod_cidr

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
"""Exit codes: all good / some check failed / unusable input or usage."""



if TYPE_CHECKING:
    from rich.console import Console

PIPE_WIDTH = 400
"""Width used when writing to a pipe or file: CI logs get whole lines, never wrapped ones."""


def _console(**kw) -> "Console":
    from rich.console import Console  # rich is imported when something is printed with it
    console = Console(highlight=False, **kw)
    if not console.is_terminal:
        console = Console(highlight=False, width=PIPE_WIDTH, **kw)
    console.on_broken_pipe = _broken_pipe  # rich would exit 1, which means "a check failed" here
    return console


def _broken_pipe() -> None:
    """The reader of the output went away: the top-level guard ends quietly (``EXIT_BROKEN_PIPE``)."""
    raise BrokenPipeError("the reader of the output closed the pipe")


def stderr() -> "Console":
    return _console(stderr=True)


def stdout() -> "Console":
    return _console()


POD_CIDR_KEY = "tierwall.pod_cidr"
"""Where ``--pod-cidr`` is kept on the click context, so :func:`load` finds it without every
command having to pass it along."""


def _keep_pod_cidr(ctx: click.Context, _param, value):
    if value is not None:
        try:
            ctx.meta[POD_CIDR_KEY] = check_pod_cidr(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def pod_cidr() -> str | None:
    """The ``--pod-cidr`` the running command was given, if any."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(POD_CIDR_KEY) if ctx is not None else None


def pod_cidr_option(fn):
    """``--pod-cidr CIDR`` (read back with :func:`pod_cidr`)."""
    return click.option("--pod-cidr", metavar="CIDR", expose_value=False, callback=_keep_pod_cidr,
                        help="Range for the addresses invented for pods without status.podIP whose Node "
                             "has no spec.podCIDR (default 10.244.0.0/16). Verdicts that rest on an "
                             "invented address say so.")(fn)


def live_options(fn):
    """``--kubeconfig`` and ``--context``, spelled as kubectl spells them, for ``k8s://`` sources."""

    @wraps(fn)
    def wrapper(*args, kubeconfig=None, context=None, **kwargs):
        if kubeconfig is None and context is None:  # the defaults already: spare the live package's import
            return fn(*args, **kwargs)
        from ..live import using
        with using(kubeconfig, context):
            return fn(*args, **kwargs)

    wrapper = click.option("--context", metavar="NAME", default=None,
                           help="kubeconfig context for k8s:// sources that name none.")(wrapper)
    return click.option("--kubeconfig", metavar="FILE", default=None, envvar=None,
                        help="kubeconfig for k8s:// sources (default: $KUBECONFIG, ~/.kube/config).")(wrapper)


def input_options(fn):
    """``-f`` (repeatable), ``--cni``, ``-v``, ``--pod-cidr``, and the live-source options."""
    fn = pod_cidr_option(fn)
    fn = live_options(fn)
    fn = click.option("-v", "--verbose", is_flag=True, help="Also list skipped kinds and informational notes.")(fn)
    fn = click.option("--cni", type=click.Choice(CNI_CHOICES), default=None,
                      help="Whose evaluation order applies (default: inferred from the CRDs present).")(fn)
    fn = click.option("-f", "--filename", "paths", multiple=True, metavar="PATH",
                      help="File, directory (recursive), - for stdin, git:REV:PATH, or a live cluster: "
                           "k8s:// (current context) or k8s://CONTEXT (docs/live.md). Repeatable.")(fn)
    return fn


def handle_errors(fn):
    """Turn tierwall's own errors into messages and exit code 2 (never a traceback)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            from rich.text import Text
            _report(exc.diagnostics)
            n = len(exc.diagnostics)
            stderr().print(Text(f"{n} error{'s' if n != 1 else ''}", style="bold red") + Text(": input is not usable"))
            sys.exit(EXIT_INPUT)
        except UsageError as exc:
            from rich.text import Text
            stderr().print(Text("error", style="bold red") + Text(f": {exc}"))
            sys.exit(EXIT_INPUT)

    return wrapper


def load(paths, cni, verbose: bool, extra_paths=()) -> Cluster:
    if not paths and not extra_paths:
        raise UsageError("no input: give files or directories with -f PATH (or -f - for stdin)")
    diags = Diagnostics()
    try:
        cluster = api.read(list(paths) + list(extra_paths), cni=cni, diagnostics=diags, pod_cidr=pod_cidr())
    except InputError:
        _report([d for d in diags.items if d.severity.value != "error"], verbose)
        raise
    _report(diags.items, verbose)
    if verbose:
        report_skipped(cluster)
    return cluster


def report_skipped(cluster: Cluster) -> None:
    """``-v``: every kind tierwall read past, with how many objects (every command that reads
    inputs calls this, so none leaves objects out without saying so)."""
    counts: dict[str, int] = {}
    for r in cluster.skipped:
        key = f"{r.kind} ({r.api_version})"
        counts[key] = counts.get(key, 0) + 1
    seen = {(r.origin.file, r.origin.doc) for r in cluster.skipped}
    for d in cluster.diagnostics.items:  # kinds a dialect reads past (e.g. Calico's FelixConfiguration)
        if d.code == "TW303" and (d.origin.file, d.origin.doc) not in seen:
            counts[d.origin.kind] = counts.get(d.origin.kind, 0) + 1
    if counts:
        from rich.text import Text
        text = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in sorted(counts.items()))
        stderr().print(Text(f"skipped kinds: {text}", style="dim"))


def _report(items, verbose: bool = False) -> None:
    """Diagnostics to stderr (nothing to print: neither rich nor the renderer is imported)."""
    if items:
        from ..render.diagnostics import render_diagnostics
        render_diagnostics(items, stderr(), verbose)
