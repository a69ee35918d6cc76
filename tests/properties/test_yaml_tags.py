"""Property: the reader's fast tag resolution gives every node the tag PyYAML's safe loader
gives it, and the same data — for plain, quoted, flow and block scalars that look like
numbers, booleans, nulls, floats, timestamps, merge keys and addresses."""

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwall.load.reader import _construct, _Loader

TRICKY = ["0", "00", "012", "0o17", "0x1F", "0b101", "1_000", "+1", "-1", "-", "1.5", ".5", "1e3", "1.0e+3", ".inf",
          "-.Inf", ".nan", "NaN", "true", "True", "TRUE", "yes", "Yes", "no", "On", "off", "y", "n", "null", "Null",
          "~", "=", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "10.0.0.1", "10.0.0.0/8", "::1", "1:20", "80",
          "8080", "65535", "web-0", "app", "a.b", "_x", "e3", "x1"]
PIECE = st.one_of(st.sampled_from(TRICKY), st.text(alphabet="0123456789.-+_:eEoxbTtruefalsyNn~=/", min_size=1,
                                                    max_size=8))


def _scalar(text: str, style: str) -> str:
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _safe_plain(text: str) -> bool:
    """Texts YAML reads as one plain scalar here (no indicator, no ': ' or ' #', no trailing ':')."""
    return not (text[0] in "-?:,[]{}#&*!|>'\"%@`" or text.endswith(":") or ": " in text or " #" in text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(PIECE, PIECE, st.sampled_from(["plain", "single", "double"]), st.booleans()),
                min_size=1, max_size=12))
def test_fast_resolution_matches_the_safe_loader(entries):
    lines, flow = [], []
    for i, (key, value, style, in_flow) in enumerate(entries):
        if style == "plain" and not _safe_plain(value):
            style = "double"
        if in_flow:
            flow.append(_scalar(value, style if style != "plain" or "," not in value else "double"))
        else:
            lines.append(f"k{i}-{key.replace(':', '_').replace('#', '_')}: {_scalar(value, style)}")
    text = "\n".join(lines + [f"flow: [{', '.join(flow)}]", "block:"] + [f"  - {_scalar(e[1], 'plain')}"
                                                                         for e in entries if _safe_plain(e[1])])
    try:
        want = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return
    loader = _Loader(text)
    got = loader.get_single_node()

    def same(a, b):
        assert (type(a), a.tag) == (type(b), b.tag), (a, b)
        if isinstance(a, yaml.ScalarNode):
            assert a.value == b.value
        elif isinstance(a, yaml.SequenceNode):
            assert len(a.value) == len(b.value)
            for x, y in zip(a.value, b.value):
                same(x, y)
        else:
            assert len(a.value) == len(b.value)
            for (ka, va), (kb, vb) in zip(a.value, b.value):
                same(ka, kb)
                same(va, vb)

    same(got, want)
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:  # e.g. a plain '=' (the value tag, which no safe constructor builds)
        try:
            _construct(got, loader)
        except yaml.YAMLError:
            return
        raise AssertionError("the safe loader refuses this text; the reader did not")
    assert _construct(got, loader) == data
