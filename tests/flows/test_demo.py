"""``manage.py demo`` replays the reference scenario and fails loudly when a state is not reached."""

from __future__ import annotations

import logging
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
def test_demo_runs_the_reference_scenario_end_to_end(caplog):
    call_command("demo_accounts", stdout=StringIO())  # the README's accounts, which --fresh deletes
    out = StringIO()
    with caplog.at_level(logging.DEBUG):
        call_command("demo", "--fresh", stdout=out, stderr=StringIO())
    text = out.getvalue()
    # It says what --fresh deletes, and prints tables, not log lines (-v 2 keeps those).
    assert "--fresh: emptying the database" in text
    assert "which deletes the demo accounts admin, buyer, buyer2, seller" in text
    assert [r for r in caplog.records if r.levelno < logging.WARNING] == []
    assert '"level"' not in text
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


@pytest.mark.django_db(transaction=True)
def test_demo_without_fresh_says_where_it_adds_its_users_and_products_in_korean_by_default(korean_default):
    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "데모 사용자(demo_seller, demo_buyer, demo_buyer2)와 상품 세 개를" in text
    assert "상품 (GET /products)" in text and "기대한 상태에 모두 도달했습니다." in text
