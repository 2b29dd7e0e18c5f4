"""The my-page projection: each event, any order, redelivery, events before the row exists."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from market import bus
from market.models import Delivery
from mypage.models import MyPageRow, TimelineEntry
from mypage.services import SUBSCRIBER_ID, mypage_apply_event
from tests.support.readside import emit, snapshot_mypage

pytestmark = pytest.mark.django_db


def apply_all(evts):
    with transaction.atomic():
        return [mypage_apply_event(event=e) for e in evts]


def test_reserving_creates_a_row_with_every_column(story, drain):
    s = story(name="책상", price="12000")
    placed, _reserved, requested = emit(*s.reserve_events())
    drain()

    row = MyPageRow.objects.get(reservation_id=s.reservation_id)
    assert (row.product_id, row.product_name, row.price) == (s.product_id, "책상", 12000)
    assert (row.buyer_id, row.buyer_name, row.seller_id, row.seller_name) == (
        s.buyer_id,
        "buyer",
        s.seller_id,
        "seller",
    )
    assert row.payment_id == s.payment_id
    assert (row.reservation_status, row.payment_status, row.product_status) == ("reserved", "unpaid", "pending")
    assert row.created_at == placed.occurred_at
    assert row.updated_at == requested.occurred_at
    assert list(row.timeline.values_list("event_type", "subject", "status")) == [
        ("ReservationPlaced", "reservation", "reserved"),
        ("ProductReserved", "product", "pending"),
        ("PaymentRequested", "payment", "unpaid"),
    ]


def test_paying_completes_everything(story, drain):
    s = story()
    emit(*s.reserve_events())
    emit(*s.pay_events())
    drain()
    row = MyPageRow.objects.get(reservation_id=s.reservation_id)
    assert (row.reservation_status, row.payment_status, row.product_status) == ("completed", "paid", "sold_out")
    assert row.timeline.count() == 6


def test_cancelling_voids_and_releases(story, drain):
    s = story()
    emit(*s.reserve_events())
    emit(*s.cancel_events())
    drain()
    row = MyPageRow.objects.get(reservation_id=s.reservation_id)
    assert (row.reservation_status, row.payment_status, row.product_status) == ("cancelled", "voided", "available")


@pytest.mark.parametrize("flow", ["pay", "cancel"])
def test_any_order_gives_the_same_row(story, flow):
    s = story()
    evts = s.reserve_events() + (s.pay_events() if flow == "pay" else s.cancel_events())
    results = set()
    # Every permutation of six events is 720 runs; a spread of them is enough to show the point.
    for i, order in enumerate(itertools.permutations(evts)):
        if i % 37:
            continue
        sid = transaction.savepoint()
        apply_all(order)
        snap = snapshot_mypage()
        for t in snap["timeline"]:
            t.pop("row_id")
        results.add(repr(snap))
        transaction.savepoint_rollback(sid)
    assert len(results) == 1


def test_a_late_older_event_does_not_move_a_status_back(story):
    s = story()
    placed, _reserved, requested = s.reserve_events()
    completed = s.payment_completed()
    apply_all([placed, completed, requested])
    row = MyPageRow.objects.get(reservation_id=s.reservation_id)
    assert row.payment_status == "paid"
    assert row.timeline.count() == 3  # the late one is still logged


def test_redelivery_changes_nothing(story):
    s = story()
    evts = s.reserve_events()
    assert apply_all(evts) == [True, True, True]
    before = snapshot_mypage()
    assert apply_all(evts) == [False, False, False]
    assert snapshot_mypage() == before


def test_requeued_deliveries_change_nothing(story, drain):
    s = story()
    emit(*s.reserve_events(), *s.cancel_events())
    drain()
    before = snapshot_mypage()
    Delivery.objects.filter(subscriber=SUBSCRIBER_ID).update(status=Delivery.Status.DEAD)
    assert bus.requeue(subscriber=SUBSCRIBER_ID) == 6
    drain()
    assert snapshot_mypage() == before
    assert TimelineEntry.objects.count() == 6


def test_an_event_before_the_row_exists_creates_it(story):
    s = story(price="5000")
    apply_all([s.payment_requested()])
    row = MyPageRow.objects.get(reservation_id=s.reservation_id)
    assert (row.reservation_status, row.payment_status, row.product_status) == (None, "unpaid", None)
    assert row.price == 5000 and row.buyer_id == s.buyer_id and row.product_name == ""
    apply_all([s.placed(), s.product_reserved()])
    row.refresh_from_db()
    assert (row.reservation_status, row.product_status, row.product_name) == ("reserved", "pending", s.name)


def test_other_events_are_ignored(seller, drain):
    from market import events

    emit(events.ProductRegistered(product_id=1, seller_id=seller.pk, seller_name="s", product_name="x", price="1"))
    drain()
    assert not MyPageRow.objects.exists()
