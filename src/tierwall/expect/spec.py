"""The ``ConnectivityTest`` file format (tierwall.dev/v1alpha1): parsing and validation.

A user-facing, stable format (see docs/connectivity-test.md). Endpoints are pods
(``{pod: ns/name}`` or ``"ns/name"``), addresses (``{ip: ...}`` or a bare address), Services
(``{service: ns/name}`` or ``"service/ns/name"``) or label selectors that fan out to every
matching pod (``{namespaceSelector: ..., podSelector: ...}``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from ..engine.flow import parse_port
from ..errors import Diagnostics, UsageError
from ..load import ObjectReader, RawObject
from ..model import PROTOCOLS
from ..origin import Origin
from ..selectors import LabelSelector, parse_label_selector
from .protect import FIELD as PROTECTED_FIELD, Principal, parse_protected

API_VERSION = "tierwall.dev/v1alpha1"
KIND = "ConnectivityTest"
EXPECTATIONS = ("Allow", "Drop", "Reject")
CASE_FIELDS = ("name", "from", "to", "port", "protocol", "expect", "sourcePort", "icmp", PROTECTED_FIELD)
ENDPOINT_FIELDS = ("pod", "ip", "service", "namespaceSelector", "podSelector")


@dataclass(frozen=True)
class EndpointSpec:
    """One end as written: exactly one of pod / ip / service / selectors."""

    pod: str | None = None
    ip: str | None = None
    service: str | None = None
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    text: str = ""

    @property
    def is_selector(self) -> bool:
        return self.pod is None and self.ip is None and self.service is None


@dataclass(frozen=True)
class Case:
    name: str
    src: EndpointSpec
    dst: EndpointSpec
    protocol: str
    port: int | str | None
    expect: str
    source_port: int | None
    icmp_type: int | None
    icmp_code: int | None
    origin: Origin
    test: str
    protected_from: tuple[Principal, ...] = ()
    """Subjects who must not be able to flip this case (``protectedFrom``; docs/rbac.md)."""


def parse_tests(raws: list[RawObject], diags: Diagnostics, select=None) -> list[Case]:
    """Every case of every ConnectivityTest object; errors name file, line and field.

    ``select(entry)``: the case entry to parse in its place, or ``None`` to leave the case out
    (fleets read cluster-qualified endpoints, ``cluster/ns/pod``, this way; line and index
    stay those of the original case)."""
    cases: list[Case] = []
    for raw in raws:
        r = ObjectReader(raw, diags)
        if raw.api_version != API_VERSION or raw.kind != KIND:
            r.error(("apiVersion",), f"expected apiVersion {API_VERSION} kind {KIND}, "
                                     f"got {raw.api_version} {raw.kind}")
            continue
        spec = r.mapping(raw.data, "spec", (), required=True) or {}
        r.known(spec, ("spec",), ("cases", PROTECTED_FIELD))
        protected = parse_protected(r, spec, ("spec",)) or ()
        entries = r.sequence(spec, "cases", ("spec",))
        if not entries:
            r.error(("spec", "cases"), "a ConnectivityTest needs at least one case")
            continue
        test_name = raw.name or raw.origin.file
        for i, entry in enumerate(entries):
            if select is not None and (entry := select(entry)) is None:
                continue
            case = _case(r, entry, ("spec", "cases", i), test_name, i)
            if case is not None:
                own = parse_protected(r, entry, ("spec", "cases", i))
                cases.append(replace(case, protected_from=protected if own is None else own))
    return cases


def _case(r: ObjectReader, entry, path: tuple, test_name: str, index: int) -> Case | None:
    if not isinstance(entry, dict):
        r.error(path, "a case must be a mapping with from, to, expect")
        return None
    r.known(entry, path, CASE_FIELDS)
    failed_before = r.failed
    r.failed = False
    src = _endpoint(r, entry.get("from"), path + ("from",))
    dst = _endpoint(r, entry.get("to"), path + ("to",))
    protocol = str(entry.get("protocol") or "TCP").upper()
    if protocol not in PROTOCOLS:
        r.error(path + ("protocol",), f"protocol {entry.get('protocol')!r} is not one of {', '.join(PROTOCOLS)}")
    port = entry.get("port")
    if protocol == "ICMP":
        if port is not None:
            r.error(path + ("port",), "an ICMP case has no port (use icmp: {type, code})")
    elif port is None:
        r.error(path + ("port",), f"a {protocol} case needs a port (a number or a named port)")
    else:
        try:
            port = parse_port(port)
        except UsageError as exc:
            r.error(path + ("port",), str(exc))
    expect = entry.get("expect")
    if isinstance(expect, str) and expect.capitalize() in EXPECTATIONS:
        expect = expect.capitalize()
    else:
        r.error(path + ("expect",), f"expect {expect!r} must be one of {', '.join(EXPECTATIONS)}")
    sport = r.number(entry, "sourcePort", path, 1, 65535)
    icmp_type = icmp_code = None
    icmp = entry.get("icmp")
    if icmp is not None:
        if protocol != "ICMP" or not isinstance(icmp, dict):
            r.error(path + ("icmp",), "icmp: {type, code} is only valid with protocol ICMP")
        else:
            r.known(icmp, path + ("icmp",), ("type", "code"))
            icmp_type = r.number(icmp, "type", path + ("icmp",), 0, 255)
            icmp_code = r.number(icmp, "code", path + ("icmp",), 0, 255)
    ok = not r.failed and src is not None and dst is not None
    r.failed = r.failed or failed_before
    if not ok:
        return None
    name = entry.get("name") or f"{src.text} -> {dst.text} {protocol}" + (f"/{port}" if port is not None else "")
    return Case(str(name), src, dst, protocol, port, expect, sport, icmp_type, icmp_code,
                r.raw.at(path), test_name)


def _endpoint(r: ObjectReader, value, path: tuple) -> EndpointSpec | None:
    if value is None:
        r.error(path, "is required")
        return None
    if isinstance(value, str):
        return _shorthand(r, value, path)
    if not isinstance(value, dict):
        r.error(path, "an endpoint is a mapping (pod, ip, service or selectors) or a shorthand string")
        return None
    r.known(value, path, ENDPOINT_FIELDS)
    set_keys = [k for k in ENDPOINT_FIELDS if value.get(k) is not None]
    singles = [k for k in set_keys if k in ("pod", "ip", "service")]
    if not set_keys:
        r.error(path, "an endpoint sets one of pod, ip, service, or namespaceSelector/podSelector")
        return None
    if singles and len(set_keys) > 1:
        r.error(path, f"{singles[0]} cannot be combined with other endpoint fields")
        return None
    if singles:
        key = singles[0]
        text = str(value[key])
        if key == "ip":
            return _ip(r, text, path + ("ip",))
        if text.count("/") != 1 or not all(text.split("/")):
            r.error(path + (key,), f"{key} {text!r} must be namespace/name")
            return None
        return EndpointSpec(**{key: text}, text=("service/" if key == "service" else "") + text)
    ns_sel = parse_label_selector(value.get("namespaceSelector"), r.report, path + ("namespaceSelector",))
    pod_sel = parse_label_selector(value.get("podSelector"), r.report, path + ("podSelector",))
    parts = []
    if value.get("namespaceSelector") is not None:
        parts.append(f"ns[{ns_sel}]")
    if value.get("podSelector") is not None:
        parts.append(f"pods[{pod_sel}]")
    return EndpointSpec(namespace_selector=ns_sel, pod_selector=pod_sel, text=" ".join(parts))


def _ip(r: ObjectReader, text: str, path: tuple) -> EndpointSpec | None:
    try:
        return EndpointSpec(ip=str(ipaddress.ip_address(text)), text=text)
    except ValueError:
        r.error(path, f"{text!r} is not an IP address")
        return None


def endpoint_from_text(text: str) -> EndpointSpec:
    """A shorthand endpoint from the command line (``ns/pod``, an IP, ``service/ns/name``)."""
    errors: list[str] = []

    class _Collect:
        def error(self, path, message):
            errors.append(message)

    spec = _shorthand(_Collect(), text, ())
    if spec is None:
        raise UsageError(errors[0])
    return spec


def _shorthand(r: ObjectReader, text: str, path: tuple) -> EndpointSpec | None:
    if text.startswith("service/"):
        rest = text[len("service/"):]
        if rest.count("/") == 1 and all(rest.split("/")):
            return EndpointSpec(service=rest, text=text)
        r.error(path, f"{text!r}: a Service shorthand is service/namespace/name")
        return None
    try:
        ipaddress.ip_address(text)
        return EndpointSpec(ip=text, text=text)
    except ValueError:
        pass
    if text.count("/") == 1 and all(text.split("/")):
        return EndpointSpec(pod=text, text=text)
    r.error(path, f"{text!r} is not namespace/pod, an IP address, or service/namespace/name")
    return None
