"""The API server's checks on metadata labels (apimachinery ``ValidateLabels``): a selector can
only match labels the cluster would have stored, so labels it refuses are errors here too.

Key: an optional prefix (a DNS-1123 subdomain, ≤ 253 characters) and ``/``, then a name of
≤ 63 characters, alphanumeric at both ends with ``-``, ``_``, ``.`` inside. Value: empty or
the same form as a name. Both must be strings (``a: 1`` fails to decode into
``map[string]string``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import clip

_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def label_key_problem(key: object) -> str:
    """Why ``key`` is not a valid label key (``""`` when it is)."""
    if not isinstance(key, str):
        return f"label key {clip(repr(key))} must be a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return (f"label key {clip(key)!r}: the prefix must be a DNS subdomain of at most 253 characters "
                f"(lower-case alphanumerics, '-', '.')")
    if not name or len(name) > 63 or not _NAME.match(name):
        return (f"label key {clip(key)!r}: the name must be 1-63 characters, alphanumeric at both ends, "
                f"with '-', '_' or '.' inside")
    return ""


def label_value_problem(key: str, value: object) -> str:
    """Why ``value`` is not a valid value for label ``key`` (``""`` when it is)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return f"label {clip(str(key))!r}: the value {clip(repr(value))} must be a string (quote it)"
    if value and (len(value) > 63 or not _NAME.match(value)):
        return (f"label {clip(str(key))!r}: the value {clip(value)!r} must be at most 63 characters, "
                f"alphanumeric at both ends, with '-', '_' or '.' inside")
    return ""


def label_problem(key: object, value: object) -> str:
    """Why ``key: value`` is not a valid label (``""`` when it is). Pairs of strings are
    remembered: a cluster repeats the same few keys and values on every pod, and checking
    them again is a tenth of reading a pod."""
    if type(key) is str and (value is None or type(value) is str):
        return _string_label_problem(key, value)
    return label_key_problem(key) or label_value_problem(str(key), value)


@lru_cache(maxsize=1 << 16)
def _string_label_problem(key: str, value: str | None) -> str:
    return label_key_problem(key) or label_value_problem(key, value)
