"""Property: the group views' histogram (``MatrixResult.group_hist``: pod pairs per source
group, destination group and verdict row) equals counting every endpoint pair one by one —
with the pairs whose verdict is not their class pair's (a pod to itself, a node to its own
pods) moved — however its chunks split the classes and the groups."""

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from helpers import build
from strategies import scenario
from tierwall.engine import matrix as engine
from tierwall.render.matrix import group_of


def _brute(result, labels):
    names = sorted(set(labels))
    index = {g: k for k, g in enumerate(names)}
    overrides = result.override_ids()
    count = Counter()
    for i in range(result.size):
        for j in range(result.size):
            row = overrides.get((i, j), int(result.cells[result.klass[i], result.klass[j]]))
            count[(index[labels[i]], index[labels[j]], row)] += 1
    return names, count


@pytest.mark.parametrize("chunk", [1, 3, engine.HIST_CELLS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(case=scenario())
def test_group_hist_counts_every_pair(monkeypatch, chunk, case):
    objs, cni = case
    result = engine.compute_matrix(build(objs, cni).compiled, outside=True)
    monkeypatch.setattr(engine, "HIST_CELLS", chunk)
    for by in ("namespace", "workload", "pod"):
        labels = group_of(result, by)
        names, expected = _brute(result, labels)
        got_names, entries, total = result.group_hist(labels)
        assert got_names == names
        assert {(int(a), int(b), int(r)): int(n) for a, b, r, n in entries} == dict(expected), by
        assert entries[:, 3].min(initial=1) > 0  # no empty entries
        sizes = Counter(labels)
        assert total.tolist() == [[sizes[a] * sizes[b] for b in names] for a in names]
