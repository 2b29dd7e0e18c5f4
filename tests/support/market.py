"""Fixtures of the API tests: a small market (one available product, one reserved product with its
unpaid payment) and helpers that build state through the domain's own services."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from payment.models import Payment
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_place

PASSWORD = "secret-pass-1"


def basic(user, password: str = PASSWORD) -> dict[str, str]:
    """Headers for HTTP Basic auth, as ``http -a user:password`` sends them."""
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Every error is JSON with a stable code and a human message."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def make_product(db):
    def make(seller, *, name: str = "Desk", price: int = 1000, description: str = "") -> Product:
        return product_register(seller=seller, name=name, price=price, description=description)

    return make


@pytest.fixture
def reserve(db, drain):
    """Reserve a product and let the payment module catch up (its subscriber runs after commit)."""

    def make(buyer, product: Product) -> tuple[Reservation, Payment]:
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
        drain()
        return reservation, Payment.objects.get(reservation_id=reservation.pk)

    return make


@dataclass
class Market:
    available: Product  # the seller's, nobody holds it
    held: Product  # the seller's, held by ``reservation``
    reservation: Reservation  # the buyer's
    payment: Payment  # unpaid


@pytest.fixture
def market(seller, buyer, make_product, reserve) -> Market:
    available = make_product(seller, name="Noodle", price=3000)
    held = make_product(seller, name="Desk", price=50000)
    reservation, payment = reserve(buyer, held)
    return Market(available=available, held=held, reservation=reservation, payment=payment)


@pytest.fixture
def actors(seller, buyer, other_buyer, staff):
    return {"anonymous": None, "buyer": buyer, "other_buyer": other_buyer, "seller": seller, "staff": staff}
