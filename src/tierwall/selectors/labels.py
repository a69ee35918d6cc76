"""Kubernetes label selectors (``metav1.LabelSelector``): validation, normal form, matching.

The normal form (:class:`LabelSelector`) is hashable, so the engine's selector cache can
resolve each distinct selector once however many policies repeat it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
"""``matchExpressions`` operators of metav1.LabelSelector (case-sensitive, as the API server)."""


def label_key_error(key: Any) -> str | None:
    """Why ``key`` is not a valid label key, or ``None`` when it is."""
    if not isinstance(key, str) or not key:
        return "label key must be a non-empty string"
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return f"label key {key!r} has an empty prefix"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return f"label key prefix {prefix!r} is not a DNS subdomain"
    if len(name) > 63 or not _NAME.match(name):
        return f"label key {key!r} is not a valid label name (alphanumerics, '-', '_', '.'; at most 63)"
    return None


def label_value_error(value: Any) -> str | None:
    """Why ``value`` is not a valid label value, or ``None`` when it is."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f"label value {value!r} must be a string"
    text = str(value)
    if text and (len(text) > 63 or not _NAME.match(text)):
        return f"label value {text!r} is not valid (alphanumerics, '-', '_', '.'; at most 63)"
    return None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` entry (``matchLabels`` entries become ``In`` with one value)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            # NotIn also matches objects that do not carry the key at all.
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist

    def __str__(self) -> str:
        if self.operator == "In" and len(self.values) == 1:
            return f"{self.key}={self.values[0]}"
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        op = "in" if self.operator == "In" else "notin"
        return f"{self.key} {op} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A label selector in normal form: an AND of requirements. No requirement = everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    @property
    def is_everything(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements) or "{}"

    @classmethod
    def from_labels(cls, labels: Mapping[str, Any]) -> "LabelSelector":
        """A selector that matches exactly these key=value pairs (e.g. a Service selector)."""
        return cls(tuple(sorted((Requirement(k, "In", (str(v),)) for k, v in labels.items()),
                                key=lambda r: (r.key, r.operator, r.values))))


EVERYTHING = LabelSelector()


def parse_label_selector(value: Any, report: Callable[[tuple, str], None],
                         path: tuple = ()) -> LabelSelector | None:
    """Validate and normalise a ``metav1.LabelSelector`` given as YAML data.

    ``None`` (a null selector) is returned as ``None``; the caller decides what a missing
    selector means in its context. ``report(path, message)`` receives each error; the
    selector is returned as ``None`` when it has any.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        report(path, "a label selector must be a mapping with matchLabels and/or matchExpressions")
        return None
    ok = True
    reqs: list[Requirement] = []
    for key in value:
        if key not in ("matchLabels", "matchExpressions"):
            report(path + (key,), f"unknown label selector field {key!r}")
            ok = False
    labels = value.get("matchLabels") or {}
    if not isinstance(labels, dict):
        report(path + ("matchLabels",), "matchLabels must be a mapping of label keys to values")
        labels, ok = {}, False
    for k, v in labels.items():
        err = label_key_error(k) or label_value_error(v)
        if err:
            report(path + ("matchLabels", k), err)
            ok = False
            continue
        reqs.append(Requirement(k, "In", (str(v),)))
    exprs = value.get("matchExpressions") or []
    if not isinstance(exprs, list):
        report(path + ("matchExpressions",), "matchExpressions must be a list")
        exprs, ok = [], False
    for i, expr in enumerate(exprs):
        p = path + ("matchExpressions", i)
        if not isinstance(expr, dict):
            report(p, "a match expression must be a mapping with key, operator and values")
            ok = False
            continue
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values")
        err = label_key_error(key)
        if err:
            report(p + ("key",), err)
            ok = False
            continue
        if op not in OPERATORS:
            report(p + ("operator",), f"unknown operator {op!r}; expected one of {', '.join(OPERATORS)}")
            ok = False
            continue
        values = values or []
        if not isinstance(values, list):
            report(p + ("values",), "values must be a list")
            ok = False
            continue
        if op in ("In", "NotIn") and not values:
            report(p + ("values",), f"operator {op} needs at least one value")
            ok = False
            continue
        if op in ("Exists", "DoesNotExist") and values:
            report(p + ("values",), f"operator {op} takes no values")
            ok = False
            continue
        bad = [label_value_error(v) for v in values]
        if any(bad):
            report(p + ("values",), next(b for b in bad if b))
            ok = False
            continue
        reqs.append(Requirement(key, op, tuple(sorted(str(v) for v in values))))
    if not ok:
        return None
    return LabelSelector(tuple(sorted(set(reqs), key=lambda r: (r.key, r.operator, r.values))))
