"""Periodic jobs of the reservation context, run by the event worker (``market.periodic``)."""

from __future__ import annotations

from django.conf import settings

from market import periodic
from reservation.services import reservation_expire_due


@periodic.register("reservation.expire_holds", every=lambda: settings.RESERVATION_EXPIRY_SWEEP_SECONDS)
def expire_holds() -> int:
    """Holds not paid within RESERVATION_HOLD_SECONDS expire (a sweep: the bus has no scheduled
    messages yet). Safe in any number of workers at once: see ``reservation_expire``."""
    return reservation_expire_due()
