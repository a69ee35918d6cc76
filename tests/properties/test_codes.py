"""The in-place renumbering the class matrix uses for its classes² pair codes
(``engine/codes.py``) against numpy's own ``unique``: same distinct values, same inverse, on
both of its paths (a presence table when the bound is small, a sort otherwise), whatever the
block size splits."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwall.engine import codes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**40), min_size=1, max_size=300), st.booleans(), st.sampled_from([np.int32, np.int64]),
       st.integers(1, 7))
def test_distinct_in_place_is_unique_with_its_inverse(values, small, dtype, block):
    raw = np.array(values, np.int64)
    if small or dtype is np.int32:
        raw %= 5000  # under DENSE_ABOVE: the presence table
    bound = int(raw.max()) + 1
    expected, inverse = np.unique(raw, return_inverse=True)
    work = raw.astype(dtype).reshape(-1, 1) if len(raw) % 2 else raw.astype(dtype).reshape(2, -1)
    old, codes.REMAP_BLOCK = codes.REMAP_BLOCK, block
    try:
        found = codes.distinct_in_place(work, bound)
    finally:
        codes.REMAP_BLOCK = old
    assert found.tolist() == expected.tolist()
    assert work.reshape(-1).tolist() == inverse.reshape(-1).tolist()  # overwritten in place
    assert (found[work.reshape(-1)] == raw).all()


@given(st.lists(st.integers(0, 99), max_size=200), st.integers(1, 9))
def test_remap_in_place_is_a_lookup(values, block):
    table = np.arange(100, dtype=np.int64)[::-1] * 3
    flat = np.array(values, np.int64)
    expected = table[flat]
    old, codes.REMAP_BLOCK = codes.REMAP_BLOCK, block
    try:
        codes.remap_in_place(flat, table)
    finally:
        codes.REMAP_BLOCK = old
    assert flat.tolist() == expected.tolist()
