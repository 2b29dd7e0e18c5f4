"""The event flows across product, reservation and payment: reserving, paying and cancelling, and
every rule of those commands (the product's own commands: tests/product/test_product_services.py)."""

from __future__ import annotations

import pytest

from market import bus, events
from market.errors import Conflict, Forbidden, NotFound, ValidationFailed
from market.models import EventRecord
from payment.models import Payment
from payment.selectors import payment_for_reservation, payment_get_for, payment_list_for
from payment.services import payment_pay
from product.models import Product
from product.services import product_register, product_update
from reservation.models import Reservation
from reservation.selectors import reservation_get_for, reservation_list_for
from reservation.services import reservation_cancel, reservation_place
from tests.support.events import published


def payment_of(reservation) -> Payment:
    return Payment.objects.get(reservation_id=reservation.pk)


# --- reserving ----------------------------------------------------------------------------------


def test_reserving_holds_the_product_and_requests_the_payment(scenario, noodle, buyer, seller):
    placed = scenario.stimulate(lambda: reservation_place(buyer=buyer, product_id=noodle.pk))
    reservation = placed.result
    assert reservation.status == Reservation.Status.RESERVED
    assert (reservation.seller_id, reservation.product_name, reservation.price) == (seller.pk, "Noodle", 3000)
    product = Product.objects.get(pk=noodle.pk)
    assert (product.status, product.held_by_reservation_id) == (Product.Status.PENDING, reservation.pk)
    [reserved_event] = published(events.ProductReserved, reservation_id=reservation.pk)
    assert (reserved_event.price, reserved_event.seller_name, reserved_event.buyer_id) == ("3000", "seller", buyer.pk)
    [placed_event] = published(events.ReservationPlaced, reservation_id=reservation.pk)
    assert placed_event.buyer_name == "buyer"

    requested = placed.and_wait_for_event(events.PaymentRequested, lambda e: e.reservation_id == reservation.pk)
    payment = Payment.objects.get(pk=requested.payment_id)
    assert (payment.status, payment.amount, payment.buyer_id, payment.seller_id, payment.product_id) == (
        Payment.Status.UNPAID,
        3000,
        buyer.pk,
        seller.pk,
        noodle.pk,
    )
    assert requested.amount == "3000"


def test_the_payment_amount_is_the_price_at_reservation_time(noodle, seller, buyer, other_buyer, drain):
    product_update(product_id=noodle.pk, actor=seller, price=4000)
    reservation = reservation_place(buyer=buyer, product_id=noodle.pk)
    drain()
    assert payment_of(reservation).amount == 4000
    reservation_cancel(reservation_id=reservation.pk, actor=buyer)
    product_update(product_id=noodle.pk, actor=seller, price=5000)
    second = reservation_place(buyer=other_buyer, product_id=noodle.pk)
    drain()
    assert payment_of(second).amount == 5000
    assert payment_of(reservation).amount == 4000


def test_a_buyer_cannot_reserve_their_own_product(noodle, seller):
    with pytest.raises(Conflict) as caught:
        reservation_place(buyer=seller, product_id=noodle.pk)
    assert caught.value.code == "own_product"
    assert not Reservation.objects.exists()
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.AVAILABLE
    assert not published(events.ReservationPlaced)


def test_a_held_product_cannot_be_reserved_again(reserved, noodle, other_buyer, buyer):
    for who in (other_buyer, buyer):
        with pytest.raises(Conflict) as caught:
            reservation_place(buyer=who, product_id=noodle.pk)
        assert caught.value.code == "product_unavailable"
    assert Reservation.objects.count() == 1


@pytest.mark.parametrize("product_id", [424242, 0, "x", None])
def test_reserving_an_unknown_product_is_not_found_and_stores_nothing(buyer, product_id):
    with pytest.raises(NotFound) as caught:
        reservation_place(buyer=buyer, product_id=product_id)
    assert caught.value.code == "product_not_found"
    assert not Reservation.objects.exists()
    assert not EventRecord.objects.filter(type__startswith="Reservation").exists()


# --- paying -------------------------------------------------------------------------------------


def test_paying_sells_the_product_and_completes_the_reservation(scenario, reserved, noodle, buyer):
    payment = payment_of(reserved)
    paid = scenario.stimulate(lambda: payment_pay(payment_id=payment.pk, actor=buyer))
    assert paid.result.status == Payment.Status.PAID
    assert paid.result.paid_at is not None
    sold = paid.and_wait_for_event(events.ProductSoldOut, lambda e: e.product_id == noodle.pk)
    assert (sold.reservation_id, sold.buyer_id, sold.product_name) == (reserved.pk, buyer.pk, "Noodle")
    paid.and_wait_for_event(events.ReservationCompleted, lambda e: e.reservation_id == reserved.pk)
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT
    assert Reservation.objects.get(pk=reserved.pk).status == Reservation.Status.COMPLETED
    [completed] = published(events.PaymentCompleted, payment_id=payment.pk)
    assert completed.amount == "3000"


