"""Telling wishers (찜): when a product they wish for is available again (its hold was cancelled,
declined or expired) or its price drops, each wisher gets one notification per event.

Run by the durable subscriber ``notice.wishers`` (outside any transaction, worker only) for one
event or a worker's batch, in the order the product's events were published (the bus keeps one
subscriber's deliveries about one aggregate in order), so a wish made before a release is heard
and one taken back before it is not:

1. in one transaction, fold the batch into notice's wish book (``Wisher``) and create the
   notifications of the release and price events for the wishers at that point of the fold; one
   per (event, wisher) by the unique constraint. The product's seller is never told, nor the
   buyer whose reservation ended (they heard of it already, as the buyer);
2. send them through the channels, as ``notification_process_events`` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from market import events
from market.events import NamedListing, ProductEvent
from notice import conf
from notice.channels import TransientFailure
from notice.messages import PREFIX, won
from notice.models import Notification, Recipient, Wisher
from notice.services import notification_send_many

WISH_EVENTS: tuple[type[ProductEvent], ...] = (
    events.ProductWished,
    events.ProductUnwished,
    events.ProductWithdrawn,
    events.ProductReleased,
    events.ProductPriceLowered,
)
KINDS = {
    events.ProductReleased.type: (
        "WISH_AVAILABLE",
        _("{p} '{productName}' on your wish list is available again. Reserve it before someone else does."),
    ),
    events.ProductPriceLowered.type: (
        "WISH_PRICE_LOWERED",
        _("{p} '{productName}' on your wish list is now {amount} won (was {previousAmount} won)."),
    ),
}


def _fold(batch: list[ProductEvent], book: dict[int, set[int]]) -> list[tuple[ProductEvent, int]]:
    """Apply the wish events to ``book`` (product id → wisher ids) in order; return (event,
    wisher) for each release or price drop, as the book was at that event."""
    told = []
    for event in batch:
        wishers = book[event.product_id]
        if isinstance(event, events.ProductWished):
            wishers.add(event.user_id)
        elif isinstance(event, events.ProductUnwished):
            wishers.discard(event.user_id)
        elif isinstance(event, events.ProductWithdrawn):
            wishers.clear()
        elif isinstance(event, events.ProductReleased | events.ProductPriceLowered):
            not_told = {event.seller_id}
            if isinstance(event, events.ProductReleased):  # its buyer heard of the ending already
                not_told.add(event.buyer_id)
            told += [(event, user_id) for user_id in sorted(wishers - not_told)]
    return told


def _message(event: NamedListing) -> tuple[str, str, dict[str, str]]:
    kind, text = KINDS[event.type]
    parameters = {"productName": event.product_name}
    if isinstance(event, events.ProductPriceLowered):
        parameters |= {"amount": won(event.price), "previousAmount": won(event.previous_price)}
    with translation.override(settings.LANGUAGE_CODE):
        return kind, str(text).format(p=PREFIX, **parameters), parameters


def wishers_prepare(*, events: Iterable[ProductEvent]) -> list[Notification]:
    """Step 1 (one transaction): the wish book and the wishers' notifications; returns those of
    the batch's events still pending, oldest first."""
    batch = list(events)
    products = {e.product_id for e in batch}
    # Release and price events already told (a retried batch): keep their recipients as they were.
    told_before = set(
        Notification.objects.filter(
            event_id__in=[e.event_id for e in batch], kind__in=[kind for kind, _text in KINDS.values()]
        ).values_list("event_id", flat=True)
    )
    with transaction.atomic():
        book: dict[int, set[int]] = defaultdict(set)
        for product_id, user_id in Wisher.objects.filter(product_id__in=products).values_list("product_id", "user_id"):
            book[product_id].add(user_id)
        before = {pk: set(book[pk]) for pk in products}
        told = [(e, u) for e, u in _fold(batch, book) if e.event_id not in told_before]
        for product_id in products:
            gone = before[product_id] - book[product_id]
            if gone:
                Wisher.objects.filter(product_id=product_id, user_id__in=gone).delete()
            Wisher.objects.bulk_create(
                [Wisher(product_id=product_id, user_id=u) for u in book[product_id] - before[product_id]],
                ignore_conflicts=True,
            )
        if told:
            contacts = {r.user_id: r for r in Recipient.objects.filter(user_id__in={u for _e, u in told})}
            configured = conf.channel_name()
            rows = []
            for event, user_id in told:
                kind, text, parameters = _message(event)
                phone = contacts[user_id].phone if user_id in contacts else ""
                rows.append(
                    Notification(
                        recipient_user_id=user_id,
                        recipient_no=phone,
                        event_id=event.event_id,
                        event_type=event.type,
                        kind=kind,
                        channel=configured if phone else Notification.Channel.CONSOLE,
                        template_code=conf.template_code(kind),
                        parameters=parameters,
                        text=text,
                    )
                )
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
    pending = Notification.objects.filter(
        event_id__in=[e.event_id for e in batch if e.type in KINDS],
        kind__in=[kind for kind, _text in KINDS.values()],
        status=Notification.Status.PENDING,
    )
    return list(pending.order_by("id"))


def wishers_process_events(*, events: Iterable[ProductEvent]) -> None:
    """Both steps; raises ``TransientFailure`` when some notification must be sent again later
    (the bus retries the batch; sent ones are skipped, the book is already up to date)."""
    pending = wishers_prepare(events=events)
    outcomes = notification_send_many(notifications=pending)
    retry = [str(n.uuid) for n, outcome in zip(pending, outcomes, strict=True) if outcome == "retry"]
    if retry:
        raise TransientFailure(f"{len(retry)} wish notification(s) not sent yet: {', '.join(retry)}")
