"""Fixtures for the web UI tests: in-process clients over workspaces of real input files."""

from __future__ import annotations

import pytest
from web_helpers import EXAMPLES, HOSTILE, client_for


@pytest.fixture(scope="module")
def org():
    """The org-baseline example with its tests (module-scoped: loading is the slow part)."""
    base = EXAMPLES / "org-baseline"
    return client_for(base / "cluster", base / "policies", test_paths=[str(base / "tests")])


@pytest.fixture
def hostile(tmp_path):
    (tmp_path / "c.yaml").write_text(HOSTILE)
    return client_for(tmp_path / "c.yaml")