def test_paying_twice_is_refused(reserved, buyer, drain):
    payment = payment_of(reserved)
    payment_pay(payment_id=payment.pk, actor=buyer)
    with pytest.raises(Conflict) as caught:
        payment_pay(payment_id=payment.pk, actor=buyer)
    assert caught.value.code == "already_paid"
    drain()
    assert len(published(events.PaymentCompleted)) == 1
    assert len(published(events.ProductSoldOut)) == 1


def test_only_the_buyer_pays(reserved, seller, other_buyer, staff):
    payment = payment_of(reserved)
    with pytest.raises(Forbidden) as caught:
        payment_pay(payment_id=payment.pk, actor=seller)
    assert caught.value.code == "not_buyer"
    with pytest.raises(Forbidden):
        payment_pay(payment_id=payment.pk, actor=staff)
    with pytest.raises(NotFound) as caught:
        payment_pay(payment_id=payment.pk, actor=other_buyer)
    assert caught.value.code == "payment_not_found"
    with pytest.raises(NotFound):
        payment_pay(payment_id=987654, actor=seller)
    assert payment_of(reserved).status == Payment.Status.UNPAID


def test_paying_works_while_product_and_reservation_subscribers_are_paused(reserved, noodle, buyer, drain):
    bus.pause("product.sell_on_payment")
    bus.pause("reservation.complete_on_payment")
    payment = payment_pay(payment_id=payment_of(reserved).pk, actor=buyer)
    drain()
    assert payment.status == Payment.Status.PAID
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.PENDING
    assert Reservation.objects.get(pk=reserved.pk).status == Reservation.Status.RESERVED

    bus.resume("product.sell_on_payment")
    bus.resume("reservation.complete_on_payment")
    drain()
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT
    assert Reservation.objects.get(pk=reserved.pk).status == Reservation.Status.COMPLETED


def test_paying_works_while_product_and_reservation_subscribers_fail(reserved, noodle, buyer, drain, monkeypatch):
    from django.utils import timezone

    from market.models import Delivery

    def broken(*args, **kwargs):
        raise RuntimeError("down")

    monkeypatch.setattr("product.handlers.Product.objects.filter", broken, raising=False)
    payment_pay(payment_id=payment_of(reserved).pk, actor=buyer)
    drain()
    failing = Delivery.objects.get(subscriber="product.sell_on_payment")
    assert failing.status == Delivery.Status.PENDING and failing.attempts == 1
    monkeypatch.undo()
    drain(now=timezone.now() + timezone.timedelta(hours=1))
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT


def test_redelivered_payment_completed_changes_nothing(reserved, noodle, buyer, drain):
    from product.handlers import sell_on_payment
    from reservation.handlers import complete_on_payment

    payment_pay(payment_id=payment_of(reserved).pk, actor=buyer)
    drain()
    [completed] = published(events.PaymentCompleted)
    before = EventRecord.objects.count()
    sell_on_payment([completed])
    complete_on_payment([completed])
    assert EventRecord.objects.count() == before
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT


# --- cancelling ---------------------------------------------------------------------------------


def test_cancelling_releases_the_product_and_voids_the_payment(reserved, noodle, buyer, seller):
    payment = payment_of(reserved)
    cancelled = reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    assert cancelled.status == Reservation.Status.CANCELLED
    product = Product.objects.get(pk=noodle.pk)
    assert (product.status, product.held_by_reservation_id) == (Product.Status.AVAILABLE, None)
    assert payment_of(reserved).status == Payment.Status.VOIDED
    [event] = published(events.ReservationCancelled, reservation_id=reserved.pk)
    assert (event.seller_id, event.product_name, event.price) == (seller.pk, "Noodle", "3000")
    [released] = published(events.ProductReleased, product_id=noodle.pk)
    assert released.reservation_id == reserved.pk
    [voided] = published(events.PaymentVoided, payment_id=payment.pk)
    assert voided.amount == "3000"


def test_a_released_product_can_be_reserved_by_someone_else(reserved, noodle, buyer, other_buyer, drain):
    reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    second = reservation_place(buyer=other_buyer, product_id=noodle.pk)
    drain()
    assert Product.objects.get(pk=noodle.pk).held_by_reservation_id == second.pk
    assert payment_of(second).status == Payment.Status.UNPAID


def test_paying_a_voided_payment_is_refused(reserved, buyer, drain):
    payment = payment_of(reserved)
    reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    with pytest.raises(Conflict) as caught:
        payment_pay(payment_id=payment.pk, actor=buyer)
    assert caught.value.code == "payment_voided"
    assert not published(events.PaymentCompleted)


def test_cancelling_a_paid_reservation_is_refused(reserved, noodle, buyer, drain):
    payment_pay(payment_id=payment_of(reserved).pk, actor=buyer)
    with pytest.raises(Conflict) as caught:  # before the reservation caught up: the payment vetoes
        reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    assert caught.value.code == "already_paid"
    assert Reservation.objects.get(pk=reserved.pk).status == Reservation.Status.RESERVED
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.PENDING
    drain()
    with pytest.raises(Conflict) as caught:  # after: the reservation itself refuses
        reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    assert caught.value.code == "already_paid"
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT
    assert not published(events.ReservationCancelled)
    assert not published(events.ProductReleased)


