"""The public Python API: what the CLI, the web UI, fleets, live reading and RBAC all call.

Why one module: every front end needs the same few verbs — load a cluster, trace a flow,
check expectations, compute a matrix, lint, diff — with the same endpoint and flow parsing
and the same errors. Keeping them here (and only plumbing in ``cli/``) means a front end
never re-implements a step, and a user's script gets exactly what ``tierwall trace`` prints.

Every function raises :class:`~tierwall.errors.InputError` (unusable input, with every
diagnostic) or :class:`~tierwall.errors.UsageError` (a bad argument, one message); nothing
here prints or exits. See docs/api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import yaml

from .cluster import Cluster, load_cluster
from .engine import Request, TraceResult
from .engine import trace as _trace
from .engine.flow import check_protocol, parse_port
from .errors import Diagnostics, InputError, UsageError
from .inventory import Service
from .load import RawObject, load_paths, load_text

if TYPE_CHECKING:  # numpy-backed results and the check engine are imported only when used
    from .expect import CheckReport
    from .analysis.diff import DiffReport
    from .analysis.lint import Finding
    from .engine.matrix import MatrixResult

__all__ = ["Cluster", "read", "request", "trace", "check", "collect_tests", "matrix", "lint", "diff",
           "PROTOCOLS"]

PROTOCOLS = ("TCP", "UDP", "SCTP", "ICMP")
"""Protocols a flow may have (upper case)."""

def _objects_text(objects: Iterable[Mapping[str, Any] | str]) -> str:
    """Objects in memory → one multi-document YAML text, so that they pass through exactly the
    reader (and its checks) that files do. Strings are taken as YAML/JSON documents."""
    docs = []
    for obj in objects:
        if isinstance(obj, str):
            docs.append(obj)
        elif isinstance(obj, Mapping):
            docs.append(yaml.safe_dump(dict(obj), sort_keys=False))
        else:
            raise UsageError(f"an object must be a mapping or YAML text, not {type(obj).__name__}")
    return "\n---\n".join(docs)


def read(paths: str | Iterable[str] = (), *, objects: Iterable[Mapping[str, Any] | str] = (),
         cni: str | None = None, strict: bool = True, diagnostics: Diagnostics | None = None,
         source_name: str = "<objects>", pod_cidr: str | None = None) -> Cluster:
    """Read and compile a cluster from paths and/or objects held in memory.

    Args:
        paths: files, directories, ``-`` (stdin) or ``git:REV:path`` — what ``-f`` accepts.
            A single string is one path.
        objects: Kubernetes objects as dicts (as ``yaml.safe_load`` or the Kubernetes client's
            ``to_dict`` with API field names give them) or YAML text; they are read as if they
            were one file named ``source_name``.
        cni: whose evaluation order applies; inferred from the objects when ``None``.
        strict: raise on any error (``False`` keeps the valid objects, errors stay in
            ``cluster.diagnostics``, as ``lint`` needs).
        pod_cidr: the range addresses are invented from for pods without ``status.podIP``
            whose Node has no ``spec.podCIDR`` (default ``10.244.0.0/16``).

    Raises:
        UsageError: nothing to read.
        InputError: the input holds errors (strict only).
    """
    paths = [paths] if isinstance(paths, str) else list(paths)
    objects = list(objects)
    if not paths and not objects:
        raise UsageError("no input: give files or directories (-f PATH, or - for stdin) or objects")
    diags = diagnostics if diagnostics is not None else Diagnostics()
    extra: list[RawObject] = load_text(_objects_text(objects), source_name, diags) if objects else []
    return load_cluster(paths, cni, diags=diags, strict=strict, extra=extra, pod_cidr=pod_cidr)


def _cluster(source: str | Iterable[str] | Cluster, cni: str | None) -> Cluster:
    return source if isinstance(source, Cluster) else read(source, cni=cni)


def request(cluster: Cluster, src: str, dst: str, port: int | str | None = None, protocol: str = "TCP", *,
            source_port: int | None = None, icmp_type: int | None = None,
            icmp_code: int | None = None, namespace: str | None = None,
            all_namespaces: bool = False) -> Request:
    """Parse one flow as a user writes it into an engine request.

    ``src``: ``namespace/pod`` (or ``namespace/workload``) or an IP address. ``dst``: the same,
    or ``service/namespace/name``; an IP that is a ClusterIP means the Service. A bare name
    (``web-0``, ``service/db``) is in ``namespace`` (default ``default``), or with
    ``all_namespaces`` in the one namespace that has it (kubectl's ``-n``/``-A``). ``port``: a
    number, a numeric string or a named port (``None`` for ICMP).

    Raises:
        UsageError: an unknown endpoint, a bad protocol or port.
    """
    protocol = str(protocol).upper()
    if protocol not in PROTOCOLS:
        raise UsageError(f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    port = parse_port(port)
    if source_port is not None and not 1 <= source_port <= 65535:
        raise UsageError(f"source port {source_port} is outside 1-65535")
    for label, value in (("ICMP type", icmp_type), ("ICMP code", icmp_code)):
        if value is not None and not 0 <= value <= 255:
            raise UsageError(f"{label} {value} is outside 0-255")
    from .expect import endpoint_from_text, resolve_destinations, resolve_sources
    from .expect.run import qualify_endpoint

    # endpoints first: an unknown pod is the real problem, not the missing port
    src, dst = (qualify_endpoint(cluster.inventory, e, namespace, all_namespaces) for e in (src, dst))
    sources = resolve_sources(cluster.compiled, endpoint_from_text(src))
    target = resolve_destinations(cluster.compiled, endpoint_from_text(dst))[0]
    protocol = check_protocol(protocol, port)
    if protocol != "ICMP" and (icmp_type is not None or icmp_code is not None):
        raise UsageError("an ICMP type or code goes with protocol ICMP")
    service = target if isinstance(target, Service) else None
    return Request(sources[0], None if service else target, service, protocol, port, source_port,
                   icmp_type, icmp_code)


def trace(cluster: str | Iterable[str] | Cluster, src: str, dst: str, port: int | str | None = None,
          protocol: str = "TCP", *, cni: str | None = None, **flow: Any) -> TraceResult:
    """What happens to one flow, and why: both sides, every stage, policy and rule looked at.

    ``cluster`` is a loaded :class:`Cluster` or paths to load. ``flow`` takes ``source_port``,
    ``icmp_type``, ``icmp_code``, ``namespace`` and ``all_namespaces``. The result's ``to_dict()`` is the ``trace -o json``
    document (format ``tierwall.dev/v1alpha1``).
    """
    c = _cluster(cluster, cni)
    return _trace(c.compiled, request(c, src, dst, port, protocol, **flow))


def collect_tests(cluster: Cluster, tests: str | Iterable[str] = (), *,
                  test_objects: Iterable[Mapping[str, Any] | str] = (),
                  diagnostics: Diagnostics | None = None) -> list[RawObject]:
    """The ConnectivityTest objects to run: those among the cluster's inputs, plus ``tests``
    (paths) and ``test_objects`` (in memory). A test given twice (inside an ``-f`` directory
    and with ``tests``) counts once; anything else in a tests file is a warning (TW207)."""
    diags = diagnostics if diagnostics is not None else Diagnostics()
    tests = [tests] if isinstance(tests, str) else list(tests)
    raws = list(cluster.tests)
    extra = load_paths(tests, diags) if tests else []
    test_objects = list(test_objects)
    if test_objects:
        extra += load_text(_objects_text(test_objects), "<tests>", diags)
    for raw in extra:
        if raw.kind == "ConnectivityTest" or raw.group == "tierwall.dev":
            raws.append(raw)
        else:
            diags.warning(raw.origin, f"{raw.kind} in a tests file is not a ConnectivityTest; ignored "
                                      f"(give cluster objects as cluster inputs)", "TW207")
    unique: dict = {}
    for raw in raws:
        unique.setdefault((raw.origin.file, raw.origin.doc, raw.origin.line), raw)
    return list(unique.values())


def check(cluster: str | Iterable[str] | Cluster, tests: str | Iterable[str] = (), *,
          test_objects: Iterable[Mapping[str, Any] | str] = (), cni: str | None = None,
          diagnostics: Diagnostics | None = None) -> CheckReport:
    """Run ConnectivityTest cases (see docs/connectivity-test.md) against the cluster.

    Raises:
        UsageError: no ConnectivityTest anywhere.
        InputError: a test that cannot be read or an endpoint that does not exist.
    """
    from .expect import parse_tests, run_cases

    c = _cluster(cluster, cni)
    diags = diagnostics if diagnostics is not None else Diagnostics()
    raws = collect_tests(c, tests, test_objects=test_objects, diagnostics=diags)
    if not raws:
        diags.raise_if_errors()
        raise UsageError("no ConnectivityTest found: give one with --tests FILE or among the -f inputs")
    report = run_cases(c.compiled, parse_tests(raws, diags), diags)
    diags.raise_if_errors()
    return report


def matrix(cluster: str | Iterable[str] | Cluster, ports: Sequence[str] | None = None,
           externals: Sequence[str] = (), *, cni: str | None = None, progress=None,
           outside: bool = True, services: bool | None = None) -> "MatrixResult":
    """Who reaches whom on every port class (``ports`` as ``53/UDP``, ``443``, ``ICMP``;
    default: every port any rule mentions). ``externals``: addresses to add as endpoints;
    ``outside``: also nodes and one endpoint per CIDR piece the policies name, plus "internet";
    ``services`` (default: as ``outside``): also every Service port as a destination, as
    ``trace`` to the Service sees it (``MatrixResult.services``)."""
    from .engine.matrix import compute_matrix
    from .engine.portclasses import parse_port_spec

    c = _cluster(cluster, cni)
    for ext in externals:
        if "/" in ext:
            raise UsageError(f"external {ext}: give addresses, not CIDRs (one representative per network)")
    classes = [parse_port_spec(p) for p in ports] if ports else None
    return compute_matrix(c.compiled, classes, list(externals), progress=progress, outside=outside,
                          services=outside if services is None else services)


def lint(source: str | Iterable[str] | Cluster = (), *, objects: Iterable[Mapping[str, Any] | str] = (),
         cni: str | None = None, pod_cidr: str | None = None) -> "list[Finding]":
    """Webhook-grade errors and analysis warnings (codes in docs/lint.md). Input errors are
    findings here, not exceptions: lint reads what it can (``load(strict=False)``)."""
    from .analysis.lint import lint as _lint

    if isinstance(source, Cluster):
        return _lint(source)
    return _lint(read(source, objects=objects, cni=cni, strict=False, pod_cidr=pod_cidr))


def diff(before: str | Iterable[str] | Cluster, after: str | Iterable[str] | Cluster, by: str = "workload", *,
         cni: str | None = None) -> "DiffReport":
    """Connectivity newly allowed or newly denied between two revisions (paths may be
    ``git:REV:path``), grouped ``by`` workload, namespace or pod."""
    from .analysis.diff import diff as _diff

    if by not in ("workload", "namespace", "pod"):
        raise UsageError(f"by={by!r}: one of workload, namespace, pod")
    return _diff(_cluster(before, cni), _cluster(after, cni), by)


__all__ += ["InputError", "UsageError", "Diagnostics", "TraceResult", "CheckReport"]


def __getattr__(name: str) -> Any:
    """``CheckReport`` on first use (PEP 562): the check engine is imported only by the verbs
    that run it, so ``matrix`` and ``lint`` start without it."""
    if name == "CheckReport":
        from .expect import CheckReport
        return CheckReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
