"""``manage.py demo`` replays the reference scenario and fails loudly when a state is not reached."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # the demo registers users and products; earlier tests may have used the quota
    yield
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_demo_runs_the_reference_scenario_end_to_end():
    out = StringIO()
    call_command("demo", "--fresh", stdout=out, stderr=StringIO())
    text = out.getvalue()
    for header in (
        "products (GET /products)",
        "reservations (GET /reservations)",
        "payments (GET /payments)",
        "my-page (GET /myPages)",
        "notifications (GET /api/notifications/, newest first)",
    ):
        assert header in text
    assert "[FAIL]" not in text
    assert "buyer's my-page is behind (no Coffee row yet): None" in text
    assert "Every expected state was reached." in text


@pytest.mark.django_db(transaction=True)
def test_demo_fails_when_an_expected_state_is_not_reached(monkeypatch):
    import mypage.handlers

    def broken(*, events):
        raise RuntimeError("my-page is broken")

    monkeypatch.setattr(mypage.handlers, "mypage_apply_events", broken)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="expected state"):
        call_command("demo", "--fresh", stdout=out, stderr=err)
    assert "[FAIL] buyer's my-page: Noodle" in out.getvalue()
    assert "these states differ" in err.getvalue()
