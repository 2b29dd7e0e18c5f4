"""The payment's state transitions, without a database."""

from __future__ import annotations

import pytest

from market.errors import Conflict
from payment.models import Payment

# --- payment -----------------------------------------------------------------------------------


def test_an_unpaid_payment_is_paid_once():
    payment = Payment(reservation_id=1, product_id=1, buyer_id=1, seller_id=2, amount=10)
    assert payment.status == Payment.Status.UNPAID
    payment.pay()
    assert payment.status == Payment.Status.PAID and payment.paid_at is not None
    with pytest.raises(Conflict) as caught:
        payment.pay()
    assert caught.value.code == "already_paid"


def test_a_paid_payment_refuses_to_be_voided():
    payment = Payment(status=Payment.Status.PAID)
    with pytest.raises(Conflict) as caught:
        payment.void()
    assert caught.value.code == "already_paid"
    assert payment.status == Payment.Status.PAID


def test_a_voided_payment_stays_voided():
    payment = Payment()
    assert payment.void()
    assert not payment.void()
    with pytest.raises(Conflict) as caught:
        payment.pay()
    assert caught.value.code == "payment_voided"
    assert (payment.status, payment.paid_at) == (Payment.Status.VOIDED, None)
