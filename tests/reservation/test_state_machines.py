"""The reservation's state transitions, without a database."""

from __future__ import annotations

import pytest

from market.errors import Conflict
from reservation.models import Reservation

# --- reservation -------------------------------------------------------------------------------


def test_a_reservation_is_cancelled_once():
    reservation = Reservation(product_id=1)
    assert reservation.status == Reservation.Status.RESERVED
    reservation.cancel()
    assert reservation.status == Reservation.Status.CANCELLED
    with pytest.raises(Conflict) as caught:
        reservation.cancel()
    assert caught.value.code == "already_cancelled"
    assert not reservation.complete()
    assert reservation.status == Reservation.Status.CANCELLED


def test_a_completed_reservation_cannot_be_cancelled():
    reservation = Reservation(product_id=1)
    assert reservation.complete()
    assert not reservation.complete()  # redelivery: nothing changes
    with pytest.raises(Conflict) as caught:
        reservation.cancel()
    assert caught.value.code == "already_paid"
    assert reservation.status == Reservation.Status.COMPLETED
