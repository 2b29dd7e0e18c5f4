"""Event subscribers of the mypage context: one durable projection of every reservation,
product-hold and payment event into the my-page read model (``mypage.services``)."""

from __future__ import annotations

from market.bus import durable
from market.events import Event
from mypage.services import PROJECTED_EVENTS, SUBSCRIBER_ID, mypage_apply_events


@durable(*PROJECTED_EVENTS, id=SUBSCRIBER_ID, batch=True)
def project(events: list[Event]) -> None:
    """Idempotent and order-tolerant, one event or a worker's batch: see mypage.services."""
    mypage_apply_events(events=events)
