"""Helpers every context's tests share: Basic-auth headers, the project's error shape, and the small
market (one available product, one reserved product with its unpaid payment) that the ``market``
fixture of tests/conftest.py builds through the domain's own services."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from payment.models import Payment
from product.models import Product
from reservation.models import Reservation

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


@dataclass
class Market:
    available: Product  # the seller's, nobody holds it
    held: Product  # the seller's, held by ``reservation``
    reservation: Reservation  # the buyer's
    payment: Payment  # unpaid
