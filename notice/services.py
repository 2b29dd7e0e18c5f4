"""Commands of the notice context.

The notification flow for one event (``notification_process_event``, run by the durable
subscriber ``notice.notify`` outside any transaction):

1. in one short transaction, create the event's notifications if absent: one per
   (event, recipient), enforced by a unique constraint, so a redelivery creates nothing;
2. send each of them still pending through its channel, outside any transaction, then record
   the outcome in a short transaction of its own: sent; failed at once (the provider said no for
   good); or still pending with one more attempt (timeout, 5xx, network), in which case the
   whole delivery is raised back to the bus, which retries it with backoff. Sent ones are
   skipped next time, and the idempotency key (the notification's uuid) stays the same.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from market import events, observability
from market.events import Event
from notice import conf
from notice.channels import PermanentFailure, TransientFailure, channel_for
from notice.messages import messages_for, product_name_in
from notice.models import Notification, ProductName, Recipient

logger = logging.getLogger(__name__)


# --- the directory: contacts and product names, from events ----------------------------------


def directory_apply_event(*, event: Event) -> None:
    """Keep the contact book and the product-name cache current (events of one user or one
    product arrive in order, so the latest write wins)."""
    # One INSERT ... ON CONFLICT DO UPDATE each, instead of update_or_create's SELECT + SAVEPOINT
    # + INSERT/UPDATE + RELEASE.
    if isinstance(event, (events.UserRegistered, events.UserContactChanged)):
        Recipient.objects.bulk_create(
            [Recipient(user_id=event.user_id, username=event.username, phone=event.phone or "")],
            update_conflicts=True,
            unique_fields=["user_id"],
            update_fields=["username", "phone"],
        )
    elif isinstance(event, (events.ProductRegistered, events.ProductUpdated, events.ProductReserved)):
        ProductName.objects.bulk_create(
            [ProductName(product_id=event.product_id, name=event.name)],
            update_conflicts=True,
            unique_fields=["product_id"],
            update_fields=["name"],
        )


def _product_name(event: Event) -> str:
    name = product_name_in(event)
    if name:
        return name
    product_id = getattr(event, "product_id", None)
    known = ProductName.objects.filter(product_id=product_id).values_list("name", flat=True).first()
    return known or f"상품 #{product_id}"


# --- notifications ------------------------------------------------------------------------------


def notification_prepare(*, event: Event) -> list[Notification]:
    """Create this event's notifications if absent; return those still pending."""
    messages = messages_for(event, _product_name(event))
    if not messages:
        return []
    configured = conf.channel_name()
    with transaction.atomic():
        contacts = {r.user_id: r for r in Recipient.objects.filter(user_id__in=[m.recipient_user_id for m in messages])}
        rows = []
        for message in messages:
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
    return list(Notification.objects.filter(event_id=event.event_id, status=Notification.Status.PENDING).order_by("id"))


def notification_send(*, notification: Notification) -> str:
    """Send one pending notification now (call it outside any transaction) and record the
    outcome: "sent", "failed", or "retry" (still pending, one more attempt counted)."""
    channel = channel_for(notification.channel)
    pending = Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING)
    try:
        response = channel.send(notification)
    # Each outcome is one UPDATE, committed on its own (no transaction around a single statement).
    except PermanentFailure as exc:
        pending.update(
            status=Notification.Status.FAILED,
            attempts=F("attempts") + 1,
            last_error=exc.message[:2000],
            provider_response=exc.response,
        )
        logger.warning("notification %s failed for good: %s", notification.uuid, exc.message)
        outcome = "failed"
    except TransientFailure as exc:
        pending.update(attempts=F("attempts") + 1, last_error=exc.message[:2000], provider_response=exc.response)
        logger.warning("notification %s not sent yet, will retry: %s", notification.uuid, exc.message)
        outcome = "retry"
    else:
        pending.update(
            status=Notification.Status.SENT,
            attempts=F("attempts") + 1,
            last_error="",
            provider_response=response,
            sent_at=timezone.now(),
        )
        outcome = "sent"
    observability.emit("notification_finished", channel=notification.channel, status=outcome)
    return outcome


def notification_process_event(*, event: Event) -> None:
    """Notify everyone ``event`` concerns. Raises ``TransientFailure`` if any notification must
    be tried again (the bus then retries this delivery with backoff)."""
    retry = []
    for notification in notification_prepare(event=event):
        if notification_send(notification=notification) == "retry":
            retry.append(str(notification.uuid))
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
