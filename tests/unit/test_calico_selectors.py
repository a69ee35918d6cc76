"""Calico's selector language against the shared facts (../shared/acceptance/calico/selectors.yaml)
plus column reporting and rewriting."""

import pytest
import yaml

from helpers import SHARED
from tierwall.selectors.calico import SelectorError, parse

CASES = yaml.safe_load((SHARED / "acceptance" / "calico" / "selectors.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_shared_selector_facts(case):
    if case.get("error"):
        with pytest.raises(SelectorError):
            parse(case["selector"])
        return
    assert parse(case["selector"]).matches(case.get("labels") or {}) is case["match"]


@pytest.mark.parametrize("text,labels,expected", [
    ("a != 'x'", {}, True), ("a not in {'x'}", {}, True), ("a in {}", {"a": ""}, False),
    ("!a == 'x' && b == 'y'", {"b": "y"}, True), ("a == 'x' || b == 'y' && c == 'z'", {"a": "x"}, True),
    ("!!has(a)", {"a": ""}, True), ("a startswith 'x'", {"a": "xy"}, True), ("a notin {'x',}", {"a": "y"}, True),
    ("contains == 'x'", {"contains": "x"}, True), ("a contains ''", {"a": "q"}, True), ("", {}, True),
    ("has( a/b.c )", {"a/b.c": "1"}, True), ("global()", {}, True), ("a == \"it's\"", {"a": "it's"}, True),
])
def test_semantics(text, labels, expected):
    assert parse(text).matches(labels) is expected


@pytest.mark.parametrize("text,column", [("a == 'b' & c", 10), ("a = 'b'", 3), ("a == b", 6), ("a\n== 'b'", 2),
                                         ("(a == 'x'", 10), ("a == 'x' b", 10)])
def test_errors_report_the_column(text, column):
    with pytest.raises(SelectorError) as err:
        parse(text)
    assert err.value.column == column


def test_rewrite_prefixes_labels_and_replaces_all():
    node = parse("team == 'a' || all()").rewrite(lambda k: "pcns." + k, parse("has(projectcalico.org/namespace)"))
    assert str(node) == "pcns.team == 'a' || has(projectcalico.org/namespace)"
