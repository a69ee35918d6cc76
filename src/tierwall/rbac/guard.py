"""Admission guards: ValidatingAdmissionPolicies read, evaluated (CEL) and generated.

Some tamper routes RBAC cannot close: an Antrea policy names its tier in a field, and a pod's
labels are whatever its creator writes. A ValidatingAdmissionPolicy can
(admissionregistration.k8s.io/v1; https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
The tamper search honours every policy + binding among the inputs by evaluating its CEL on
each candidate write with ``cel-python`` (``celpy``), with the variables the API server
gives: ``object``, ``oldObject`` (null on create; ``object`` is null on delete),
``request`` (``operation``, ``userInfo.username``/``groups``, ``namespace``, ``name``,
``resource``, ``kind``) and ``variables``. Matching follows the API server:
``matchConstraints.resourceRules`` (groups, versions, operations, resources; ``*``),
``namespaceSelector`` (on the Namespace's labels; the object's own for a Namespace;
cluster-scoped objects always match), ``objectSelector`` (new or old object's labels),
``excludeResourceRules``, ``matchConditions``; a binding with ``Deny`` in
``validationActions`` enforces, and a validation that errors counts as a failure unless
``failurePolicy: Ignore``. Policies with ``paramKind`` are not evaluated (tierwall has no
params): they are reported, never silently trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import Diagnostics, UsageError
from ..load import ObjectReader, RawObject
from ..selectors import LabelSelector, parse_label_selector
from .evaluate import Identity
from .witness import Change

OPERATIONS = {"create": "CREATE", "update": "UPDATE", "patch": "UPDATE", "delete": "DELETE"}


@dataclass(frozen=True)
class ResourceRule:
    groups: tuple[str, ...]
    versions: tuple[str, ...]
    operations: tuple[str, ...]
    resources: tuple[str, ...]

    def matches(self, group: str, version: str, operation: str, resource: str) -> bool:
        def has(values, value):
            return "*" in values or value in values
        return has(self.groups, group) and has(self.versions, version) and has(self.operations, operation) \
            and has(self.resources, resource)


@dataclass
class Guard:
    """One ValidatingAdmissionPolicy with the bindings that enforce it (``Deny``)."""

    name: str
    raw: RawObject
    rules: list[ResourceRule]
    excluded: list[ResourceRule]
    namespace_selector: LabelSelector | None
    object_selector: LabelSelector | None
    conditions: list[tuple[str, str]]
    variables: list[tuple[str, str]]
    validations: list[tuple[str, str]]
    """(expression, message)."""
    fail_open: bool
    bindings: list[RawObject]
    unsupported: str = ""
    """Why tierwall cannot evaluate this policy ('' when it can)."""


def _rules(r: ObjectReader, container: dict, key: str, path: tuple) -> list[ResourceRule]:
    out = []
    for i, entry in enumerate(r.sequence(container, key, path) or []):
        if not isinstance(entry, dict):
            r.error(path + (key, i), "a resource rule is a mapping")
            continue
        def strs(k):
            return tuple(str(v) for v in (entry.get(k) or []) if isinstance(v, str))
        out.append(ResourceRule(strs("apiGroups"), strs("apiVersions"), strs("operations"), strs("resources")))
    return out


def _expressions(r: ObjectReader, container: dict, key: str, path: tuple, name_key: str) -> list[tuple[str, str]]:
    out = []
    for i, entry in enumerate(r.sequence(container, key, path) or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("expression"), str):
            r.error(path + (key, i), f"each {key} entry needs an expression")
            continue
        out.append((entry["expression"], str(entry.get(name_key) or "")))
    return out


def read_guards(raws: list[RawObject], diags: Diagnostics) -> list[Guard]:
    """Every ValidatingAdmissionPolicy among ``raws`` that a ``Deny`` binding enforces."""
    policies = [r for r in raws if r.kind == "ValidatingAdmissionPolicy"]
    bindings = [r for r in raws if r.kind == "ValidatingAdmissionPolicyBinding"]
    guards = []
    for raw in policies:
        r = ObjectReader(raw, diags)
        spec = r.mapping(raw.data, "spec", (), required=True) or {}
        mc = r.mapping(spec, "matchConstraints", ("spec",)) or {}
        enforcing = [b for b in bindings if isinstance(b.data.get("spec"), dict)
                     and b.data["spec"].get("policyName") == raw.name
                     and "Deny" in (b.data["spec"].get("validationActions") or [])]
        guard = Guard(
            raw.name, raw, _rules(r, mc, "resourceRules", ("spec", "matchConstraints")),
            _rules(r, mc, "excludeResourceRules", ("spec", "matchConstraints")),
            parse_label_selector(mc.get("namespaceSelector"), r.report, ("spec", "matchConstraints", "namespaceSelector")),
            parse_label_selector(mc.get("objectSelector"), r.report, ("spec", "matchConstraints", "objectSelector")),
            _expressions(r, spec, "matchConditions", ("spec",), "name"),
            [(e, n) for e, n in _expressions(r, spec, "variables", ("spec",), "name")],
            _expressions(r, spec, "validations", ("spec",), "message"),
            spec.get("failurePolicy") == "Ignore", enforcing)
        if spec.get("paramKind"):
            guard.unsupported = "it takes parameters (paramKind), which tierwall does not read"
        if any(isinstance(b.data.get("spec"), dict) and b.data["spec"].get("matchResources") for b in enforcing):
            guard.unsupported = guard.unsupported or "a binding narrows it with matchResources, which tierwall " \
                                                     "does not evaluate"
        if guard.unsupported:
            diags.warning(raw.origin, f"ValidatingAdmissionPolicy {raw.name} is not evaluated: {guard.unsupported}; "
                                      f"the tamper search treats it as not enforcing", "TW261")
        if enforcing:
            guards.append(guard)
        else:
            diags.info(raw.origin, f"ValidatingAdmissionPolicy {raw.name} has no binding with validationActions "
                                   f"[Deny]: it enforces nothing", "TW305")
    return guards


@dataclass
class Verdict:
    """Admission's answer to one write."""

    allowed: bool
    guard: str = ""
    message: str = ""
    error: str = ""
    """A CEL evaluation error (the failure policy decided)."""


