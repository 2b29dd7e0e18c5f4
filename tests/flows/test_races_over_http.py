"""Races through the HTTP API on PostgreSQL (several threads, one connection each): the API answers
with exactly one winner and clean 4xx for the losers, never a 500."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from market import bus
from payment.models import Payment
from product.models import Product
from product.services import product_register
from reservation.models import Reservation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(calls) -> list:
    """Run the calls at once, each in its own thread with its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # recorded, asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_many_buyers_reserving_one_product_one_wins(make_user):
    seller = make_user("raceseller")
    buyers = [make_user(f"racer{i}") for i in range(8)]
    product = product_register(seller=seller, name="Desk", price=1000)

    responses = run_together(
        [lambda b=b: client(b).post("/api/reservations/", {"product_id": product.pk}, format="json") for b in buyers]
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1, statuses
    assert set(statuses) <= {201, 409, 503}, statuses  # 503: busy, try again shortly
    for response in responses:
        if response.status_code != 201:
            assert response.json()["code"] in {"product_unavailable", "busy", "try_again_shortly"}
    product.refresh_from_db()
    assert product.status == Product.Status.PENDING
    assert Reservation.objects.filter(product_id=product.pk, status=Reservation.Status.RESERVED).count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_pay_versus_cancel_over_http_has_exactly_one_winner(make_user, round_):
    seller = make_user(f"pvcseller{round_}")
    buyer = make_user(f"pvcbuyer{round_}")
    product = product_register(seller=seller, name="Desk", price=1000)
    placed = client(buyer).post("/api/reservations/", {"product_id": product.pk}, format="json")
    assert placed.status_code == 201
    reservation_id = placed.json()["id"]
    payment = Payment.objects.get(reservation_id=reservation_id)  # created by inline dispatch after commit

    pay, cancel = run_together(
        [
            lambda: client(buyer).post(f"/api/payments/{payment.pk}/pay/"),
            lambda: client(buyer).post(f"/api/reservations/{reservation_id}/cancel/"),
        ]
    )

    assert sorted([pay.status_code, cancel.status_code]) == [200, 409], (pay.content, cancel.content)
    bus.drain()
    product.refresh_from_db()
    payment.refresh_from_db()
    reservation = Reservation.objects.get(pk=reservation_id)
    if pay.status_code == 200:
        assert cancel.json()["code"] == "already_paid"
        assert (payment.status, reservation.status, product.status) == ("paid", "completed", "sold_out")
    else:
        assert pay.json()["code"] == "payment_voided"
        assert (payment.status, reservation.status, product.status) == ("voided", "cancelled", "available")
