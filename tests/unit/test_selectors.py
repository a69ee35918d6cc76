"""Kubernetes label selectors: semantics of each operator and validation messages."""

import pytest

from tierwall.selectors import LabelSelector, parse_label_selector


def parse(value):
    errors = []
    sel = parse_label_selector(value, lambda path, msg: errors.append((path, msg)))
    return sel, errors


@pytest.mark.parametrize("expr,labels,expected", [
    ({"key": "a", "operator": "In", "values": ["1", "2"]}, {"a": "2"}, True),
    ({"key": "a", "operator": "In", "values": ["1"]}, {}, False),
    ({"key": "a", "operator": "NotIn", "values": ["1"]}, {}, True),  # absent key matches NotIn
    ({"key": "a", "operator": "NotIn", "values": ["1"]}, {"a": "1"}, False),
    ({"key": "a", "operator": "Exists"}, {"a": ""}, True),
    ({"key": "a", "operator": "DoesNotExist"}, {"a": "x"}, False),
])
def test_operators(expr, labels, expected):
    sel, errors = parse({"matchExpressions": [expr]})
    assert not errors
    assert sel.matches(labels) is expected


def test_match_labels_and_expressions_are_anded():
    sel, _ = parse({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]})
    assert sel.matches({"a": "1", "b": "x"}) and not sel.matches({"a": "1"})


def test_empty_matches_everything_null_is_none():
    assert parse({})[0].matches({"anything": "x"})
    assert parse(None) == (None, [])


def test_normal_form_is_order_independent():
    a, _ = parse({"matchLabels": {"x": "1", "y": "2"}})
    b, _ = parse({"matchExpressions": [{"key": "y", "operator": "In", "values": ["2"]}], "matchLabels": {"x": "1"}})
    assert a == b and hash(a) == hash(b)
    assert a == LabelSelector.from_labels({"y": "2", "x": "1"})


@pytest.mark.parametrize("value,message", [
    ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["1"]}]}, "unknown operator 'Equals'"),
    ({"matchExpressions": [{"key": "a", "operator": "In"}]}, "operator In needs at least one value"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["1"]}]}, "operator Exists takes no values"),
    ({"matchLabels": {"bad key!": "1"}}, "is not a valid label name"),
    ({"matchLabels": {"a": "bad value!"}}, "label value 'bad value!' is not valid"),
    ({"matchLabel": {"a": "1"}}, "unknown label selector field 'matchLabel'"),
])
def test_validation(value, message):
    sel, errors = parse(value)
    assert sel is None
    assert any(message in m for _, m in errors), errors