def _cel():
    """celpy, imported only when a guard is evaluated (the ``rbac`` extra)."""
    try:
        import celpy
    except ImportError:  # pragma: no cover - the test extra installs it
        raise UsageError("evaluating ValidatingAdmissionPolicies needs cel-python: "
                         "pip install 'tierwall[rbac]'") from None
    return celpy


@lru_cache(maxsize=None)
def _compiled(expression: str):
    """Compiled once per expression: every candidate write of a search runs the same CEL."""
    celpy = _cel()
    env = celpy.Environment()
    return env.program(env.compile(expression))


class _Run:
    """``_program(e).evaluate(activation)`` that raises when CEL yields an error value."""

    def __init__(self, expression: str):
        self.expression = expression

    def evaluate(self, activation: dict):
        result = _compiled(self.expression).evaluate(activation)
        if isinstance(result, _cel().CELEvalError):
            raise result
        return result


_program = _Run


def admit(guards: list[Guard], change: Change, who: Identity, namespace_labels: dict[str, str] | None) -> Verdict:
    """Would the API server admit ``change`` by ``who``? Denied by the first enforcing guard
    whose validation fails (or errors, with ``failurePolicy: Fail``)."""
    celpy = _cel()
    operation = OPERATIONS[change.verb]
    version = str(change.obj.get("apiVersion", "")).rpartition("/")[2]
    new = None if change.verb == "delete" else change.obj
    old = None
    if change.verb != "create":
        old = change.old.data if change.old is not None else (change.before or
                                                              (change.obj if change.verb == "delete" else None))
    request = {"operation": operation, "userInfo": {"username": who.user, "groups": list(who.groups)},
               "namespace": change.namespace, "name": change.name,
               "resource": {"group": change.group, "version": version, "resource": change.resource},
               "kind": {"group": change.group, "version": version, "kind": change.kind}}
    for g in guards:
        if g.unsupported:
            continue
        if not any(rr.matches(change.group, version, operation, change.resource) for rr in g.rules) or \
                any(rr.matches(change.group, version, operation, change.resource) for rr in g.excluded):
            continue
        if g.namespace_selector is not None and change.kind != "Namespace" and change.namespace and \
                not g.namespace_selector.matches(namespace_labels or {}):
            continue
        if g.namespace_selector is not None and change.kind == "Namespace" and \
                not g.namespace_selector.matches(_labels(new or old)):
            continue
        if g.object_selector is not None and not (g.object_selector.matches(_labels(new))
                                                  or g.object_selector.matches(_labels(old))):
            continue
        activation = {"object": celpy.json_to_cel(new), "oldObject": celpy.json_to_cel(old),
                      "request": celpy.json_to_cel(request)}
        try:
            variables: dict = {}
            for expression, name in g.variables:  # each variable sees the ones before it
                activation["variables"] = celpy.celtypes.MapType(variables)
                variables[celpy.celtypes.StringType(name)] = _program(expression).evaluate(activation)
            activation["variables"] = celpy.celtypes.MapType(variables)
            if not all(bool(_program(e).evaluate(activation)) for e, _ in g.conditions):
                continue
            for expression, message in g.validations:
                if not bool(_program(expression).evaluate(activation)):
                    return Verdict(False, g.name, message or f"failed expression: {expression}")
        except Exception as exc:  # celpy raises its own error tree for bad expressions and evaluation errors
            if not g.fail_open:
                return Verdict(False, g.name, f"CEL error (failurePolicy Fail): {exc}", error=str(exc))
    return Verdict(True)


def _labels(obj: dict | None) -> dict[str, str]:
    md = (obj or {}).get("metadata") or {}
    labels = md.get("labels") if isinstance(md, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
