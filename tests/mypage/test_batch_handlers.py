"""The batch handlers the worker uses (``durable(batch=...)``) do what one event after another
would, in a fixed number of statements whatever the batch size."""

from __future__ import annotations

import random

import pytest
from django.db import transaction
from django.test import override_settings

from market import bus
from market.models import Delivery, EventRecord
from mypage.models import MyPageRow
from mypage.services import mypage_apply_event, mypage_apply_events
from notice.models import Notification, ProductName, Recipient
from notice.services import directory_apply_events
from payment.models import Payment
from tests.readside.conftest import emit, snapshot_mypage

pytestmark = pytest.mark.django_db


def life_stories(story, n: int) -> list:
    """n reservations: some paid, some cancelled, some only reserved; every event, in log order."""
    evts = []
    for i in range(n):
        s = story(name=f"물건 {i}", price=str(1000 * (i + 1)))
        evts += s.reserve_events() + ([], s.pay_events(), s.cancel_events())[i % 3]
    return evts


def test_a_batch_in_any_order_folds_exactly_like_one_event_after_another(story):
    evts = life_stories(story, 9)
    sid = transaction.savepoint()
    with transaction.atomic():
        for e in evts:
            mypage_apply_event(event=e)
    one_by_one = snapshot_mypage()
    transaction.savepoint_rollback(sid)
    assert not MyPageRow.objects.exists()

    shuffled = evts[:]
    random.Random(3).shuffle(shuffled)
    assert mypage_apply_events(events=shuffled) == len(evts)
    assert snapshot_mypage() == one_by_one


def test_a_batch_costs_the_same_few_statements_for_any_number_of_events(story, django_assert_max_num_queries):
    evts = life_stories(story, 12)  # 12 reservations, 54 events
    # already applied?, lock rows, create the missing, lock them, upsert rows, insert timeline
    with django_assert_max_num_queries(6):
        assert mypage_apply_events(events=evts) == len(evts)


def test_a_redelivered_batch_changes_nothing(story, django_assert_max_num_queries):
    evts = life_stories(story, 4)
    mypage_apply_events(events=evts)
    before = snapshot_mypage()
    with django_assert_max_num_queries(1):  # one look at the timeline: all applied already
        assert mypage_apply_events(events=evts) == 0
    assert snapshot_mypage() == before


def test_a_mixed_batch_applies_only_the_new_events(story):
    evts = life_stories(story, 3)
    mypage_apply_events(events=evts[:4])
    assert mypage_apply_events(events=evts) == len(evts) - 4


def test_the_worker_runs_the_read_side_in_batches_with_few_statements(story, django_assert_max_num_queries):
    emit(*life_stories(story, 10))
    pending = Delivery.objects.filter(status="pending").count()
    assert pending > 60
    # Events of one aggregate wait for each other, so a few claims of 100 are needed; each
    # costs its claim, then per subscriber one done-UPDATE and its batch handler's statements.
    # One by one it was about four statements per delivery (here ~370); now under 70, with the
    # notifications going in batches of ten.
    with override_settings(EVENTS_WORKER_BATCH=100), django_assert_max_num_queries(70):
        assert bus.drain() == pending
    assert Notification.objects.filter(status="sent").count() == Notification.objects.count() > 0
    assert MyPageRow.objects.count() == 10


def test_the_directory_keeps_the_last_word_per_user_and_product(seller, buyer):
    from market import events

    directory_apply_events(
        events=[
            events.UserRegistered(user_id=buyer.pk, username="b", phone="010-1"),
            events.ProductRegistered(product_id=7, seller_id=seller.pk, seller_name="s", name="old", price="1"),
            events.UserContactChanged(user_id=buyer.pk, username="b", phone="010-2"),
            events.ProductUpdated(product_id=7, seller_id=seller.pk, name="new", price="1"),
        ]
    )
    assert Recipient.objects.get(user_id=buyer.pk).phone == "010-2"
    assert ProductName.objects.get(product_id=7).name == "new"


@override_settings(EVENTS_DISPATCH="worker")
def test_payments_are_requested_in_a_batch_and_a_cancelled_ones_tombstone_stays_voided(market, seller, buyer):
    from reservation.services import reservation_cancel, reservation_place

    placed = [reservation_place(buyer=buyer, product_id=market.product(seller, f"p{i}")).pk for i in range(4)]
    reservation_cancel(reservation_id=placed[0], actor=buyer)  # before its payment exists: a tombstone
    request = Delivery.objects.filter(subscriber="payment.request_payment", status="pending")
    assert request.count() == 4
    claimed = bus.claim(owner="w", subscriber="payment.request_payment")
    assert bus.run(claimed, owner="w") == ["done"] * 4

    statuses = dict(Payment.objects.values_list("reservation_id", "status"))
    assert statuses == {placed[0]: "voided", placed[1]: "unpaid", placed[2]: "unpaid", placed[3]: "unpaid"}
    requested = EventRecord.objects.filter(type="PaymentRequested").values_list("payload__reservation_id", flat=True)
    assert sorted(requested) == sorted(placed[1:])

    Delivery.objects.filter(subscriber="payment.request_payment").update(status="pending", lease_owner="")
    claimed = bus.claim(owner="w", subscriber="payment.request_payment")
    bus.run(claimed, owner="w")  # a redelivery of the whole batch
    assert Payment.objects.count() == 4
    assert EventRecord.objects.filter(type="PaymentRequested").count() == 3


@override_settings(EVENTS_DISPATCH="worker")
@pytest.mark.parametrize("subscriber", ["product.sell_on_payment", "reservation.complete_on_payment"])
def test_payments_complete_in_a_batch_exactly_once(market, seller, buyer, subscriber):
    from payment.services import payment_pay
    from product.models import Product
    from reservation.models import Reservation
    from reservation.services import reservation_place

    placed = [reservation_place(buyer=buyer, product_id=market.product(seller, f"p{i}")) for i in range(4)]
    bus.drain()  # payments requested
    for reservation in placed:
        payment_pay(payment_id=market.payment_id(reservation.pk), actor=buyer)

    def run_batch_of(sid: str) -> list[str]:
        claimed = bus.claim(owner="w", subscriber=sid)
        return bus.run(claimed, owner="w")

    assert run_batch_of(subscriber) == ["done"] * 4
    if subscriber == "product.sell_on_payment":
        assert set(Product.objects.values_list("status", flat=True)) == {"sold_out"}
        published = "ProductSoldOut"
    else:
        assert set(Reservation.objects.values_list("status", flat=True)) == {"completed"}
        published = "ReservationCompleted"
    assert EventRecord.objects.filter(type=published).count() == 4

    Delivery.objects.filter(subscriber=subscriber).update(status="pending", lease_owner="")
    assert run_batch_of(subscriber) == ["done"] * 4  # a redelivery of the batch changes nothing
    assert EventRecord.objects.filter(type=published).count() == 4
