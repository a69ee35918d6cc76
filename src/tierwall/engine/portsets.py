"""Sets of port classes as packed bits: one uint64 word per 64 port classes.

The matrix walks every (subject class, remote class) pair over every port class. Storing a
verdict per port class made the cost grow with the number of distinct ports anyone mentions
(237 classes at 10k pods of a realistic cluster); as bits, a rule's whole port axis is one or
a few machine words, and the final matrix stores per class pair only an id into a small table
of distinct verdict rows (25 distinct rows across 4.8 M class pairs in that cluster).

A verdict row is three planes over the port classes: allowed, rejected, unknown; the bits in
none of them are dropped.
"""

from __future__ import annotations

import random

import numpy as np

PLANES = 3
ALLOW_PLANE, REJECT_PLANE, UNKNOWN_PLANE = 0, 1, 2


def hash_weights(width: int, seed: int = 20260101) -> np.ndarray:
    """Fixed odd multipliers for row hashing (any fixed values work: equal hashes are verified)."""
    rnd = random.Random(seed)  # the standard library's: numpy.random costs 20 ms to import
    return np.array([rnd.getrandbits(63) | 1 for _ in range(width)], dtype=np.uint64)


def words(n_ports: int) -> int:
    """uint64 words needed for ``n_ports`` bits (at least one)."""
    return max(1, (n_ports + 63) // 64)


def pack(bools: np.ndarray, n_words: int) -> np.ndarray:
    """(..., n_ports) bool → (..., n_words) uint64, bit *a* = port class *a*."""
    shape = bools.shape[:-1]
    padded = np.zeros(shape + (n_words * 64,), dtype=bool)
    padded[..., :bools.shape[-1]] = bools
    raw = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(raw).view("<u8").astype(np.uint64, copy=False).reshape(shape + (n_words,))


def unpack(bits: np.ndarray, n_ports: int) -> np.ndarray:
    """(..., n_words) uint64 → (..., n_ports) bool."""
    raw = np.ascontiguousarray(bits.astype("<u8", copy=False)).view(np.uint8)
    return np.unpackbits(raw, axis=-1, bitorder="little")[..., :n_ports].astype(bool)


def set_bits(bits: np.ndarray, n_ports: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, port classes) of the bits set in ``bits`` (rows, n_words). Only the non-zero
    words are unpacked, so the cost follows what is set, not rows × port classes (a lint of
    one policy with thousands of single-port rules asks this once per rule)."""
    r, w = np.nonzero(bits)
    if len(r) == 0:
        return r, w
    vals = np.ascontiguousarray(np.asarray(bits)[r, w].astype("<u8", copy=False))
    flags = np.unpackbits(vals.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    k, b = np.nonzero(flags)
    cols = w[k] * 64 + b
    keep = cols < n_ports
    return r[k][keep], cols[keep]


def bit(planes: np.ndarray, a: int) -> np.ndarray:
    """Whether port class ``a`` is set, for every row of ``planes`` (..., n_words)."""
    return ((planes[..., a // 64] >> np.uint64(a % 64)) & np.uint64(1)).astype(bool)


class Interner:
    """Distinct verdict rows (PLANES × words uint64) → small integer ids, across many walks."""

    def __init__(self, n_words: int):
        self.n_words = n_words
        self.ids: dict[bytes, int] = {}
        self.rows: list[np.ndarray] = []
        self.weights = hash_weights(PLANES * n_words)

    def add(self, rows: np.ndarray) -> np.ndarray:
        """Ids of ``rows`` (n, PLANES*words), interned; returns an int32 array of length n."""
        flat = np.ascontiguousarray(rows.reshape(len(rows), -1))
        if len(flat) == 0:
            return np.zeros(0, np.int32)
        h = (flat * self.weights).sum(axis=1, dtype=np.uint64)
        uniq, first, inverse = np.unique(h, return_index=True, return_inverse=True)
        if not np.array_equal(flat, flat[first][inverse]):  # a hash collision: exact (slower) grouping
            _, first, inverse = np.unique(flat, axis=0, return_index=True, return_inverse=True)
        local = np.empty(len(first), np.int32)
        for k, row in enumerate(flat[first]):
            key = row.tobytes()
            got = self.ids.get(key)
            if got is None:
                got = self.ids[key] = len(self.rows)
                self.rows.append(row.reshape(PLANES, self.n_words).copy())
            local[k] = got
        return local[inverse.reshape(-1)]

    def table(self) -> np.ndarray:
        """(ids, PLANES, words) uint64."""
        if not self.rows:
            return np.zeros((0, PLANES, self.n_words), np.uint64)
        return np.stack(self.rows)
