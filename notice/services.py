"""Commands of the notice context.

The notification flow for some events (``notification_process_events``, run by the durable
subscriber ``notice.notify`` outside any transaction, for one event or for a worker's batch):

1. in one short transaction, create the events' notifications if absent: one per
   (event, recipient), enforced by a unique constraint, so a redelivery creates nothing;
2. send each of them still pending through its channel, outside any transaction, recording each
   KakaoTalk send's outcome as soon as the provider has answered (one UPDATE each): sent; failed
   at once (the provider said no for good); or still pending with one more attempt (timeout, 5xx,
   network), in which case the delivery is raised back to the bus, which retries it with backoff.
   Sent ones are skipped next time, and the idempotency key (the notification's uuid) stays the
   same. A worker killed mid-batch therefore repeats at most the one send it had in flight, and
   each run gets further than the last however often it is killed. Console outcomes (a log line,
   harmless to repeat) are recorded together at the end, one UPDATE per distinct outcome.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from market import observability
from market.events import (
    DealEvent,
    Event,
    ProductEvent,
    ProductRegistered,
    ProductUpdated,
    UserContactChanged,
    UserRegistered,
)
from notice import conf
from notice.channels import PermanentFailure, TransientFailure, channel_for
from notice.messages import messages_for, product_name_in
from notice.models import Notification, ProductName, Recipient

logger = logging.getLogger(__name__)


# --- the directory: contacts and product names, from events ----------------------------------


def directory_apply_events(*, events: Iterable[Event]) -> None:
    """Keep the contact book and the product-name cache current. Events of one user or one
    product arrive in order, so the last word per user and per product wins, written with one
    INSERT ... ON CONFLICT DO UPDATE per table (instead of update_or_create's SELECT + SAVEPOINT
    + INSERT/UPDATE + RELEASE per event)."""
    contacts: dict[int, Recipient] = {}
    names: dict[int, ProductName] = {}
    for event in events:
        if isinstance(event, (UserRegistered, UserContactChanged)):
            contacts[event.user_id] = Recipient(user_id=event.user_id, username=event.username, phone=event.phone or "")
        elif isinstance(event, (ProductRegistered, ProductUpdated)):
            names[event.product_id] = ProductName(product_id=event.product_id, name=event.product_name)
    if contacts:
        Recipient.objects.bulk_create(
            sorted(contacts.values(), key=lambda r: r.user_id),
            update_conflicts=True,
            unique_fields=["user_id"],
            update_fields=["username", "phone"],
        )
    if names:
        ProductName.objects.bulk_create(
            sorted(names.values(), key=lambda p: p.product_id),
            update_conflicts=True,
            unique_fields=["product_id"],
            update_fields=["name"],
        )


def _product_names(events: list[Event]) -> dict[object, str]:
    """Per event id: the product name the event carries, else the one the directory knows (one
    query for all of them), else "상품 #<id>"."""
    carried = {event.event_id: product_name_in(event) for event in events}
    product_ids = {event.event_id: _product_id(event) for event in events}
    unknown = {product_ids[e.event_id] for e in events if not carried[e.event_id]} - {None}
    known = {}
    if unknown:
        known = dict(ProductName.objects.filter(product_id__in=unknown).values_list("product_id", "name"))
    names = {}
    for event in events:
        product_id = product_ids[event.event_id]
        names[event.event_id] = carried[event.event_id] or known.get(product_id) or f"상품 #{product_id}"
    return names


def _product_id(event: Event) -> int | None:
    """The product the event is about, if it is about one (every notifying event is)."""
    if isinstance(event, DealEvent | ProductEvent):
        return event.product_id
    return None


# --- notifications ------------------------------------------------------------------------------


def notification_prepare(*, events: Iterable[Event]) -> list[Notification]:
    """Create these events' notifications if absent, in one short transaction whatever their
    number; return those still pending, oldest first."""
    events = list(events)
    names = _product_names(events)
    messages = [(event, message) for event in events for message in messages_for(event, names[event.event_id])]
    if not messages:
        return []
    configured = conf.channel_name()
    with transaction.atomic():
        wanted = {message.recipient_user_id for _, message in messages}
        contacts = {r.user_id: r for r in Recipient.objects.filter(user_id__in=wanted)}
        rows = []
        for event, message in messages:
            contact = contacts.get(message.recipient_user_id)
            phone = contact.phone if contact else ""
            # No phone, no KakaoTalk: the console channel at least leaves a trace.
            channel = configured if phone else Notification.Channel.CONSOLE
            rows.append(
                Notification(
                    recipient_user_id=message.recipient_user_id,
                    recipient_no=phone,
                    event_id=event.event_id,
                    event_type=event.type,
                    kind=message.kind,
                    channel=channel,
                    template_code=conf.template_code(message.kind),
                    parameters=message.parameters,
                    text=message.text,
                )
            )
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
    pending = Notification.objects.filter(
        event_id__in=[event.event_id for event in events], status=Notification.Status.PENDING
    )
    return list(pending.order_by("id"))


def notification_send(*, notification: Notification) -> str:
    """Send one pending notification now (call it outside any transaction) and record the
    outcome: "sent", "failed", or "retry" (still pending, one more attempt counted)."""
    return notification_send_many(notifications=[notification])[0]


def notification_send_many(*, notifications: Iterable[Notification]) -> list[str]:
    """Send each pending notification (outside any transaction) and record its outcome: a
    KakaoTalk send's right after the provider answered, so a crash repeats at most the send in
    flight (the provider drops that repeat by the notification's idempotency key, its uuid, which
    never changes); console outcomes together at the end, one UPDATE per distinct outcome (every
    console "sent" of a batch is one statement). Returns the outcomes in order.

    After a transient failure the rest of that channel's notifications are not tried now
    ("retry", no attempt counted): a batch whose provider is down costs one timeout, not one per
    notification."""
    outcomes: list[str] = []
    records: dict[str, tuple[dict[str, Any], list[int]]] = {}  # console outcomes, recorded at the end
    unwell: set[str] = set()  # channels that failed transiently in this call
    for notification in notifications:
        if notification.channel in unwell:
            # Its provider just timed out or answered 5xx: this one waits for the retry with the
            # others instead of waiting out its own timeout now. Not tried, so no attempt counted.
            outcomes.append("retry")
            continue
        outcome, values = _send_one(notification)
        outcomes.append(outcome)
        if outcome == "retry":
            unwell.add(notification.channel)
        if notification.channel == Notification.Channel.CONSOLE:
            key = json.dumps(values, sort_keys=True, default=str)
            records.setdefault(key, (values, []))[1].append(notification.pk)
        else:
            _record(values, [notification.pk])  # now: a crash after this point repeats nothing
        observability.emit("notification_finished", channel=notification.channel, status=outcome)
    for values, pks in records.values():
        _record(values, pks)
    return outcomes


def _record(values: dict[str, Any], pks: list[int]) -> None:
    if values.get("status") == Notification.Status.SENT:
        values = {**values, "sent_at": timezone.now()}
    pending = Notification.objects.filter(pk__in=pks, status=Notification.Status.PENDING)
    pending.update(**values, attempts=F("attempts") + 1)


def _send_one(notification: Notification) -> tuple[str, dict[str, Any]]:
    """Send through the notification's channel; the outcome and the columns to record."""
    try:
        response = channel_for(notification.channel).send(notification)
    except PermanentFailure as exc:
        logger.warning("notification %s failed for good: %s", notification.uuid, exc.message)
        failed = {"status": Notification.Status.FAILED, "last_error": exc.message[:2000]}
        return "failed", failed | {"provider_response": exc.response}
    except TransientFailure as exc:
        logger.warning("notification %s not sent yet, will retry: %s", notification.uuid, exc.message)
        return "retry", {"last_error": exc.message[:2000], "provider_response": exc.response}
    return "sent", {"status": Notification.Status.SENT, "last_error": "", "provider_response": response}


def notification_process_events(*, events: Iterable[Event]) -> None:
    """Notify everyone the events concern (one event, or a worker's batch). Raises
    ``TransientFailure`` if any notification must be tried again; the bus then retries the
    deliveries after their backoff, where only the notifications still pending are sent (the
    others are skipped as sent)."""
    pending = notification_prepare(events=events)
    outcomes = notification_send_many(notifications=pending)
    retry = [str(n.uuid) for n, outcome in zip(pending, outcomes, strict=True) if outcome == "retry"]
    if retry:
        raise TransientFailure(f"{len(retry)} notification(s) not sent yet: {', '.join(retry)}")


def notification_resend(*, notification: Notification) -> str:
    """The operator's "send it again now" for a failed or pending notification (same
    idempotency key). A sent notification is left alone. Returns the outcome."""
    if notification.status == Notification.Status.SENT:
        return "already_sent"
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.PENDING)
    notification.refresh_from_db()
    return notification_send(notification=notification)


def notification_mark_read(*, notification: Notification) -> Notification:
    """The recipient has read it (the first time counts; marking again changes nothing)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
