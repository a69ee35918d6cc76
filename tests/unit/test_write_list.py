"""The namespace view's large JSON lists are written a chunk of rows at a time
(``render/matrix._write_list``); the text must be exactly what one ``json.dumps`` writes,
whatever the chunk size splits (one row, an exact multiple, a remainder, no rows)."""

import io
import json

import numpy as np
import pytest

from tierwall.render import matrix as render


@pytest.mark.parametrize("rows", [0, 1, 4, 5, 9])
@pytest.mark.parametrize("chunk", [1, 2, 4, 100])
def test_chunked_list_is_the_whole_dump(monkeypatch, rows, chunk):
    data = np.arange(rows * 4, dtype=np.int64).reshape(rows, 4) * 7919 - 3
    monkeypatch.setattr(render, "LIST_CHUNK", chunk)
    out = io.StringIO()
    render._write_list(out, data)
    assert out.getvalue() == json.dumps(data.tolist(), separators=(",", ":"))
