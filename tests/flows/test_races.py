"""The invariants under real concurrency: PostgreSQL, several connections, threads released
together by a barrier. Each thread uses its own database connection and closes it at the end.

- a product is never held by two live reservations;
- a product is sold at most once;
- a payment is paid only for a reservation that holds or bought its product;
- pay versus cancel ends with exactly one winner and consistent states everywhere.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from market import bus, events
from market.errors import Conflict, DomainError
from market.models import EventRecord
from payment.models import Payment
from payment.services import payment_pay
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_cancel, reservation_place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def make_users(prefix: str, n: int):
    User = get_user_model()
    return [User.objects.create_user(f"{prefix}{i}", password=None) for i in range(n)]


def run_together(*calls: Callable[[], object], jitter: float = 0.0) -> list[object]:
    """Run each call in its own thread (own connection), all released at once (then each waits a
    random 0..``jitter`` seconds, so no call always gets the head start). Returns each call's
    result, or the DomainError it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            connection.ensure_connection()  # connect before the start line, not after it
            barrier.wait(timeout=30)
            if jitter:
                time.sleep(random.uniform(0, jitter))
            return call()
        except DomainError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, c) for c in calls]]


def assert_consistent() -> None:
    """After every delivery ran: the three contexts agree, whatever interleaving happened."""
    assert bus.drain() >= 0
    reservations = {r.pk: r for r in Reservation.objects.all()}
    payments = {p.reservation_id: p for p in Payment.objects.all()}
    live = Counter(r.product_id for r in reservations.values() if r.status == Reservation.Status.RESERVED)
    paid = Counter(p.product_id for p in payments.values() if p.status == Payment.Status.PAID)
    assert max(live.values(), default=0) <= 1, "a product held by two live reservations"
    assert max(paid.values(), default=0) <= 1, "a product paid for twice"

    for product in Product.objects.all():
        holder = reservations.get(product.held_by_reservation_id)
        if product.status == Product.Status.AVAILABLE:
            assert holder is None
            assert live[product.pk] == 0
            assert paid[product.pk] == 0
        elif product.status == Product.Status.PENDING:
            assert holder is not None and holder.status == Reservation.Status.RESERVED
            assert payments[holder.pk].status == Payment.Status.UNPAID
        else:
            assert holder is not None and holder.status == Reservation.Status.COMPLETED
            assert payments[holder.pk].status == Payment.Status.PAID
            assert live[product.pk] == 0

    for reservation in reservations.values():
        payment = payments.get(reservation.pk)
        assert payment is not None, f"reservation {reservation.pk} has no payment"
        expected = {
            Reservation.Status.RESERVED: Payment.Status.UNPAID,
            Reservation.Status.CANCELLED: Payment.Status.VOIDED,
            Reservation.Status.COMPLETED: Payment.Status.PAID,
            Reservation.Status.EXPIRED: Payment.Status.VOIDED,
            Reservation.Status.DECLINED: Payment.Status.VOIDED,
        }[reservation.status]
        assert payment.status == expected, (reservation, payment)
        if payment.status == Payment.Status.PAID:
            product = Product.objects.get(pk=reservation.product_id)
            assert (product.status, product.held_by_reservation_id) == (Product.Status.SOLD_OUT, reservation.pk)

    sold = Counter(e.product_id for e in (r.to_event() for r in EventRecord.objects.filter(type="ProductSoldOut")))
    assert max(sold.values(), default=0) <= 1, "ProductSoldOut published twice for one product"


def test_many_buyers_reserving_one_product_exactly_one_wins():
    seller, *buyers = make_users("race_res", 13)
    product = product_register(seller=seller, name="Desk", price=50000)

    outcomes = run_together(*[lambda b=b: reservation_place(buyer=b, product_id=product.pk) for b in buyers])

    winners = [o for o in outcomes if isinstance(o, Reservation)]
    losers = [o for o in outcomes if not isinstance(o, Reservation)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) and o.code == "product_unavailable" for o in losers), losers
    product.refresh_from_db()
    assert (product.status, product.held_by_reservation_id) == (Product.Status.PENDING, winners[0].pk)
    assert Reservation.objects.filter(product_id=product.pk).count() == 1
    assert EventRecord.objects.filter(type=events.ProductReserved.type).count() == 1
    assert_consistent()


