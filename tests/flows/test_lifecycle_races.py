"""Issue 17's races on PostgreSQL, threads released together (see ``test_races``): paying against
the expiry sweep and against the seller's decline each have exactly one winner, several sweepers
expire each hold once, and, end to end, a real worker process expires a short hold by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from market import events
from market.errors import Conflict
from market.models import EventRecord
from mypage.models import MyPageRow
from notice.models import Notification
from payment.models import Payment
from payment.services import payment_pay
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_decline, reservation_expire, reservation_expire_due, reservation_place
from tests.flows.test_races import assert_consistent, make_users, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER = Path(__file__).resolve().parents[1] / "bus" / "worker_process.py"
ROUNDS = 12


def held_reservations(prefix: str, n: int, *, overdue: bool = True):
    """``n`` products of one seller, each reserved by its own buyer with the payment requested;
    with ``overdue`` their holds ran out a second ago."""
    seller, *buyers = make_users(prefix, n + 1)
    reservations = []
    for i, buyer in enumerate(buyers):
        product = product_register(seller=seller, name=f"Item {i}", price=1000 + i)
        reservations.append(reservation_place(buyer=buyer, product_id=product.pk))
    if overdue:
        Reservation.objects.update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    assert Payment.objects.filter(status=Payment.Status.UNPAID).count() == n  # inline dispatch
    return seller, buyers, reservations


def payment_of(reservation) -> Payment:
    return Payment.objects.get(reservation_id=reservation.pk)


def head_starts(round_: int) -> tuple[float, float]:
    """Delays of (paying, the other command) in a round: paying usually wins a dead heat (it locks
    one row, the other two), so a third of the rounds give the other command a head start, a third
    give it to paying, and a third start both at once."""
    return [(0.0, 0.0), (0.05, 0.0), (0.0, 0.05)][round_ % 3]


def after(delay: float, call):
    def delayed():
        time.sleep(delay)
        return call()

    return delayed


def test_paying_against_the_expiry_has_exactly_one_winner():
    _seller, buyers, reservations = held_reservations("race_exp", ROUNDS)
    for round_, (buyer, reservation) in enumerate(zip(buyers, reservations, strict=True)):
        payment = payment_of(reservation)
        pay_delay, other_delay = head_starts(round_)
        paid, expired = run_together(
            after(pay_delay, lambda p=payment, b=buyer: payment_pay(payment_id=p.pk, actor=b)),
            after(other_delay, lambda r=reservation: reservation_expire(reservation_id=r.pk)),
            jitter=0.01,
        )
        payment.refresh_from_db()
        if isinstance(paid, Payment):
            assert expired is False
            assert payment.status == Payment.Status.PAID
        else:
            assert isinstance(paid, Conflict) and paid.code == "payment_voided"
            assert expired is True
            assert payment.status == Payment.Status.VOIDED
    assert_consistent()
    outcomes = [r.status for r in Reservation.objects.all()]
    assert set(outcomes) <= {Reservation.Status.COMPLETED, Reservation.Status.EXPIRED}
    print(f"pay vs expiry: {outcomes.count('completed')} paid, {outcomes.count('expired')} expired")
    assert len(set(outcomes)) == 2, "both outcomes happen: the test exercises both winners"
    expired_events = EventRecord.objects.filter(type=events.ReservationExpired.type).count()
    assert expired_events == Reservation.objects.filter(status=Reservation.Status.EXPIRED).count()


def test_declining_against_paying_has_exactly_one_winner():
    seller, buyers, reservations = held_reservations("race_dec", ROUNDS, overdue=False)
    for round_, (buyer, reservation) in enumerate(zip(buyers, reservations, strict=True)):
        payment = payment_of(reservation)
        pay_delay, other_delay = head_starts(round_)
        paid, declined = run_together(
            after(pay_delay, lambda p=payment, b=buyer: payment_pay(payment_id=p.pk, actor=b)),
            after(other_delay, lambda r=reservation: reservation_decline(reservation_id=r.pk, actor=seller)),
            jitter=0.01,
        )
        payment.refresh_from_db()
        if isinstance(paid, Payment):
            assert isinstance(declined, Conflict) and declined.code == "already_paid"
            assert payment.status == Payment.Status.PAID
        else:
            assert isinstance(paid, Conflict) and paid.code == "payment_voided"
            assert isinstance(declined, Reservation) and declined.status == Reservation.Status.DECLINED
            assert payment.status == Payment.Status.VOIDED
    assert_consistent()
    outcomes = [r.status for r in Reservation.objects.all()]
    assert set(outcomes) <= {Reservation.Status.COMPLETED, Reservation.Status.DECLINED}
    print(f"decline vs pay: {outcomes.count('completed')} paid, {outcomes.count('declined')} declined")
    assert len(set(outcomes)) == 2, "both outcomes happen: the test exercises both winners"


def test_several_sweepers_expire_each_hold_exactly_once():
    held_reservations("race_sweep", 20)
    counts = run_together(*[reservation_expire_due for _ in range(4)])
    assert sum(counts) == 20
    assert EventRecord.objects.filter(type=events.ReservationExpired.type).count() == 20
    assert EventRecord.objects.filter(type=events.ProductReleased.type).count() == 20
    assert not Product.objects.exclude(status=Product.Status.AVAILABLE).exists()
    assert_consistent()


def test_a_real_worker_expires_a_short_hold_by_itself():
    """End to end: a hold of one second, the real worker process (its loop runs the sweep every
    0.2 s), nobody calling anything in this process."""
    seller, buyer = make_users("e2e_exp", 2)
    product = product_register(seller=seller, name="Lamp", price=7000)
    with override_settings(RESERVATION_HOLD_SECONDS=1, EVENTS_DISPATCH="worker"):
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EVENTS_DISPATCH": "worker",
        "LOG_LEVEL": "WARNING",
        "RESERVATION_HOLD_SECONDS": "1",
        "RESERVATION_EXPIRY_SWEEP_SECONDS": "0.2",
    }
    worker = subprocess.Popen([sys.executable, str(WORKER), "forever"], env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            row = MyPageRow.objects.filter(pk=reservation.pk).first()
            kinds = set(Notification.objects.values_list("kind", flat=True))
            if row is not None and row.reservation_status == "expired" and {"EXPIRED", "HOLD_EXPIRED"} <= kinds:
                break
            assert time.monotonic() < deadline, "the worker did not expire the hold in time"
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.EXPIRED
    assert Product.objects.get(pk=product.pk).status == Product.Status.AVAILABLE
    assert payment_of(reservation).status == Payment.Status.VOIDED
    assert row.payment_status == "voided" and row.product_status == "available"
    assert EventRecord.objects.filter(type=events.ReservationExpired.type).count() == 1
