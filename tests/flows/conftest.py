"""Fixtures of the cross-context flows: a clock the test moves, and both dispatch modes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.lifecycle import HOLD, FakeClock


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    monkeypatch.setattr("django.utils.timezone.now", fake)
    return fake


@pytest.fixture(params=["inline", "worker"])
def dispatch(request, settings):
    settings.EVENTS_DISPATCH = request.param
    settings.RESERVATION_HOLD_SECONDS = HOLD
    return request.param