def test_pay_versus_cancel_has_exactly_one_winner():
    seller, buyer = make_users("race_pvc", 2)
    wins = Counter()
    for round_ in range(25):
        product = product_register(seller=seller, name=f"Lamp {round_}", price=1000 + round_)
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
        bus.drain()
        payment = Payment.objects.get(reservation_id=reservation.pk)

        def pay(payment=payment):
            # Cancelling does more before it reaches the payment row than paying does; a random
            # handicap lets either side get there first.
            time.sleep(random.uniform(0, 0.05))
            return payment_pay(payment_id=payment.pk, actor=buyer)

        def cancel(reservation=reservation):
            return reservation_cancel(reservation_id=reservation.pk, actor=buyer)

        outcomes = run_together(*((pay, cancel) if round_ % 2 else (cancel, pay)))

        errors = [o for o in outcomes if isinstance(o, DomainError)]
        assert len(errors) == 1, outcomes
        assert isinstance(errors[0], Conflict)
        bus.drain()
        reservation.refresh_from_db()
        payment.refresh_from_db()
        product.refresh_from_db()
        if errors[0].code == "already_paid":  # pay won
            wins["pay"] += 1
            assert (payment.status, reservation.status, product.status) == ("paid", "completed", "sold_out")
        else:  # cancel won
            assert errors[0].code == "payment_voided"
            wins["cancel"] += 1
            assert (payment.status, reservation.status, product.status) == ("voided", "cancelled", "available")
    assert sum(wins.values()) == 25
    assert_consistent()


def test_cancel_racing_the_payment_request_never_resurrects_the_payment():
    seller, buyer = make_users("race_tomb", 2)
    for round_ in range(20):
        product = product_register(seller=seller, name=f"Cup {round_}", price=700)
        bus.pause("payment.request_payment")
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
        bus.resume("payment.request_payment")

        run_together(
            lambda: bus.drain(subscriber="payment.request_payment"),
            lambda r=reservation: reservation_cancel(reservation_id=r.pk, actor=buyer),
        )
        bus.drain()
        payments = list(Payment.objects.filter(reservation_id=reservation.pk))
        assert [p.status for p in payments] == [Payment.Status.VOIDED]
        voided = EventRecord.objects.filter(type="PaymentVoided", payload__reservation_id=reservation.pk).count()
        assert voided == 1
        product.refresh_from_db()
        assert product.status == Product.Status.AVAILABLE
    assert_consistent()


def test_a_product_is_sold_at_most_once_under_a_storm_of_commands():
    seller, *buyers = make_users("race_storm", 9)
    products = [product_register(seller=seller, name=f"Chair {i}", price=10_000 * i) for i in range(3)]

    def shopper(buyer, seed: int):
        rng = random.Random(seed)
        for _ in range(15):
            product = rng.choice(products)
            try:
                reservation = reservation_place(buyer=buyer, product_id=product.pk)
            except DomainError:
                continue
            payment = Payment.objects.filter(reservation_id=reservation.pk).first()
            try:
                if payment is not None and rng.random() < 0.4:
                    payment_pay(payment_id=payment.pk, actor=buyer)
                else:
                    reservation_cancel(reservation_id=reservation.pk, actor=buyer)
            except DomainError:
                pass
        return None

    def thief(buyer, seed: int):
        """Tries to pay or cancel whatever payments exist, including other buyers'."""
        rng = random.Random(seed)
        for _ in range(30):
            for payment in Payment.objects.filter(buyer_id=buyer.pk, status=Payment.Status.UNPAID):
                try:
                    if rng.random() < 0.5:
                        payment_pay(payment_id=payment.pk, actor=buyer)
                    else:
                        reservation_cancel(reservation_id=payment.reservation_id, actor=buyer)
                except DomainError:
                    pass
        return None

    calls = [lambda b=b, i=i: shopper(b, i) for i, b in enumerate(buyers[:6])]
    calls += [lambda b=b, i=i: thief(b, 100 + i) for i, b in enumerate(buyers[:3])]
    outcomes = run_together(*calls)
    assert all(o is None for o in outcomes), outcomes

    assert_consistent()
    for product in products:
        product.refresh_from_db()
        paid = Payment.objects.filter(product_id=product.pk, status=Payment.Status.PAID)
        assert paid.count() == (1 if product.status == Product.Status.SOLD_OUT else 0)


def test_reserving_a_product_locked_for_too_long_answers_try_again_shortly(settings):
    """A buyer never queues behind a long lock: after RESERVATION_LOCK_TIMEOUT_MS they get a 503
    "try again shortly", nothing is stored, and the product is reservable afterwards."""
    from django.db import transaction

    from market.errors import TryAgainShortly

    settings.RESERVATION_LOCK_TIMEOUT_MS = 200
    seller, buyer = make_users("race_lock", 2)
    product = product_register(seller=seller, name="Sofa", price=90000)
    locked, done = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Product.objects.select_for_update().get(pk=product.pk)
                locked.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with pytest.raises(TryAgainShortly) as caught:
            reservation_place(buyer=buyer, product_id=product.pk)
        assert caught.value.code == "busy"
    finally:
        done.set()
        holder.join(timeout=30)
    assert not Reservation.objects.exists()
    assert reservation_place(buyer=buyer, product_id=product.pk).status == Reservation.Status.RESERVED
    assert_consistent()
