"""Event subscribers of the mypage context: one durable projection of every reservation,
product-hold and payment event into the my-page read model (``mypage.services``)."""

from __future__ import annotations

from market.bus import durable
from market.events import Event
from mypage.services import PROJECTED_EVENTS, SUBSCRIBER_ID, mypage_apply_event, mypage_apply_events


def project_many(events: list[Event]) -> None:
    """The worker's batches: the same fold, a fixed number of statements per batch."""
    mypage_apply_events(events=events)


@durable(*PROJECTED_EVENTS, id=SUBSCRIBER_ID, batch=project_many)
def project(event: Event) -> None:
    """Idempotent and order-tolerant: see mypage.services."""
    mypage_apply_event(event=event)
