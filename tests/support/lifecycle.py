"""Helpers of the lifecycle flows (issue 17): the hold's length, a clock the test moves, reserving
and sweeping as the worker would, and the notifications someone was sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from market import periodic
from notice.models import Notification
from reservation.models import Reservation
from reservation.services import reservation_place

HOLD = 600  # seconds, RESERVATION_HOLD_SECONDS in these tests


def told(user, kind: str | None = None) -> list[Notification]:
    notes = Notification.objects.filter(recipient_user_id=user.pk).order_by("id")
    return list(notes.filter(kind=kind) if kind else notes)


class FakeClock:
    """``django.utils.timezone.now`` under the test's control (the services read the time there)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def reserve(buyer, product, drain) -> Reservation:
    reservation = reservation_place(buyer=buyer, product_id=product.pk)
    drain()
    return reservation


def sweep() -> list[str]:
    """What a worker's loop does between claims: run the periodic jobs that are due."""
    return periodic.run_due(force=True)
