"""Rebuilding the read model from the event log gives exactly what the live projection built,
and a paused or failing projection catches up to exactly that state."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market import bus
from market.errors import DomainError
from mypage.models import MyPageRow
from mypage.services import SUBSCRIBER_ID
from tests.support.readside import snapshot_mypage

pytestmark = pytest.mark.django_db


def rebuilt_snapshot(**options) -> tuple[dict, str]:
    err = StringIO()
    call_command("rebuild_mypage", stdout=StringIO(), stderr=err, **options)
    return snapshot_mypage(), err.getvalue()


def test_rebuild_equals_incremental_and_shows_progress(trade, seller, buyer, other_buyer):
    a, b, c = (trade.product(seller, n) for n in ("Noodle", "Desk", "Coffee"))
    r1 = trade.reserve(buyer, a)
    trade.pay(buyer, r1)
    r2 = trade.reserve(other_buyer, b)
    trade.cancel(other_buyer, r2)
    trade.reserve(buyer, c)
    incremental = snapshot_mypage()
    assert len(incremental["rows"]) == 3

    rebuilt, progress = rebuilt_snapshot(batch_size=2)
    assert rebuilt == incremental
    assert "rebuild mypage" in progress and "100%" in progress
    assert not bus.is_paused(SUBSCRIBER_ID)  # the live projection runs again afterwards

    assert rebuilt_snapshot()[0] == incremental  # idempotent


def test_a_rebuild_after_a_purge_of_the_deliveries_gives_the_same_read_model(trade, seller, buyer, other_buyer):
    """Retention purges done deliveries, never the event log: the read model rebuilds the same."""
    r1 = trade.reserve(buyer, trade.product(seller, "Noodle"))
    trade.pay(buyer, r1)
    trade.cancel(other_buyer, trade.reserve(other_buyer, trade.product(seller, "Desk")))
    incremental = snapshot_mypage()
    assert bus.purge(older_than=timedelta(0), now=timezone.now() + timedelta(seconds=1)) > 0
    assert rebuilt_snapshot()[0] == incremental


def test_rebuild_sends_no_notification(trade, seller, buyer):
    from notice.models import Notification

    trade.reserve(buyer, trade.product(seller))
    before = Notification.objects.count()
    rebuilt_snapshot()
    assert bus.drain() == 0
    assert Notification.objects.count() == before


def test_rebuild_rejects_a_bad_batch_size(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rebuild_mypage", "--batch-size", "0", stdout=StringIO(), stderr=StringIO())


def _backlog():
    return next(b for b in bus.backlog() if b.subscriber == SUBSCRIBER_ID)


def _run_reference_flow(trade, seller, buyer, other_buyer):
    a, b, c = (trade.product(seller, n) for n in ("Noodle", "Desk", "Coffee"))
    r1 = trade.reserve(buyer, a)
    r2 = trade.reserve(other_buyer, b)
    trade.pay(buyer, r1)
    trade.cancel(other_buyer, r2)
    trade.reserve(other_buyer, c)
    return r1, r2


def test_a_paused_projection_catches_up_exactly(trade, seller, buyer, other_buyer):
    bus.pause(SUBSCRIBER_ID)
    _run_reference_flow(trade, seller, buyer, other_buyer)  # commands go on while my-page is down
    assert not MyPageRow.objects.exists()
    assert _backlog().pending > 0

    bus.resume(SUBSCRIBER_ID)
    bus.drain()
    caught_up = snapshot_mypage()
    assert len(caught_up["rows"]) == 3
    assert rebuilt_snapshot()[0] == caught_up


def test_a_failing_projection_retries_and_catches_up_exactly(trade, seller, buyer, other_buyer, monkeypatch):
    import mypage.handlers

    def broken(**_):
        raise RuntimeError("read database is down")

    monkeypatch.setattr(mypage.handlers, "mypage_apply_events", broken)
    r1, _ = _run_reference_flow(trade, seller, buyer, other_buyer)  # nothing fails for the buyer
    assert not MyPageRow.objects.exists()
    assert _backlog().failing > 0

    monkeypatch.undo()
    bus.drain(now=timezone.now() + timedelta(hours=1))  # past every backoff
    caught_up = snapshot_mypage()
    assert MyPageRow.objects.get(reservation_id=r1).payment_status == "paid"
    assert rebuilt_snapshot()[0] == caught_up


# --- the property: for any sequence of commands, rebuild == incremental ---------------------------

command = st.one_of(
    st.tuples(st.just("reserve"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("pay"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("drain"), st.just(0), st.just(0)),
    st.tuples(st.just("pause"), st.just(0), st.just(0)),
    st.tuples(st.just("resume"), st.just(0), st.just(0)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=st.lists(command, min_size=1, max_size=12))
def test_property_rebuild_equals_incremental(market_cls, seller, buyer, other_buyer, commands):
    from payment.services import payment_pay
    from product.services import product_register
    from reservation.services import reservation_cancel, reservation_place

    buyers = [buyer, other_buyer]
    with transaction.atomic():
        products = [product_register(seller=seller, name=f"p{i}", price=1000 * (i + 1)).pk for i in range(3)]
        latest: dict[tuple[int, int], int] = {}
        for action, who, which in commands:
            try:
                if action == "reserve":
                    latest[(who, which)] = reservation_place(buyer=buyers[who], product_id=products[which]).pk
                elif action == "pay" and (who, which) in latest:
                    payment_id = market_cls.payment_id(latest[(who, which)])
                    if payment_id is not None:
                        payment_pay(payment_id=payment_id, actor=buyers[who])
                elif action == "cancel" and (who, which) in latest:
                    reservation_cancel(reservation_id=latest[(who, which)], actor=buyers[who])
                elif action == "drain":
                    bus.drain()
                elif action == "pause":
                    bus.pause(SUBSCRIBER_ID)
                elif action == "resume":
                    bus.resume(SUBSCRIBER_ID)
            except DomainError:
                pass  # an invalid command (already reserved, paid, ...) is refused; that's fine
        bus.resume(SUBSCRIBER_ID)
        bus.drain()
        incremental = snapshot_mypage()
        assert rebuilt_snapshot(batch_size=3, no_progress=True)[0] == incremental
        transaction.set_rollback(True)


@pytest.fixture
def market_cls(trade):
    return trade