def test_cancelling_twice_is_refused(reserved, buyer):
    reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    with pytest.raises(Conflict) as caught:
        reservation_cancel(reservation_id=reserved.pk, actor=buyer)
    assert caught.value.code == "already_cancelled"


def test_only_the_buyer_cancels(reserved, seller, other_buyer, staff, buyer):
    with pytest.raises(Forbidden) as caught:
        reservation_cancel(reservation_id=reserved.pk, actor=seller)
    assert caught.value.code == "not_buyer"
    with pytest.raises(Forbidden):
        reservation_cancel(reservation_id=reserved.pk, actor=staff)
    for reservation_id in (reserved.pk, 999_999, "abc"):
        with pytest.raises(NotFound) as caught:
            reservation_cancel(reservation_id=reservation_id, actor=other_buyer)
        assert caught.value.code == "reservation_not_found"
    assert Reservation.objects.get(pk=reserved.pk).status == Reservation.Status.RESERVED


def test_cancel_before_the_payment_exists_leaves_a_tombstone_that_stays_voided(noodle, buyer, drain):
    bus.pause("payment.request_payment")
    reservation = reservation_place(buyer=buyer, product_id=noodle.pk)
    reservation_cancel(reservation_id=reservation.pk, actor=buyer)
    tombstone = payment_of(reservation)
    assert (tombstone.status, tombstone.amount) == (Payment.Status.VOIDED, 3000)
    assert len(published(events.PaymentVoided, reservation_id=reservation.pk)) == 1

    bus.resume("payment.request_payment")
    drain()
    assert Payment.objects.filter(reservation_id=reservation.pk).count() == 1
    assert payment_of(reservation).status == Payment.Status.VOIDED
    assert not published(events.PaymentRequested)
    with pytest.raises(Conflict) as caught:
        payment_pay(payment_id=tombstone.pk, actor=buyer)
    assert caught.value.code == "payment_voided"


def test_a_sold_out_product_is_never_released(reserved, noodle, buyer, drain):
    """Even if a cancel somehow reached the product after the sale, it stays sold."""
    from product.handlers import release_on_cancel

    payment_pay(payment_id=payment_of(reserved).pk, actor=buyer)
    drain()
    release_on_cancel(
        events.ReservationCancelled(
            reservation_id=reserved.pk,
            product_id=noodle.pk,
            buyer_id=buyer.pk,
            seller_id=noodle.seller_id,
            product_name="Noodle",
            price="3000",
        )
    )
    assert Product.objects.get(pk=noodle.pk).status == Product.Status.SOLD_OUT


# --- selectors ----------------------------------------------------------------------------------


def test_parties_see_their_reservations_and_payments(reserved, buyer, seller, other_buyer, staff):
    payment = payment_of(reserved)
    assert list(reservation_list_for(user=buyer)) == [reserved]
    assert list(reservation_list_for(user=buyer, role="buyer")) == [reserved]
    assert list(reservation_list_for(user=buyer, role="seller")) == []
    assert list(reservation_list_for(user=seller, role="seller")) == [reserved]
    assert list(reservation_list_for(user=seller)) == [reserved]
    assert list(reservation_list_for(user=other_buyer)) == []
    assert list(reservation_list_for(user=staff)) == [reserved]
    assert list(payment_list_for(user=buyer)) == [payment]
    assert list(payment_list_for(user=seller, role="seller")) == [payment]
    assert list(payment_list_for(user=other_buyer)) == []
    assert list(payment_list_for(user=staff)) == [payment]
    for user in (buyer, seller, staff):
        assert reservation_get_for(user=user, reservation_id=reserved.pk) == reserved
        assert payment_get_for(user=user, payment_id=payment.pk) == payment
        assert payment_for_reservation(user=user, reservation_id=reserved.pk) == payment
    with pytest.raises(NotFound):
        reservation_get_for(user=other_buyer, reservation_id=reserved.pk)
    with pytest.raises(NotFound):
        payment_get_for(user=other_buyer, payment_id=payment.pk)
    with pytest.raises(NotFound):
        payment_get_for(user=buyer, payment_id="nope")
    with pytest.raises(ValidationFailed):
        reservation_list_for(user=buyer, role="admin")


def test_reservation_list_uses_one_query(noodle, seller, buyer, django_assert_num_queries):
    for i in range(4):
        product = product_register(seller=seller, name=f"P{i}", price=i)
        reservation_place(buyer=buyer, product_id=product.pk)
    with django_assert_num_queries(1):
        buyers = [r.buyer.username for r in reservation_list_for(user=seller)]
    assert buyers == ["buyer"] * 4


# --- query budgets of the publishing paths ----------------------------------------------------


def test_query_budgets(seller, buyer, drain, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        product = product_register(seller=seller, name="Desk", price=50000)
    with django_assert_max_num_queries(10):
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
    drain()
    payment = payment_of(reservation)
    with django_assert_max_num_queries(6):
        payment_pay(payment_id=payment.pk, actor=buyer)
