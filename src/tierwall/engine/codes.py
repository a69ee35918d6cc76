"""Small integer codes that say which remote classes a rule treats alike.

A walk runs once per group of remote classes that every rule of its plan treats alike; each
rule (its peers, its port bits, its Calico conditions) contributes a code per remote class, and
the codes are mixed (:func:`mix`) into one whose equal values are the groups. Codes are kept
dense (:func:`distinct`, a presence table rather than a sort) so mixing many rules never
overflows.
"""

from __future__ import annotations

import numpy as np

Codes = tuple[np.ndarray, int] | None
"""Per remote class a small code (equal codes: treated alike), and how many codes there are;
``None``: every remote class alike."""

DENSE_ABOVE = 1 << 20
"""Mixed codes are renumbered once their range passes this (or four codes per class)."""


def distinct(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for non-negative ints below ``bound``: by a
    presence table (linear) when the bound is small, by sorting otherwise. The class matrix
    has classes² pairs but few distinct (egress row, ingress row) combinations."""
    flat = values.reshape(-1)
    if bound <= max(DENSE_ABOVE, 4 * flat.size):
        present = np.zeros(bound, bool)
        present[flat] = True
        found = np.flatnonzero(present)
        lookup = np.zeros(bound, np.int32)
        lookup[found] = np.arange(len(found), dtype=np.int32)
        return found, lookup[flat]
    found, inverse = np.unique(flat, return_inverse=True)
    return found, inverse.reshape(-1)


REMAP_BLOCK = 1 << 20
"""Elements remapped per step by :func:`remap_in_place`: its temporaries stay at a few MB."""


def distinct_in_place(values: np.ndarray, bound: int) -> np.ndarray:
    """:func:`distinct` whose inverse overwrites ``values`` (a contiguous int array), returning
    the distinct values. Why: the class matrix's pair codes are classes² int32 (235 MB at 7,700
    classes), and a second array of that size for the inverse was the peak of the whole run."""
    flat = values.reshape(-1)
    if bound <= max(DENSE_ABOVE, 4 * flat.size):
        present = np.zeros(bound, bool)
        present[flat] = True
        found = np.flatnonzero(present)
        del present
        lookup = np.zeros(bound, values.dtype)
        lookup[found] = np.arange(len(found), dtype=values.dtype)
        remap_in_place(flat, lookup)
        return found
    found, inverse = np.unique(flat, return_inverse=True)
    flat[:] = inverse.reshape(-1)
    return found


def remap_in_place(flat: np.ndarray, table: np.ndarray) -> None:
    """``flat[:] = table[flat]`` a block at a time (numpy would build the whole result first)."""
    for lo in range(0, flat.size, REMAP_BLOCK):
        part = flat[lo:lo + REMAP_BLOCK]
        part[:] = table[part]


def unique_values(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array: ``np.unique(values)`` without its check
    for masked arrays, whose first call imports ``numpy.ma`` (10 ms, a tenth of a small run's
    work)."""
    flat = np.sort(values, axis=None)
    return flat[np.concatenate(([True], flat[1:] != flat[:-1]))] if flat.size else flat


def mix(a: Codes, b: Codes) -> Codes:
    """Codes equal exactly where both ``a`` and ``b`` are (renumbered densely when they grow)."""
    if a is None or b is None:
        return b if a is None else a
    code, base = a[0].astype(np.int64) * b[1] + b[0], a[1] * b[1]
    if base > max(DENSE_ABOVE, 4 * len(code)):
        _, dense = distinct(code, base)
        code = dense.astype(np.int64)
        base = int(code.max()) + 1
    return code, base


def row_codes(yes: np.ndarray, maybe: np.ndarray | None) -> Codes:
    """Codes of the rows of a (classes × words) pair of bit tables: equal rows, equal codes."""
    both = yes if maybe is None else np.concatenate([yes, maybe], axis=1)
    _, inverse = np.unique(both, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    base = int(inverse.max()) + 1 if len(inverse) else 1
    return (inverse, base) if base > 1 else None
