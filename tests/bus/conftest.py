"""Fixtures of the bus's own tests (their events and subscribers are in ``tests/bus/support.py``)."""

from __future__ import annotations

import pytest

from tests.bus import support


@pytest.fixture
def probe(db):
    """The probe table the test subscribers write to, and their failure switches cleared."""
    support.ensure_probe_table()
    support.FAILURES.clear()
    support.ALWAYS_FAIL.clear()
    support.ON_HANDLE.clear()
    yield
    support.FAILURES.clear()
    support.ALWAYS_FAIL.clear()
    support.ON_HANDLE.clear()
