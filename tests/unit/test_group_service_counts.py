"""The Service columns of a group view are counted a block of columns at a time
(``render/matrix_services.COLUMN_BLOCK``); the counts must not depend on where the blocks
split, and must equal counting each source endpoint's own verdict."""

from pathlib import Path

import numpy as np

from tierwall import api
from tierwall.render import matrix_services
from tierwall.render.matrix import group_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_block_size_does_not_change_the_counts(monkeypatch):
    result = api.matrix(api.read([str(EXAMPLES / "guestbook")]))
    sm = result.services
    assert len(sm.targets) >= 3  # several columns, so blocks of one and two split them
    labels = group_of(result, "namespace")
    names, sizes, whole = matrix_services.group_service_counts(result, labels)
    for block in (1, 2):
        monkeypatch.setattr(matrix_services, "COLUMN_BLOCK", block)
        _, _, split = matrix_services.group_service_counts(result, labels)
        assert np.array_equal(split, whole)
    brute = np.zeros_like(whole)
    index = {n: k for k, n in enumerate(names)}
    for i, label in enumerate(labels):
        row = sm.row(result.klass, i)
        for t in range(len(sm.targets)):
            brute[int(row[t]), index[label], t] += 1
    assert np.array_equal(brute, whole)
    assert sizes.sum() == result.size
