"""Event subscribers of the mypage context: one durable projection of every reservation,
product-hold and payment event into the my-page read model (``mypage.services``)."""

from __future__ import annotations

from market.bus import durable
from market.events import Event
from mypage.services import PROJECTED_EVENTS, SUBSCRIBER_ID, mypage_apply_event


@durable(*PROJECTED_EVENTS, id=SUBSCRIBER_ID)
def project(event: Event) -> None:
    """Idempotent and order-tolerant: see mypage.services."""
    mypage_apply_event(event=event)
